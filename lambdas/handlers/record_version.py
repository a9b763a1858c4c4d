"""Record Version: the run's version becomes the last successful one."""

from __future__ import annotations

from typing import Any

from domain.state import RunState
from domain.versions import record_version

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    state = RunState.from_event(event)
    return dict(record_version(state, get_settings().version_parameter_name, aws, now()))
