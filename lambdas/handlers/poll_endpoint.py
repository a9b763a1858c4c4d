"""Poll Endpoint."""

from __future__ import annotations

from typing import Any

from domain.deployment import poll_endpoint
from domain.state import RunState

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    job = RunState.from_event(event).deployment
    return poll_endpoint(job, get_settings(), aws, now()).to_dict()
