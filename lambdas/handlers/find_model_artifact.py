"""Find Model Artifact: what a run without training deploys."""

from __future__ import annotations

from typing import Any

from domain.state import RunState
from domain.training import find_model_artifact

from handlers.common import aws, get_settings, logger


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return find_model_artifact(RunState.from_event(event), get_settings(), aws).to_dict()
