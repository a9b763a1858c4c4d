"""Poll Training Image Build / Poll Inference Image Build."""

from __future__ import annotations

from typing import Any

from domain.builds import poll_image_build
from domain.state import RunState

from handlers.common import argument, aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    job = RunState.from_event(event).job(f"{argument(event, 'image')}_image_build")
    return poll_image_build(job, get_settings(), aws, now()).to_dict()
