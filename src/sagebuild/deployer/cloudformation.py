"""CloudFormation and S3 calls of a stack operation: the artifact bucket, the stack, its
parameters (UsePreviousValue for those not given), its events streamed until a final status."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sagebuild.cli_support.errors import UserError

EventCallback = Callable[[dict[str, Any]], None]


class StackFailed(UserError):
    """A stack operation ended in a failed or rolled-back status."""


def default_bucket(session: Any, region: str) -> str:
    """`sagebuild-artifacts-<account>-<region>`: where the packaged code goes by default."""
    account = session.client("sts").get_caller_identity()["Account"]
    return f"sagebuild-artifacts-{account}-{region}"


def ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    """Create `bucket` in `region` unless it exists."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
            raise
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)


def describe(cfn: Any, stack: str) -> dict[str, Any] | None:
    """The stack's description; None when there is no such stack."""
    from botocore.exceptions import ClientError

    try:
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return stacks[0] if stacks else None


def stack_parameters(
    cfn_stack: dict[str, Any] | None, given: dict[str, str], declared: dict[str, Any]
) -> list[dict[str, Any]]:
    """The request's Parameters: `given`, and UsePreviousValue for the existing stack's others
    that the template still declares. A given parameter it does not declare is a UserError."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise UserError(f"unknown stack parameter(s): {', '.join(unknown)}")
    rows: list[dict[str, Any]] = [
        {"ParameterKey": k, "ParameterValue": str(v)} for k, v in given.items()
    ]
    if cfn_stack is not None:
        existing = {p["ParameterKey"] for p in cfn_stack.get("Parameters") or []}
        rows += [
            {"ParameterKey": k, "UsePreviousValue": True}
            for k in sorted(existing - set(given))
            if k in declared
        ]
    return rows


def stream_events(
    cfn: Any,
    stack_id: str,
    since: float,
    on_event: EventCallback,
    poll_seconds: float = 3.0,
    timeout: float = 3 * 3600,
) -> dict[str, Any]:
    """Report every new stack event (oldest first) until the stack's status is final."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while True:
        events: list[dict[str, Any]] = []
        paginator = cfn.get_paginator("describe_stack_events")
        for page in paginator.paginate(StackName=stack_id):
            fresh = [e for e in page["StackEvents"] if e["EventId"] not in seen]
            events.extend(fresh)
            if len(fresh) < len(page["StackEvents"]):
                break
        for event in sorted(events, key=lambda e: e["Timestamp"]):
            seen.add(event["EventId"])
            if event["Timestamp"].timestamp() >= since - 1:
                on_event(event)
        stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return stack
        time.sleep(poll_seconds)


def await_status(
    cfn: Any,
    stack: str,
    stack_id: str,
    wanted: str,
    since: float,
    on_event: EventCallback,
    poll_seconds: float,
) -> dict[str, Any]:
    """Stream the events until the stack's status is final; StackFailed unless it is `wanted`."""
    final = stream_events(cfn, stack_id, since, on_event, poll_seconds)
    if final["StackStatus"] != wanted:
        reason = _failure_reasons(cfn, stack_id, since) or final.get("StackStatusReason", "")
        raise StackFailed(f"stack {stack} ended {final['StackStatus']}: {reason}")
    return final


def _failure_reasons(cfn: Any, stack_id: str, since: float) -> str:
    """The first five reasons of the resources that failed since `since`."""
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    reasons = [
        f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
        for e in reversed(events)
        if e["ResourceStatus"].endswith("_FAILED")
        and e.get("ResourceStatusReason")
        and e["Timestamp"].timestamp() >= since - 1
    ]
    return "; ".join(reasons[:5])
