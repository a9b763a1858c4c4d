"""Call a step handler the way the state machine does: with its Task's payload from the ASL.

`call("Start Training Job", document, ctx)` finds the Task in statemachine/pipeline.asl.json,
builds its payload from the Task's `Parameters` (or `Parameters.Payload` for a
`lambda:invoke.waitForTaskToken` Task) over `document`, imports the handler its `Resource`
names (`${StartTrainingJobFunctionArn}` → `handlers.start_training_job`) and returns what the
handler returns. `step(...)` also applies the Task's `ResultPath` to a copy of the document, as
Step Functions would. The payload is what Step Functions sends, so a handler test cannot pass a
shape the ASL does not (the heuristics that accepted both are gone).
"""

from __future__ import annotations

import copy
import importlib
import json
import re
from pathlib import Path
from typing import Any

ASL_PATH = Path(__file__).resolve().parent.parent / "statemachine" / "pipeline.asl.json"
RUN_STATE_PATH = Path(__file__).resolve().parent / "events" / "steps" / "run_state.json"
ASL: dict[str, Any] = json.loads(ASL_PATH.read_text())
_CONTEXT = {
    "$$.Execution.Name": "exec-1",
    "$$.Execution.Id": "arn:aws:states:us-east-1:123456789012:execution:demo:exec-1",
    "$$.Task.Token": "task-token-1",
}


def task(name: str) -> dict[str, Any]:
    state = ASL["States"].get(name)
    if state is None or state["Type"] != "Task":
        raise KeyError(f"no Task state {name!r} in {ASL_PATH.name}")
    return state


def handler_module(name: str) -> str:
    """The handler module a Task's Resource (or FunctionName) names."""
    state = task(name)
    resource = state["Resource"]
    if resource.endswith(".waitForTaskToken"):
        resource = state["Parameters"]["FunctionName"]
    camel = re.fullmatch(r"\$\{(\w+)FunctionArn\}", resource)
    if camel is None:
        raise ValueError(f"{name}: {resource} is not a sagebuild function")
    return "handlers." + re.sub(r"(?<!^)(?=[A-Z])", "_", camel.group(1)).lower()


def payload(name: str, document: Any, **context: str) -> dict[str, Any]:
    """The payload the Task sends for `document` (`$`), with `$$` context values."""
    state = task(name)
    parameters = state.get("Parameters", {"state.$": "$"})
    if "Payload" in parameters:
        parameters = parameters["Payload"]
    values = {**_CONTEXT, **{f"$$.{k.replace('_', '.')}": v for k, v in context.items()}}
    built: dict[str, Any] = {}
    for key, value in parameters.items():
        if not key.endswith(".$"):
            built[key] = value
        elif value == "$":
            built[key[:-2]] = copy.deepcopy(document)
        else:
            built[key[:-2]] = values[value]
    return built


def call(name: str, document: Any, ctx: Any, **context: str) -> Any:
    """What the Task's handler returns for `document`."""
    module = importlib.import_module(handler_module(name))
    return module.handler(payload(name, document, **context), ctx)


def step(name: str, document: dict[str, Any], ctx: Any, **context: str) -> dict[str, Any]:
    """The document after the Task: its result placed at its ResultPath."""
    result = call(name, document, ctx, **context)
    path = task(name).get("ResultPath", "$")
    if path is None:
        return copy.deepcopy(document)
    if path == "$":
        return result
    key = path.removeprefix("$.")
    if "." in key:
        raise ValueError(f"{name}: nested ResultPath {path} is not supported here")
    return {**copy.deepcopy(document), key: result}


def _merged(base: Any, changes: Any) -> Any:
    if isinstance(base, dict) and isinstance(changes, dict):
        return {**base, **{k: _merged(base.get(k), v) for k, v in changes.items()}}
    return copy.deepcopy(changes)


def run_document(**changes: Any) -> dict[str, Any]:
    """The state document of run 1 of stack `demo` as Initialize makes it (the fixture
    tests/events/steps/run_state.json, which a test keeps equal to what Initialize returns),
    with `changes` merged in key by key (nested objects merge; other values replace)."""
    document: dict[str, Any] = json.loads(RUN_STATE_PATH.read_text())
    merged: dict[str, Any] = _merged(document, changes)
    return merged
