"""Poll Training Job."""

from __future__ import annotations

from typing import Any

from domain.state import RunState
from domain.training import poll_training_job

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    job = RunState.from_event(event).training
    return poll_training_job(job, get_settings(), aws, now()).to_dict()
