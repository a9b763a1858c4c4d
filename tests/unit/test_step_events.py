"""The payloads a real run sent each Task (tests/events/steps/, captured by capture.py from the
local stack's execution history) against the ASL and the typed state that reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from asl_steps import ASL, payload
from domain.state import LaunchInput, RunState, payload_state

STEPS = Path(__file__).resolve().parent.parent / "events" / "steps"
CAPTURED = sorted(p for p in STEPS.glob("*.json") if p.name != "run_state.json")
TASK_OF_FILE = {
    name.lower().replace(" ", "_") + ".json": name
    for name, state in ASL["States"].items()
    if state["Type"] == "Task"
}


def test_the_captured_run_covers_every_task_of_a_training_run_that_deploys():
    expected = {
        "Initialize",
        "Notify Started",
        "Start Training Job",
        "Poll Training Job",
        "Create Model",
        "Create Endpoint Config",
        "Deploy Endpoint",
        "Poll Endpoint",
        "Verify Endpoint",
        "Configure Autoscaling",
        "Record Version",
        "Notify Succeeded",
    }
    assert {TASK_OF_FILE[p.name] for p in CAPTURED} == expected


@pytest.mark.parametrize("path", CAPTURED, ids=lambda p: p.stem)
def test_a_captured_payload_has_the_shape_and_arguments_the_asl_task_sends(path):
    captured = json.loads(path.read_text())
    expected = payload(TASK_OF_FILE[path.name], {})
    assert set(captured) == set(expected)
    for key, value in expected.items():
        if key not in ("state", "execution", "execution_arn", "token"):
            assert captured[key] == value, key  # the Task's literal arguments


@pytest.mark.parametrize(
    "path", [p for p in CAPTURED if p.name != "initialize.json"], ids=lambda p: p.stem
)
def test_a_captured_state_reads_into_run_state_and_writes_back_unchanged(path):
    captured = json.loads(path.read_text())
    state = RunState.from_event(captured)
    assert state.to_dict() == captured["state"]
    assert state.run.run_number == 1 and state.context.resources.stack == "demo"


def test_the_captured_initialize_payload_is_a_launch_input_not_a_run_state():
    captured = json.loads((STEPS / "initialize.json").read_text())
    inputs = payload_state(captured)
    assert isinstance(inputs, LaunchInput)
    assert inputs.trigger["source"] == "sns" and inputs.overrides == {}


def test_the_last_captured_state_holds_what_every_step_of_the_run_wrote():
    state = RunState.from_event(json.loads((STEPS / "notify_succeeded.json").read_text()))
    assert state.training.status == "Completed" and state.metrics
    assert state.model.name == state.context.names.model
    assert state.version == 1 and state.deployment.extra["endpoint_config"].startswith("demo-v1-")
    assert state.recorded == {"version": 1} and state.autoscaling["scaled"] is False


def test_a_payload_that_is_not_the_asls_shape_is_an_invalid_state_naming_what_is_missing():
    from domain.errors import InvalidState

    with pytest.raises(InvalidState, match="no state document under 'state'"):
        RunState.from_event({"kind": "started"})
    with pytest.raises(InvalidState, match="not a run's state document"):
        RunState.from_event({"state": {"trigger": {"source": "sns"}}})
    captured = json.loads((STEPS / "create_model.json").read_text())
    del captured["state"]["run"]["run_number"]
    with pytest.raises(InvalidState, match="malformed: 'run_number'"):
        RunState.from_event(captured)
