"""What the example notebooks import: connect to a stack, find the examples, show a run.

`connect()` returns a `sagebuild.session.Stack`:

- by default, the local stack started by `sagebuild local up` (or `python -m
  sagebuild.local.server`): its state dir holds `endpoint` and `outputs.json`; clients get
  the 127.0.0.1 endpoint URL and, when the stack has a notebook instance, its role's
  credentials (`notebook-credentials.json`, so the notebook can do only what it could on the
  instance), else the local administrator's dummy credentials; nothing can reach real AWS;
- given a stack name (and region), a deployed stack on AWS: outputs from CloudFormation, clients
  from a normal boto3 session;
- on the SageMaker notebook instance the stack creates, the `stack.json` its lifecycle script
  writes next to the notebooks names the stack and region.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sagebuild import assets
from sagebuild.session import Stack

DEFAULT_STATE_DIR = ".sagebuild/local"
LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}
STACK_FILE = "stack.json"
NOTEBOOK_CREDENTIALS_FILE = "notebook-credentials.json"
SPECIES = ["setosa", "versicolor", "virginica"]
VERSIONED = re.compile(r"-v(\d+)-")


class NotConnected(RuntimeError):
    """No stack to connect to: the local stack is not running and no stack was named."""


def _find_upwards(relative: Path, start: Path) -> Path | None:
    for directory in (start, *start.parents):
        candidate = directory / relative
        if candidate.exists():
            return candidate
    return None


def find_state_dir(state_dir: str | Path | None = None) -> Path | None:
    """The local stack's state dir: as given, else $SAGEBUILD_STATE_DIR, else `.sagebuild/local`.

    A relative path is looked up from the working directory and its parents (a notebook runs
    in `notebooks/`, the local stack is started at the repository root)."""
    path = Path(state_dir or os.environ.get("SAGEBUILD_STATE_DIR") or DEFAULT_STATE_DIR)
    if path.is_absolute():
        return path if path.exists() else None
    return _find_upwards(path, Path.cwd())


def _cached(factory: Any) -> Any:
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = factory(service)
        return clients[service]

    return client


def connect_local(state_dir: str | Path | None = None) -> Stack:
    """The local stack whose server writes to `state_dir`."""
    found = find_state_dir(state_dir)
    ready = found is not None and all((found / f).is_file() for f in ("outputs.json", "endpoint"))
    if found is None or not ready:
        raise NotConnected(
            f"the local stack is not running (no endpoint and outputs.json in "
            f"{state_dir or DEFAULT_STATE_DIR}); start it with `sagebuild local up`, or pass "
            "stack_name and region to use a stack deployed on AWS"
        )
    endpoint_url = (found / "endpoint").read_text().strip()
    outputs = {str(k): str(v) for k, v in json.loads((found / "outputs.json").read_text()).items()}
    name_file = found / "stack_name"
    name = name_file.read_text().strip() if name_file.is_file() else ""

    import boto3

    role_file = found / NOTEBOOK_CREDENTIALS_FILE
    credentials = json.loads(role_file.read_text()) if role_file.is_file() else LOCAL_CREDENTIALS
    session = boto3.Session(region_name=LOCAL_REGION, **credentials)
    stack = Stack(
        outputs, _cached(lambda service: session.client(service, endpoint_url=endpoint_url)), name
    )
    if not stack.name:
        stack.name = _stack_name_of(stack)
    return stack


def _stack_name_of(stack: Stack) -> str:
    """The name of the stack that owns the state machine (the local server has one stack)."""
    for summary in stack.client("cloudformation").describe_stacks()["Stacks"]:
        outputs = {o["OutputKey"]: o["OutputValue"] for o in summary.get("Outputs") or []}
        if outputs.get("StateMachine") == stack.outputs.get("StateMachine"):
            return str(summary["StackName"])
    return ""


def connect_aws(stack_name: str, region: str | None = None) -> Stack:
    """A stack deployed on AWS: outputs from DescribeStacks, clients from a boto3 session."""
    import boto3

    session = boto3.Session(region_name=region)
    client = _cached(session.client)
    described = client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs") or []}
    return Stack(outputs, client, stack_name)


def connect(
    stack_name: str | None = None,
    region: str | None = None,
    state_dir: str | Path | None = None,
) -> Stack:
    """The stack a notebook drives: AWS when named, else the local stack, else `stack.json`."""
    if stack_name:
        return connect_aws(stack_name, region)
    try:
        return connect_local(state_dir)
    except NotConnected:
        written = _find_upwards(Path(STACK_FILE), Path.cwd())
        if written is None:
            raise
        settings = json.loads(written.read_text())
        return connect_aws(settings["stack"], region or settings.get("region"))


def examples_dir() -> Path:
    """The `examples/` folder: next to the notebooks, above them, or the bundled one."""
    found = _find_upwards(Path("examples"), Path.cwd())
    if found is not None and (found / "iris").is_dir():
        return found
    return assets.examples()


def follow_run(stack: Stack, execution_arn: str, timeout: float = 600) -> dict:
    """Print each state as the run first enters it; return {"status", "output", "path"}.

    Poll loops enter the same states again and again: those repeats are counted, not printed.
    """
    path: list[str] = []
    elapsed = 0.0
    for name, elapsed in stack.follow(execution_arn, timeout=timeout):
        if name not in path:
            print(f"{elapsed:7.1f} s  {name}")
        path.append(name)
    result = stack.run_result(execution_arn)
    polls = sum(1 for name in path if name.startswith("Poll "))
    print(f"run {result['status']} after {elapsed:.1f} s ({len(path)} states, {polls} polls)")
    return {**result, "path": path}


def start_run(stack: Stack, message: dict | str) -> str:
    """Publish a launch message; return the ARN of the run it started."""
    known = {e["executionArn"] for e in stack.executions()}
    stack.publish_launch(message)
    return stack.wait_for_execution(known, timeout=60)


def run(stack: Stack, message: dict | str, timeout: float = 600) -> dict:
    """Publish a launch message and follow the run it starts (printing its states)."""
    return follow_run(stack, start_run(stack, message), timeout)


def accuracy(stack: Stack, rows: Any) -> float:
    """The share of label-first `rows` the endpoint classifies right."""
    predicted = [round(float(_first(p))) for p in stack.predict([list(r[1:]) for r in rows])]
    truth = [int(r[0]) for r in rows]
    return sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth)


def _first(value: Any) -> Any:
    while isinstance(value, list | tuple):
        value = value[0]
    if isinstance(value, dict):
        return next(iter(value.values()))
    return value


def metrics(result: dict) -> dict[str, float]:
    """The training metrics a run reported ({name: value})."""
    training = (result.get("output") or {}).get("training") or {}
    return {m["MetricName"]: m["Value"] for m in training.get("metrics", [])}


def show_notifications(notes: Iterable[dict]) -> list[str]:
    """Print the subjects (and first lines) of TrainStatusTopic notifications; return subjects."""
    subjects = []
    for note in notes:
        subjects.append(note.get("Subject", ""))
        message = (note.get("Message") or "").strip()
        with contextlib.suppress(ValueError):
            message = json.dumps(json.loads(message))
        first = message.splitlines()[:1]
        print(f"- {subjects[-1]}" + (f"\n    {first[0][:200]}" if first else ""))
    return subjects


def show_history(stack: Stack, limit: int = 10) -> list[dict]:
    """Print the latest runs (newest first): name, status, start time; return them."""
    runs = sorted(stack.executions(), key=lambda e: e["startDate"], reverse=True)[:limit]
    for item in runs:
        started = item["startDate"].strftime("%H:%M:%S")
        print(f"{started}  {item['status']:<9}  {item['name']}")
    return runs


def version_of(name: str) -> int | None:
    """The version in a model or endpoint config name (`<stack>-v<N>-<suffix>`)."""
    found = VERSIONED.search(name)
    return int(found.group(1)) if found else None


def endpoint_configs(stack: Stack) -> list[str]:
    """The stack's endpoint configs, newest first (one per deployed version)."""
    listed = stack.client("sagemaker").list_endpoint_configs(
        NameContains=stack.name or stack.outputs["SageMakerEndpoint"],
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=100,
    )["EndpointConfigs"]
    return [c["EndpointConfigName"] for c in listed if version_of(c["EndpointConfigName"])]


__all__ = [
    "SPECIES",
    "NotConnected",
    "accuracy",
    "connect",
    "connect_aws",
    "connect_local",
    "endpoint_configs",
    "examples_dir",
    "find_state_dir",
    "follow_run",
    "metrics",
    "run",
    "show_history",
    "show_notifications",
    "start_run",
    "version_of",
]
