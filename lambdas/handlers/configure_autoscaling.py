"""Configure Autoscaling: the deployed variant scales on invocations (if `autoscaling` is set)."""

from __future__ import annotations

from typing import Any

from domain.autoscaling import configure_autoscaling
from domain.state import RunState

from handlers.common import aws, logger


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return configure_autoscaling(RunState.from_event(event), aws)
