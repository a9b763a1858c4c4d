"""Start Training Image Build / Start Inference Image Build (CodeBuild)."""

from __future__ import annotations

from typing import Any

from domain.builds import start_image_build
from domain.state import RunState

from handlers.common import argument, aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    state = RunState.from_event(event)
    image = argument(event, "image")
    return start_image_build(image, state, get_settings(), aws, now()).to_dict()
