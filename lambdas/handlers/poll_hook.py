"""Poll ETL / Poll PostProcess."""

from __future__ import annotations

from typing import Any

from domain.hooks import poll_hook
from domain.state import RunState

from handlers.common import argument, aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    job = RunState.from_event(event).job(argument(event, "hook"))
    return poll_hook(job, get_settings(), aws, now()).to_dict()
