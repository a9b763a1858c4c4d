"""Shared test helpers: event fixtures, the ASL, the repository root, roles for local tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "tests" / "events"
ASL_PATH = ROOT / "statemachine" / "pipeline.asl.json"


def load_event(name: str) -> dict:
    """A JSON event fixture under tests/events/."""
    return json.loads((EVENTS / name).read_text())


def load_asl() -> dict:
    return json.loads(ASL_PATH.read_text())


def service_role(iam, name: str, services: list[str], statements: list[dict] | None = None) -> str:
    """Create role `name` that `services` may assume, with these inline statements; its ARN.

    With the local stack's IAM on, a function or state machine can only act through a role
    that trusts its service and allows what it calls.
    """
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": services}}
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if statements:
        document = {"Version": "2012-10-17", "Statement": statements}
        iam.put_role_policy(RoleName=name, PolicyName="use", PolicyDocument=json.dumps(document))
    return arn


def wait_until(probe: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """What `probe` returns once it is truthy; fails naming `what` after `timeout` seconds.

    The one place tests wait on something another thread does (an execution, a delivery).
    """
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(0.05)


def run_table_counter(stack: Any, counter: str) -> int:
    """The last run number (`"run"`) or version (`"version"`) a stack handed out; 0: none yet.

    `stack` is anything with `outputs` and `client` (a session Stack or a LocalStack). Tests
    compare with it ("the version went up by one") instead of expecting fixed numbers.
    """
    item = (
        stack.client("dynamodb")
        .get_item(
            TableName=stack.outputs["RunTable"],
            Key={"pk": {"S": "counter"}, "sk": {"S": counter}},
        )
        .get("Item")
    )
    return int(item["n"]["N"]) if item else 0


def state_output(stack: Any, execution_arn: str, state: str) -> dict:
    """The output of the last time an execution left `state` ({} if it has not left it)."""
    events = stack.client("stepfunctions").get_execution_history(
        executionArn=execution_arn, reverseOrder=True, maxResults=1000
    )["events"]
    for event in events:
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") == state:
            return json.loads(details.get("output") or "{}")
    return {}
