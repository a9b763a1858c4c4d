"""Launch: record each trigger once (LaunchTopic message, S3 upload, push, schedule), start runs."""

from typing import Any

from domain.launch import Kind, Outcome, launch, stored_override_check
from domain.notifications import publish, queued_notification, rejected_notification
from domain.run_table import RunTable
from domain.settings import Settings

from handlers.common import aws, get_settings, logger, now
from handlers.envelopes import launch_items


def _report(outcomes: list[Outcome], settings: Settings) -> None:
    """Queued and rejected triggers are told on the status topic; duplicates only logged."""
    queued = [o.detail for o in outcomes if o.kind is Kind.QUEUED]
    rejected = [o.detail for o in outcomes if o.kind is Kind.REJECTED]
    for outcome in outcomes:
        if outcome.kind is Kind.DUPLICATE:
            logger.info("duplicate delivery ignored", extra={"trigger_id": outcome.trigger_id})
    if queued:
        publish(settings.status_topic_arn, queued_notification(queued, settings.stack_name), aws)
    if rejected:
        notification = rejected_notification(rejected, settings.stack_name)
        publish(settings.status_topic_arn, notification, aws)
        logger.warning("trigger rejected", extra={"reasons": rejected})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    settings = get_settings()
    outcomes = launch(
        launch_items(event),
        RunTable(aws, settings.run_table),
        aws,
        settings.state_machine_arn,
        now(),
        check=stored_override_check(aws, settings.parameter_name, settings.config_framework),
    )
    _report(outcomes, settings)
    lines = [outcome.line() for outcome in outcomes]
    logger.info("launch", extra={"outcomes": lines})
    return {"outcomes": lines}
