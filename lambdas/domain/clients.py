"""boto3 clients from one cached factory, created on first use (never at import)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service_name: str) -> Any:
    """The process-wide client for a service (endpoint and credentials from the environment).

    boto3 is imported here, on first use, to keep the handlers' cold import short.
    """
    import boto3
    from botocore.config import Config

    retries = Config(retries={"max_attempts": 5, "mode": "adaptive"})
    return boto3.session.Session().client(service_name, config=retries)


def reset_clients() -> None:
    """Forget every cached client (tests, and the local stack when it changes endpoints)."""
    client.cache_clear()
