"""boto3 clients from one cached factory, created on first use (never at import)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_RETRIES = Config(retries={"max_attempts": 5, "mode": "adaptive"})


@cache
def client(service_name: str) -> Any:
    """The process-wide client for a service (endpoint and credentials from the environment)."""
    return boto3.session.Session().client(service_name, config=_RETRIES)


def reset_clients() -> None:
    """Forget every cached client (tests, and the local stack when it changes endpoints)."""
    client.cache_clear()
