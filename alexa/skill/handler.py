"""The Alexa skill Lambda entry point (SAM ``AlexaFunction``, handler ``skill.handler.handler``).

Owns the one SkillBuilder (built on first use, with the skill id from the settings) and the
skill id check: a request from any other skill (or not from Alexa) never reaches an intent.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ask_sdk_core.skill_builder import SkillBuilder
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from skill import intents
from skill.settings import get_settings

logger = Logger()


class SkillVerificationFailed(Exception):
    """The request's application id is not this stack's skill id."""


@lru_cache(maxsize=1)
def skill_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The SkillBuilder's Lambda handler: every intent handler, the catch-all, the skill id."""
    builder = SkillBuilder()
    builder.skill_id = get_settings().skill_id  # type: ignore[assignment]
    for handler_class in intents.REQUEST_HANDLERS:
        builder.add_request_handler(handler_class())
    builder.add_exception_handler(intents.CatchAllExceptionHandler())
    builder.add_global_request_interceptor(intents.LogRequestInterceptor())
    return builder.lambda_handler()  # type: ignore[return-value]


def application_id(event: dict[str, Any]) -> str | None:
    """The skill id the request claims (``context.System.application.applicationId``)."""
    try:
        value = event["context"]["System"]["application"]["applicationId"]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Verify the skill id, then let the skill answer the request envelope."""
    expected = get_settings().skill_id
    claimed = application_id(event)
    if claimed != expected:
        logger.warning("skill id verification failed", extra={"application_id": claimed})
        raise SkillVerificationFailed("the request is not for this skill")
    return skill_handler()(event, context)
