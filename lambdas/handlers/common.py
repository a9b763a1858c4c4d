"""What every handler shares: settings read once, the logger, the clock, the client factory.

Every Task of statemachine/pipeline.asl.json sends one payload shape: `{"state": <the state
document>, ...}` plus the Task's own arguments (`kind`, `hook`, `image`, `token`, and for
Initialize `execution`/`execution_arn`); `domain.state.RunState.from_event` reads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from domain.clients import client
from domain.errors import InvalidState
from domain.settings import Settings

logger = Logger(service="sagebuild")
aws = client


@cache
def get_settings() -> Settings:
    """The function's settings, read from the environment on first use and validated once."""
    return Settings.from_environ(os.environ)


def now() -> datetime:
    return datetime.now(UTC)


def argument(event: Mapping[str, Any], name: str) -> str:
    """A Task's own argument beside the state (its Parameters in the ASL)."""
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidState(f"the step's payload has no {name!r} argument (see the ASL Task)")
    return value
