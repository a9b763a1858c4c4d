"""The pipeline ASL is tested like code (STYLE §17)."""

import importlib
import re
from dataclasses import fields

import pytest
from asl_steps import handler_module
from domain.errors import ERROR_NAMES
from domain.state import FLAGS, LOOP_KEYS, RunState
from helpers import load_asl

ASL = load_asl()
STATES = ASL["States"]


def _targets(state: dict) -> list[str]:
    found = [state[k] for k in ("Next", "Default") if k in state]
    found += [c["Next"] for c in state.get("Choices", [])]
    found += [c["Next"] for c in state.get("Catch", [])]
    return found


def test_start_at_exists():
    assert ASL["StartAt"] in STATES


def test_every_target_exists():
    missing = {(name, t) for name, s in STATES.items() for t in _targets(s) if t not in STATES}
    assert missing == set()


def test_every_state_is_reachable():
    seen, todo = set(), [ASL["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_targets(STATES[name]))
    assert set(STATES) - seen == set()


def test_every_non_terminal_state_has_a_way_on():
    for name, state in STATES.items():
        if state["Type"] in ("Succeed", "Fail"):
            continue
        assert _targets(state) or state.get("End"), name


@pytest.mark.parametrize("name", [n for n, s in STATES.items() if s["Type"] == "Task"])
def test_every_task_retries_transient_errors_and_catches_everything(name):
    state = STATES[name]
    assert any("Lambda.ServiceException" in r["ErrorEquals"] for r in state["Retry"])
    assert not any("States.ALL" in r["ErrorEquals"] for r in state["Retry"]), (
        "domain errors retried"
    )
    assert state["Catch"][0]["ErrorEquals"] == ["States.ALL"]


def test_tasks_call_lambda_through_substitutions_only():
    for name, state in STATES.items():
        if state["Type"] != "Task":
            continue
        if state["Resource"].endswith(":lambda:invoke.waitForTaskToken"):
            # the one callback: a Lambda invoke that waits for `sagebuild approve`
            assert state["Resource"] == "arn:${Partition}:states:::lambda:invoke.waitForTaskToken"
            assert re.fullmatch(
                r"\$\{[A-Za-z]+FunctionArn\}", state["Parameters"]["FunctionName"]
            ), name
            assert state["TimeoutSecondsPath"].startswith("$."), "a wait that cannot end"
        else:
            assert re.fullmatch(r"\$\{[A-Za-z]+FunctionArn\}", state["Resource"]), name
        assert ".sync" not in state["Resource"]
    assert "QueryLanguage" not in ASL


def test_wait_states_take_their_seconds_from_the_state():
    waits = {n: s for n, s in STATES.items() if s["Type"] == "Wait"}
    assert waits
    for name, state in waits.items():
        assert "Seconds" not in state and state["SecondsPath"].endswith(".wait_seconds"), name
        assert name.startswith("Wait For ")


def test_choice_states_are_questions_and_read_paths_initialize_sets():
    settable = {f"$.flags.{f}" for f in FLAGS} | {f"$.{k}.status" for k in LOOP_KEYS}
    for name, state in STATES.items():
        if state["Type"] == "Choice":
            assert name.endswith("?"), name
            for choice in state["Choices"]:
                assert choice["Variable"] in settable, (name, choice["Variable"])


def test_custom_error_names_exist_in_errors_module():
    used = set()
    for state in STATES.values():
        for rule in state.get("Retry", []) + state.get("Catch", []):
            used |= {e for e in rule["ErrorEquals"] if "." not in e}
        if state["Type"] == "Pass" and "Error" in state.get("Parameters", {}):
            used.add(state["Parameters"]["Error"])
    assert used <= ERROR_NAMES, used - ERROR_NAMES
    assert used, "the failure Pass states name their error"


def test_failed_deploy_goes_through_clean_up_before_the_failure_notification():
    for name in ("Create Endpoint Config", "Deploy Endpoint", "Poll Endpoint", "Verify Endpoint"):
        assert STATES[name]["Catch"][0]["Next"] == "Clean Up Deploy"
    assert STATES["Endpoint Failed"]["Next"] == "Clean Up Deploy"
    assert STATES["Clean Up Deploy"]["Next"] == "Notify Failed"


def test_the_run_has_a_timeout():
    assert 28 * 24 * 3600 < ASL["TimeoutSeconds"] <= 365 * 24 * 3600


TASKS = [n for n, s in STATES.items() if s["Type"] == "Task"]
# The arguments a Task may send beside the state (read by handlers.common.argument).
TASK_ARGUMENTS = {"kind", "hook", "image", "token", "execution", "execution_arn", "FunctionName"}


def _parameters(state: dict) -> dict:
    parameters = state.get("Parameters", {})
    return parameters.get("Payload", parameters)


@pytest.mark.parametrize("name", TASKS)
def test_every_task_sends_the_one_payload_shape_the_state_under_state(name):
    parameters = _parameters(STATES[name])
    assert parameters.get("state.$") == "$", name
    others = {key.removesuffix(".$") for key in parameters} - {"state"}
    assert others <= TASK_ARGUMENTS, (name, others - TASK_ARGUMENTS)


@pytest.mark.parametrize("name", TASKS)
def test_every_task_names_a_handler_module_and_writes_a_key_of_the_run_state(name):
    module = importlib.import_module(handler_module(name))
    assert callable(module.handler)
    path = STATES[name].get("ResultPath", "$")
    keys = {f.name for f in fields(RunState)}
    if name == "Initialize":
        assert path == "$"  # the whole document: RunState.to_dict()
    else:
        assert path is None or path.removeprefix("$.") in keys, (name, path)
