"""Settings of the Alexa skill function, read lazily from its environment and validated once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class MissingSetting(RuntimeError):
    """An environment variable the skill needs is missing or empty."""

    def __init__(self, name: str) -> None:
        super().__init__(f"missing setting: environment variable {name} is not set")
        self.name = name


@dataclass(frozen=True)
class Settings:
    """What the skill needs to reach the stack."""

    state_machine_arn: str
    launch_topic_arn: str
    rollback_topic_arn: str
    status_topic_arn: str
    skill_id: str
    stack_name: str
    endpoint_name: str  # the stack's endpoint (the rollback answer reads its version)


_VARIABLES = {
    "state_machine_arn": "STATE_MACHINE_ARN",
    "launch_topic_arn": "LAUNCH_TOPIC_ARN",
    "rollback_topic_arn": "ROLLBACK_TOPIC_ARN",
    "status_topic_arn": "STATUS_TOPIC_ARN",
    "skill_id": "ALEXA_SKILL_ID",
    "stack_name": "STACK_NAME",
    "endpoint_name": "ENDPOINT_NAME",
}


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSetting(name)
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read and validate the settings on first use; a missing variable raises `MissingSetting`.

    An empty ``ALEXA_SKILL_ID`` counts as missing: the skill never answers unverified requests.
    Tests call ``get_settings.cache_clear()`` after changing the environment.
    """
    return Settings(**{field: _require(name) for field, name in _VARIABLES.items()})
