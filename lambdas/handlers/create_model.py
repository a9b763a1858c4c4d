"""Create Model."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from domain.deployment import create_model
from domain.state import RunState

from handlers.common import aws, get_settings, logger


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return asdict(create_model(RunState.from_event(event), get_settings(), aws))
