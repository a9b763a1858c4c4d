"""Clean Up Deploy: delete the new model and config; the endpoint only if it ended Failed."""

from __future__ import annotations

from typing import Any

from domain.deployment import clean_up_deploy
from domain.state import RunState

from handlers.common import aws, logger


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return clean_up_deploy(RunState.from_event(event), aws)
