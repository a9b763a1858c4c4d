"""Deploy Endpoint: create it, or update it to the new config."""

from __future__ import annotations

from typing import Any

from domain.deployment import deploy_endpoint
from domain.state import RunState

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return deploy_endpoint(RunState.from_event(event), get_settings(), aws, now()).to_dict()
