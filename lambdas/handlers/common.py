"""What every handler shares: settings read once, the logger, the clock, the client factory."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache

from aws_lambda_powertools import Logger
from domain.clients import client
from domain.jobs import Job
from domain.settings import Settings

logger = Logger(service="sagebuild")
aws = client


@cache
def get_settings() -> Settings:
    """The function's settings, read from the environment on first use and validated once."""
    return Settings.from_environ(os.environ)


def now() -> datetime:
    return datetime.now(UTC)


def state_of(event: dict) -> dict:
    """The state document, whether the ASL passed it whole or under "state"."""
    return event["state"] if "state" in event and "run" not in event else event


def job_at(state: dict, key: str) -> Job:
    return Job.from_dict(state.get(key))
