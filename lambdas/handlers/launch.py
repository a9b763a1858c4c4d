"""Launch: record each trigger once (LaunchTopic message, S3 upload, push, schedule), start runs."""

from domain.launch import launch, parse_event
from domain.notifications import publish, queued_notification, rejected_notification
from domain.run_table import RunTable

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    settings = get_settings()
    outcomes = launch(
        parse_event(event),
        RunTable(aws, settings.run_table),
        aws,
        settings.state_machine_arn,
        now(),
    )
    for outcome in outcomes:
        if outcome.kind == "duplicate":
            logger.info("duplicate delivery ignored", extra={"trigger_id": outcome.trigger_id})
    queued = [o.detail for o in outcomes if o.kind == "queued"]
    if queued:
        publish(settings.status_topic_arn, queued_notification(queued, settings.stack_name), aws)
    rejected = [o.detail for o in outcomes if o.kind == "rejected"]
    if rejected:
        publish(
            settings.status_topic_arn, rejected_notification(rejected, settings.stack_name), aws
        )
        logger.warning("trigger rejected", extra={"reasons": rejected})
    lines = [outcome.line() for outcome in outcomes]
    logger.info("launch", extra={"outcomes": lines})
    return {"outcomes": lines}
