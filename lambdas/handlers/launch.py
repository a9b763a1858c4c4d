"""Launch: start a run for each trigger (LaunchTopic message, S3 upload, push, schedule)."""

from domain.launch import launch, parse_event
from domain.notifications import Notification, publish

from handlers.common import aws, get_settings, logger


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    settings = get_settings()
    outcomes = launch(
        parse_event(event), aws, settings.state_machine_arn, settings.pending_queue_url
    )
    queued = [line for line in outcomes if line.startswith("queued")]
    if queued:
        publish(
            settings.status_topic_arn,
            Notification(
                f"sagebuild {settings.stack_name}: trigger queued"[:100],
                "\n".join(queued) + "\nIt starts when the current run ends.",
                {"stack": settings.stack_name, "outcome": "queued"},
            ),
            aws,
        )
    logger.info("launch", extra={"outcomes": outcomes})
    return {"outcomes": outcomes}
