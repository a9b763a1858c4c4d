"""Notify Started / Succeeded / Failed: publish on the TrainStatusTopic.

What was queued meanwhile starts from the Run Ended function, on the run's status event.
"""

from domain.notifications import build_notification, publish

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    settings = get_settings()
    kind, state = event["kind"], event.get("state") or {}
    message_id = publish(
        settings.status_topic_arn,
        build_notification(kind, state, settings.stack_name, settings.region, now()),
        aws,
    )
    logger.info("notification sent", extra={"kind": kind, "message_id": message_id})
    return {"message_id": message_id}
