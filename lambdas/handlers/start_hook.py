"""Start ETL / Start PostProcess: start the user's state machine."""

from __future__ import annotations

from typing import Any

from domain.hooks import start_hook
from domain.state import RunState

from handlers.common import argument, aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    state = RunState.from_event(event)
    return start_hook(argument(event, "hook"), state, get_settings(), aws, now()).to_dict()
