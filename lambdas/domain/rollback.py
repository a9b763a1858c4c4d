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
    version: int | None = None  # None: one version back
    problem: str = ""  # why the message cannot be done as written
    body: str = ""  # the message as it arrived (kept when it has a problem)


_VERSION_HELP = 'send {"version": N} with N a whole number >= 1, or {} for one version back'


def _version_in(message: Any, body: str) -> RollbackRequest:
    if not isinstance(message, dict):
        return RollbackRequest(
            problem=f"the rollback message is not a JSON object; {_VERSION_HELP}", body=body
        )
    value = message.get("version")
    if value is None:
        return RollbackRequest(body=body)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**9:
        shown = json.dumps(value)[:40] if not isinstance(value, float) else repr(value)
        return RollbackRequest(
            problem=f"version: {shown} is not a version; {_VERSION_HELP}", body=body
        )
    return RollbackRequest(version=value, body=body)


def parse_rollback_event(event: Any) -> RollbackRequest:
    """The version a RollbackTopic message (or a direct invocation) asks for. Never raises."""
    try:
        records = event.get("Records") if isinstance(event, dict) else None
        if not isinstance(records, list):
            return _version_in(event, json.dumps(event))
        for record in records:
            sns = record.get("Sns") if isinstance(record, dict) else None
            text = sns.get("Message") if isinstance(sns, dict) else None
            if not isinstance(text, str):
                continue
            if not text.strip():
                return RollbackRequest(body=text)
            try:
                return _version_in(json.loads(text), text)
            except RecursionError:
                return RollbackRequest(
                    problem="the rollback message nests JSON too deeply", body=text
                )
            except ValueError:
                return RollbackRequest(
                    problem=f"the rollback message is not JSON; {_VERSION_HELP}", body=text
                )
        return RollbackRequest()
    except Exception as error:  # noqa: BLE001 - the rollback function must never raise
        return RollbackRequest(
            problem=f"the rollback event could not be read ({type(error).__name__})",
            body=repr(event)[:100_000],
        )


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


def roll_back(aws: ClientFactory, stack: str, endpoint: str, to_version: int | None) -> dict:
    described = describe_endpoint(aws, endpoint)
    if described is None:
        raise RollbackFailed(f"endpoint {endpoint} does not exist; nothing to roll back")
    current = described["EndpointConfigName"]
    target = choose_target(stack_configs(aws, stack), current, to_version)
    if target == current:
        return {"endpoint": endpoint, "from": current, "to": target, "changed": False}
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
    return {
        "endpoint": endpoint,
        "from": current,
        "to": target,
        "changed": True,
        "version": version_of(target),
        # The version rolled back to runs at its config's instance count, without autoscaling
        # (its scalable target went away when it was replaced); the next deploy scales again.
        "released_scaling": [item["register"]["ResourceId"] for item in released],
    }
