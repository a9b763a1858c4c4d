"""State machines from CloudFormation run in moto's interpreter, as deployed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from helpers import service_role
from local_support import python_function

from sagebuild.local.moto_ext.stepfunctions import apply_substitutions, fast_waits_enabled
from sagebuild.local.stack import LocalStack

APP = Path(__file__).parent / "fixtures" / "sam_app" / "template.yaml"
ROLE = "arn:aws:iam::123456789012:role/sfn"


@pytest.fixture(scope="module")
def stack():
    with LocalStack(APP, stack_name="sfn", local_services=False, fast_waits=True) as deployed:
        yield deployed


def _run(stack, arn: str, payload: dict) -> dict:
    sfn = stack.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("execution still RUNNING after 60 s")


def test_substitutions_replace_only_known_names():
    text = '{"A": "${FnArn}", "B": "${Other}", "C": "${Count}"}'
    assert apply_substitutions(text, {"FnArn": "arn:x", "Count": 3}) == (
        '{"A": "arn:x", "B": "${Other}", "C": "3"}'
    )


def test_cfn_state_machine_is_in_the_executing_backend_with_substitutions(stack):
    definition = stack.client("stepfunctions").describe_state_machine(
        stateMachineArn=stack.outputs["MachineArn"]
    )["definition"]
    assert "${" not in definition
    assert ":function:sfn-EnvAFunction-" in definition


def test_parallel_branches_each_see_only_their_function_environment(stack):
    described = _run(stack, stack.outputs["MachineArn"], {"pause": 0.3})

    assert described["status"] == "SUCCEEDED"
    a, b = json.loads(described["output"])["results"]
    assert (a["color_before_pause"], a["color_after_pause"]) == ("red", "red")
    assert (b["color_before_pause"], b["color_after_pause"]) == ("blue", "blue")
    assert a["only_b"] is None and b["only_a"] is None


def test_retry_and_catch_match_the_exception_class_name(stack):
    described = _run(stack, stack.outputs["MachineArn"], {})

    error = json.loads(described["output"])["error"]
    assert error["Error"] == "BoomError"
    assert json.loads(error["Cause"])["errorMessage"] == "boom on purpose"


def test_fast_waits_skip_wait_states_and_retry_intervals(stack):
    # the machine waits 60 s and retries after 30 s: finishing at all proves the fast waits
    assert fast_waits_enabled()
    assert _run(stack, stack.outputs["MachineArn"], {})["status"] == "SUCCEEDED"


def _choice_machine(stack, name: str, rule: dict) -> str:
    definition = {
        "StartAt": "Ready?",
        "States": {
            "Ready?": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No"},
            "Yes": {"Type": "Pass", "Result": {"answer": "yes"}, "End": True},
            "No": {"Type": "Pass", "Result": {"answer": "no"}, "End": True},
        },
    }
    return stack.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]


def test_choice_on_a_missing_path_fails_with_states_runtime(stack):
    arn = _choice_machine(
        stack, "choice-missing", {"Variable": "$.status", "StringEquals": "Completed"}
    )

    described = _run(stack, arn, {"other": 1})

    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"


def test_choice_is_present_on_a_missing_path_still_takes_the_default(stack):
    arn = _choice_machine(stack, "choice-present", {"Variable": "$.status", "IsPresent": True})

    described = _run(stack, arn, {"other": 1})

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"answer": "no"}


@pytest.fixture
def local():
    with LocalStack(None, local_services=False) as local:
        yield local


def _machine_with_function(local, name: str, handler_source: str, states: dict) -> str:
    """A Lambda function `name` (h.handler = handler_source) and a state machine calling it:
    these states, the first one first, with ${FunctionArn} standing for the function."""
    # What the state machine (invoke) and the function (its SSM writes) do, and nothing else.
    role = service_role(
        local.client("iam"),
        name,
        ["lambda.amazonaws.com", "states.amazonaws.com"],
        [
            {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"},
            {"Effect": "Allow", "Action": "ssm:PutParameter", "Resource": "*"},
        ],
    )
    function = python_function(local, name, role, handler_source)
    definition = json.dumps({"StartAt": next(iter(states)), "States": states})
    return local.client("stepfunctions").create_state_machine(
        name=name,
        definition=apply_substitutions(definition, {"FunctionArn": function}),
        roleArn=role,
    )["stateMachineArn"]


def _until_done(sfn, execution: str, deadline: float) -> dict:
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end"
        time.sleep(0.05)
    return described


ASKER = (
    "import boto3\n"
    "def handler(event, context):\n"
    "    boto3.client('ssm').put_parameter(Name='/t', Type='String', Value=event['token'],"
    " Overwrite=True)\n"
)
INTERRUPTED = (
    "import time\n"
    "def handler(event, context):\n"
    "    time.sleep(1)\n"
    "    raise RuntimeError('interrupted')\n"
)


def test_send_task_failure_keeps_its_cause(local):
    ask = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "${FunctionArn}", "Payload": {"token.$": "$$.Task.Token"}},
        "End": True,
    }
    machine = _machine_with_function(local, "asker", ASKER, {"Ask": ask})
    sfn, ssm = local.client("stepfunctions"), local.client("ssm")
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    deadline = time.monotonic() + 20
    while True:
        try:
            token = ssm.get_parameter(Name="/t")["Parameter"]["Value"]
            break
        except ssm.exceptions.ParameterNotFound:
            assert time.monotonic() < deadline, "the task never asked"
            time.sleep(0.05)
    sfn.send_task_failure(taskToken=token, error="Rejected", cause="not good enough")
    described = _until_done(sfn, execution, deadline)
    assert (described["error"], described["cause"]) == ("Rejected", "not good enough")


def test_a_stopped_execution_is_aborted_even_when_its_task_fails_into_a_catch(local):
    work = {
        "Type": "Task",
        "Resource": "${FunctionArn}",
        "Next": "Done",
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Broke"}],
    }
    states = {
        "Work": work,
        "Broke": {"Type": "Fail", "Error": "Broke"},
        "Done": {"Type": "Succeed"},
    }
    machine = _machine_with_function(local, "stopper", INTERRUPTED, states)
    sfn = local.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    time.sleep(0.3)
    sfn.stop_execution(executionArn=execution, error="Stopped", cause="by the test")
    described = _until_done(sfn, execution, time.monotonic() + 20)
    assert (described["status"], described.get("error"), described.get("cause")) == (
        "ABORTED",
        "Stopped",
        "by the test",
    )
