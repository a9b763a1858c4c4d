"""Check Quality Gate: the trained model must reach `deploygate` before it is deployed."""

from __future__ import annotations

from typing import Any

from domain.state import RunState
from domain.training import check_quality_gate

from handlers.common import aws, get_settings, logger


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return check_quality_gate(RunState.from_event(event), get_settings(), aws).to_dict()
