"""Request Approval: tell the people on the TrainStatusTopic that a version waits for them.

The state machine waits (task token) until `sagebuild approve` or `sagebuild reject` answers,
or the timeout from `approval.TimeoutHours` ends the wait.
"""

from __future__ import annotations

from typing import Any

from domain.notifications import build_notification, publish
from domain.state import RunState

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    settings = get_settings()
    state = RunState.from_event(event)
    note = build_notification("approval", state, settings.stack_name, settings.region, now())
    message_id = publish(settings.status_topic_arn, note, aws)
    logger.info("approval requested", extra={"message_id": message_id})
    return {"message_id": message_id}
