"""Verify Endpoint: the endpoint must run this run's config (SageMaker's silent rollback)."""

from __future__ import annotations

from typing import Any

from domain.deployment import verify_endpoint
from domain.state import RunState

from handlers.common import logger


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    verify_endpoint(RunState.from_event(event).deployment)
    return {"verified": True}
