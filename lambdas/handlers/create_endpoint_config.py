"""Create Endpoint Config."""

from __future__ import annotations

from typing import Any

from domain.deployment import create_endpoint_config
from domain.state import RunState

from handlers.common import aws, get_settings, logger


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return create_endpoint_config(RunState.from_event(event), get_settings(), aws).to_dict()
