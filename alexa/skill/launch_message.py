"""The launch message: the JSON document a run request is published as on the LaunchTopic.

One codec for every writer (the CLI's `sagebuild start`, the Alexa skill, a notebook) and the
one reader (the Launch function). The format:

    {"train": false,                      optional: false skips training (deploy only)
     "build": {"Inference": false},       optional: which images to build
     "overrides": {"trainmaxrun": 3600},  optional: per-run parameter overrides
     "reason": "new data",                optional: why (shown in notifications), <= 500 chars
     "<key>": <value>}                    any other key is a per-run override too

`{"sagebuild": "drain", "finished_execution": <arn>}` asks the Launch function to start what
waits (a run ended). A message that is not a JSON object still starts a run, with the stored
parameters, and says so.

Stdlib only: the Alexa skill ships its own zip without `lambdas/`, so alexa/skill/launch_message.py
is a byte-identical copy (tests/unit/test_launch_message.py checks it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DRAIN = "drain"
RESERVED = frozenset({"train", "build", "overrides", "reason", "sagebuild"})
OVERRIDE_KEYS = ("train", "build")  # reserved names that are also per-run overrides
MAX_REASON = 500
DEFAULT_REASON = "message on the launch topic"


@dataclass(frozen=True)
class Trigger:
    """One request for a run: where it came from, and the id a redelivery repeats."""

    source: str  # sns | s3 | codecommit | schedule | queued
    detail: str
    trigger_id: str
    overrides: dict[str, Any] = field(default_factory=dict[str, Any])
    body: str = field(default="", compare=False)  # the message as it arrived

    def execution_input(self) -> dict[str, Any]:
        return {
            "trigger": {"source": self.source, "detail": self.detail},
            "overrides": self.overrides,
        }


@dataclass(frozen=True)
class Drain:
    """A run ended: start what waits."""

    finished_execution: str


@dataclass(frozen=True)
class Rejected:
    """A message that cannot become a run: kept with its body, the user is told why."""

    source: str
    reason: str
    body: str


def document(
    *,
    train: bool | None = None,
    overrides: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The launch message as a JSON object; each part only when given (None leaves it out)."""
    message: dict[str, Any] = {}
    if train is not None:
        message["train"] = bool(train)
    if overrides is not None:
        message["overrides"] = dict(overrides)
    if reason:
        message["reason"] = reason
    return message


def encode(
    *,
    train: bool | None = None,
    overrides: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> str:
    """The launch message as the text to publish (`Message` of SNS Publish)."""
    return json.dumps(document(train=train, overrides=overrides, reason=reason))


def encode_drain(finished_execution: str) -> str:
    """The message that asks the Launch function to start what waits behind a finished run."""
    return json.dumps({"sagebuild": DRAIN, "finished_execution": finished_execution})


def decode(body: str, message_id: str, source: str = "sns") -> Trigger | Drain | Rejected:
    """A launch message (its text, and the id its delivery carries) → what it asks for.

    `source` names the delivery (sns, sqs). Never raises. Text that is not a JSON object starts
    a run with the stored parameters.
    """
    try:
        message = json.loads(body)
    except RecursionError:
        return Rejected(
            source,
            "the message nests JSON too deeply to read; send a flat JSON object of overrides",
            body,
        )
    except (ValueError, TypeError):
        message = None
    if not isinstance(message, dict):
        shown = (body or "")[:80]
        return Trigger(
            source,
            f"message was not a JSON object ({shown!r}); started with the stored parameters",
            message_id,
        )
    return from_document(message, body, message_id, source)


def from_document(
    message: dict[str, Any], body: str, message_id: str, source: str = "sns"
) -> Trigger | Drain:
    """A launch message already read as a JSON object → a run request (or a drain)."""
    if message.get("sagebuild") == DRAIN:
        return Drain(str(message.get("finished_execution", "")))
    given = message.get("overrides")
    overrides = dict(given) if isinstance(given, dict) else {}
    if "overrides" in message and not isinstance(given, dict):
        overrides["overrides"] = given  # Initialize names it as a bad key
    for key, value in message.items():
        if key in OVERRIDE_KEYS or key not in RESERVED:
            overrides[key] = value
    reason = str(message.get("reason") or DEFAULT_REASON)[:MAX_REASON]
    return Trigger(source, reason, message_id, overrides, body)
