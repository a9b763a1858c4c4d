"""Start Tuning Job."""

from __future__ import annotations

from typing import Any

from domain.state import RunState
from domain.training import start_tuning_job

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return start_tuning_job(RunState.from_event(event), get_settings(), aws, now()).to_dict()
