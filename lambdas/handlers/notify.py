"""Notify Started / Succeeded / Failed: publish on the TrainStatusTopic.

What was queued meanwhile starts from the Run Ended function, on the run's status event.
"""

from __future__ import annotations

from typing import Any

from domain.notifications import build_notification, publish
from domain.state import payload_state

from handlers.common import argument, aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    settings = get_settings()
    kind, state = argument(event, "kind"), payload_state(event)
    message_id = publish(
        settings.status_topic_arn,
        build_notification(kind, state, settings.stack_name, settings.region, now()),
        aws,
    )
    logger.info("notification sent", extra={"kind": kind, "message_id": message_id})
    return {"message_id": message_id}
