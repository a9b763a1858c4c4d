"""Roll the endpoint back: one version back, or to a named version.

The original chained configs through a `sagebuild:previous` tag and read the wrong tag. Here
every endpoint config name carries its version (`<stack>-v<N>-<suffix>`), so the target is
found by listing the stack's configs; configs of failed deploys were deleted by the pipeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from domain import autoscaling
from domain.aws import ClientFactory, describe_endpoint
from domain.errors import RollbackFailed
from domain.naming import sanitise, version_of


@dataclass(frozen=True)
class RollbackRequest:
    """What a rollback message asks for."""

    version: int | None = None  # None: one version back
    body: str = ""  # the message as it arrived


@dataclass(frozen=True)
class BadRollbackMessage:
    """A rollback message that cannot be done as written: kept with its body, refused."""

    reason: str
    body: str


@dataclass(frozen=True)
class RolledBack:
    """The endpoint serves `to` now (or already did: `changed` False)."""

    endpoint: str
    from_config: str
    to_config: str
    changed: bool
    version: int | None = None
    # The version rolled back to runs at its config's instance count, without autoscaling
    # (its scalable target went away when it was replaced); the next deploy scales again.
    released_scaling: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The function's answer and the body of the `rolled_back` notification."""
        found: dict[str, Any] = {
            "endpoint": self.endpoint,
            "from": self.from_config,
            "to": self.to_config,
            "changed": self.changed,
        }
        if self.changed:
            found["version"] = self.version
            found["released_scaling"] = list(self.released_scaling)
        return found


@dataclass(frozen=True)
class Refused:
    """A request this function will not do, and why; `body` is kept when the message is wrong."""

    endpoint: str
    reason: str
    body: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "changed": False, "error": self.reason}


_VERSION_HELP = 'send {"version": N} with N a whole number >= 1, or {} for one version back'


def rollback_request_of(message: Any, body: str) -> RollbackRequest | BadRollbackMessage:
    """A rollback message already read as JSON → the version it asks for."""
    if not isinstance(message, dict):
        return BadRollbackMessage(
            f"the rollback message is not a JSON object; {_VERSION_HELP}", body
        )
    value = message.get("version")
    if value is None:
        return RollbackRequest(body=body)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**9:
        shown = json.dumps(value)[:40] if not isinstance(value, float) else repr(value)
        return BadRollbackMessage(f"version: {shown} is not a version; {_VERSION_HELP}", body)
    return RollbackRequest(version=value, body=body)


def read_rollback_message(text: str) -> RollbackRequest | BadRollbackMessage:
    """A RollbackTopic message's text → the version it asks for (blank: one back)."""
    if not text.strip():
        return RollbackRequest(body=text)
    try:
        message = json.loads(text)
    except RecursionError:
        return BadRollbackMessage(
            f"the rollback message nests JSON too deeply; {_VERSION_HELP}", text
        )
    except ValueError:
        return BadRollbackMessage(f"the rollback message is not JSON; {_VERSION_HELP}", text)
    return rollback_request_of(message, text)


def stack_configs(aws: ClientFactory, stack: str) -> list[tuple[int, str]]:
    """(version, name) of every endpoint config of the stack, newest first."""
    paginator = aws("sagemaker").get_paginator("list_endpoint_configs")
    found = []
    for page in paginator.paginate(
        NameContains=sanitise(stack), SortBy="CreationTime", SortOrder="Descending"
    ):
        for item in page["EndpointConfigs"]:
            version = version_of(item["EndpointConfigName"])
            if version is not None:
                found.append((version, item["EndpointConfigName"]))
    return found


def choose_target(configs: list[tuple[int, str]], current: str, to_version: int | None) -> str:
    current_version = version_of(current)
    if to_version is not None:
        for version, name in configs:
            if version == to_version:
                return name
        available = sorted({v for v, _ in configs})
        raise RollbackFailed(
            f"no endpoint config for version {to_version}; versions available: {available}"
        )
    for version, name in configs:
        if current_version is None or version < current_version:
            return name
    raise RollbackFailed(f"there is no version before {current} to roll back to")


def roll_back(aws: ClientFactory, stack: str, endpoint: str, to_version: int | None) -> RolledBack:
    """Point the endpoint at an earlier version's config; RollbackFailed says why it cannot.

    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
    """
    described = describe_endpoint(aws, endpoint)
    if described is None:
        raise RollbackFailed(f"endpoint {endpoint} does not exist; nothing to roll back")
    current = described["EndpointConfigName"]
    target = choose_target(stack_configs(aws, stack), current, to_version)
    if target == current:
        return RolledBack(endpoint, current, target, changed=False)
    if described["EndpointStatus"] != "InService":
        raise RollbackFailed(
            f"endpoint {endpoint} is {described['EndpointStatus']}; SageMaker updates only an "
            "InService endpoint, ask again once it is InService"
        )
    released = autoscaling.release_for_update(aws, described, target)
    try:
        aws("sagemaker").update_endpoint(EndpointName=endpoint, EndpointConfigName=target)
    except Exception:
        autoscaling.restore_variants(aws, released)  # the current version keeps serving
        raise
    return RolledBack(
        endpoint,
        current,
        target,
        changed=True,
        version=version_of(target),
        released_scaling=tuple(item["register"]["ResourceId"] for item in released),
    )


def answer(
    request: RollbackRequest | BadRollbackMessage, aws: ClientFactory, stack: str, endpoint: str
) -> RolledBack | Refused:
    """Do what a rollback message asks, or say why not (a refusal is never retried)."""
    if isinstance(request, BadRollbackMessage):
        return Refused(endpoint, request.reason, request.body)
    try:
        return roll_back(aws, stack, endpoint, request.version)
    except RollbackFailed as error:  # what was asked cannot be done: the message is fine
        return Refused(endpoint, str(error))
