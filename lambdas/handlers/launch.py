"""Launch: start a run for each trigger (LaunchTopic message, S3 upload, push, schedule)."""

from domain.launch import launch, parse_event
from handlers.common import aws, get_settings, logger


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    settings = get_settings()
    outcomes = launch(parse_event(event), aws, settings.state_machine_arn,
                      settings.pending_queue_url)
    logger.info("launch", extra={"outcomes": outcomes})
    return {"outcomes": outcomes}
