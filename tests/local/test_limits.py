"""AWS limits on the local stack: each one at the limit (accepted) and one past it (AWS's error).

The rules live in `sagebuild.local.moto_ext.limits` (SSM, SNS, Step Functions, Lambda payloads)
and `lambda_runner.LambdaRunner.invoke` (the function Timeout).
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from botocore.exceptions import ClientError
from helpers import service_role, wait_until

from sagebuild.local.moto_ext.limits import (
    LAMBDA_REQUEST_LIMIT,
    LAMBDA_RESPONSE_LIMIT,
    SFN_PAYLOAD_LIMIT,
    SNS_MESSAGE_LIMIT,
    SSM_ADVANCED_VALUE_LIMIT,
    SSM_STANDARD_VALUE_LIMIT,
    sns_message_size,
    ssm_effective_tier,
)
from sagebuild.local.stack import LocalStack

HANDLER = """
import os


def handler(event, context):
    if event.get("respond"):
        return "x" * event["respond"]
    release = event.get("wait_for")
    if release:
        for _ in range(3000):  # blocks until the test releases it (at most 30 s)
            if os.path.exists(release):
                break
            __import__("time").sleep(0.01)
    return {"ok": True}
"""


@pytest.fixture(scope="module")
def local():
    with LocalStack(None, local_services=False) as stack:
        yield stack


@pytest.fixture(scope="module")
def role(local) -> str:
    return service_role(
        local.client("iam"),
        "limits",
        ["lambda.amazonaws.com", "states.amazonaws.com"],
        [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}],
    )


@pytest.fixture(scope="module")
def function(local, role) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("h.py", HANDLER)
    return local.client("lambda").create_function(
        FunctionName="limits",
        Runtime="python3.11",
        Role=role,
        Handler="h.handler",
        Code={"ZipFile": buffer.getvalue()},
        Timeout=1,
    )["FunctionArn"]


def _code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


# --------------------------------------------------------------------------- SSM


def test_ssm_standard_parameter_holds_4096_characters_and_refuses_4097(local):
    ssm = local.client("ssm")
    ssm.put_parameter(Name="/limits/std", Value="a" * SSM_STANDARD_VALUE_LIMIT, Type="String")

    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name="/limits/std", Value="a" * 4097, Type="String", Overwrite=True)

    assert _code(raised.value) == "ValidationException"
    assert "Standard tier parameters support a maximum parameter value of 4096 characters" in (
        str(raised.value)
    )
    assert len(ssm.get_parameter(Name="/limits/std")["Parameter"]["Value"]) == 4096


def test_ssm_advanced_parameter_holds_8192_characters_and_refuses_8193(local):
    ssm = local.client("ssm")
    stored = ssm.put_parameter(
        Name="/limits/adv", Value="a" * SSM_ADVANCED_VALUE_LIMIT, Type="String", Tier="Advanced"
    )

    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(
            Name="/limits/adv", Value="a" * 8193, Type="String", Overwrite=True, Tier="Advanced"
        )

    assert stored["Tier"] == "Advanced"
    assert _code(raised.value) == "ValidationException"
    assert "maximum parameter value of 8192 characters" in str(raised.value)


def test_ssm_advanced_parameter_stays_advanced_and_cannot_be_made_standard(local):
    ssm = local.client("ssm")
    ssm.put_parameter(Name="/limits/up", Value="a" * 5000, Type="String", Tier="Advanced")

    kept = ssm.put_parameter(Name="/limits/up", Value="small", Type="String", Overwrite=True)
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(
            Name="/limits/up", Value="small", Type="String", Overwrite=True, Tier="Standard"
        )

    assert kept["Tier"] == "Advanced"
    assert "can't downgrade a parameter from the advanced-parameter tier" in str(raised.value)


def test_ssm_intelligent_tiering_takes_the_tier_the_value_needs():
    assert ssm_effective_tier("a" * 4096, "Intelligent-Tiering", None) == "Standard"
    assert ssm_effective_tier("a" * 4097, "Intelligent-Tiering", None) == "Advanced"
    assert ssm_effective_tier("a", "Intelligent-Tiering", "Advanced") == "Advanced"
    assert ssm_effective_tier("a", None, "Advanced") == "Advanced"
    assert ssm_effective_tier("a", None, None) == "Standard"


# --------------------------------------------------------------------------- SNS


def test_sns_message_of_262144_bytes_is_published_and_one_byte_more_is_too_long(local):
    sns = local.client("sns")
    topic = sns.create_topic(Name="limits")["TopicArn"]
    two_byte = "é" * (SNS_MESSAGE_LIMIT // 2)  # 131,072 characters, 262,144 bytes

    sns.publish(TopicArn=topic, Message=two_byte)
    with pytest.raises(ClientError) as raised:
        sns.publish(TopicArn=topic, Message=two_byte + "a")

    assert _code(raised.value) == "InvalidParameter"
    assert raised.value.response["Error"]["Message"] == "Invalid parameter: Message too long"


def test_sns_message_attributes_count_toward_the_size(local):
    sns = local.client("sns")
    topic = sns.create_topic(Name="limits-attributes")["TopicArn"]
    attributes = {"kind": {"DataType": "String", "StringValue": "run"}}  # 4 + 6 + 3 bytes
    assert sns_message_size("", {"kind": {"Type": "String", "Value": "run"}}) == 13

    sns.publish(
        TopicArn=topic, Message="a" * (SNS_MESSAGE_LIMIT - 13), MessageAttributes=attributes
    )
    with pytest.raises(ClientError) as raised:
        sns.publish(
            TopicArn=topic, Message="a" * (SNS_MESSAGE_LIMIT - 12), MessageAttributes=attributes
        )

    assert raised.value.response["Error"]["Message"] == "Invalid parameter: Message too long"


# --------------------------------------------------------------------------- Step Functions


def _execute(local, role: str, name: str, definition: dict) -> dict:
    sfn = local.client("stepfunctions")
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]

    def ended() -> dict | None:
        described = sfn.describe_execution(executionArn=execution)
        return None if described["status"] == "RUNNING" else described

    return wait_until(ended, 60, f"execution {name} to end")


def _pass_machine(characters: int) -> dict:
    # The output is the JSON string: the characters and two quotes.
    return {
        "StartAt": "Big",
        "States": {"Big": {"Type": "Pass", "Result": "x" * characters, "End": True}},
    }


def test_state_output_of_262144_bytes_passes_and_one_byte_more_fails_the_execution(local, role):
    at_limit = _execute(local, role, "sfn-at-limit", _pass_machine(SFN_PAYLOAD_LIMIT - 2))
    past = _execute(local, role, "sfn-past-limit", _pass_machine(SFN_PAYLOAD_LIMIT - 1))

    assert at_limit["status"] == "SUCCEEDED"
    assert past["status"] == "FAILED"
    assert past["error"] == "States.DataLimitExceeded"


def _task_machine(function: str, characters: int, catch: list[str]) -> dict:
    return {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": function,
                "Parameters": {"respond": characters},
                "Catch": [{"ErrorEquals": catch, "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "Result": {"caught": True}, "End": True},
        },
    }


def test_a_lambda_result_over_the_quota_is_not_caught_by_states_all(local, role, function):
    at_limit = _execute(
        local, role, "task-at-limit", _task_machine(function, SFN_PAYLOAD_LIMIT - 2, ["States.ALL"])
    )
    uncaught = _execute(
        local, role, "task-all", _task_machine(function, SFN_PAYLOAD_LIMIT - 1, ["States.ALL"])
    )
    named = _execute(
        local,
        role,
        "task-named",
        _task_machine(function, SFN_PAYLOAD_LIMIT - 1, ["States.DataLimitExceeded"]),
    )

    assert at_limit["status"] == "SUCCEEDED"
    assert uncaught["status"] == "FAILED" and uncaught["error"] == "States.DataLimitExceeded"
    assert named["status"] == "SUCCEEDED" and json.loads(named["output"]) == {"caught": True}


# --------------------------------------------------------------------------- Lambda


def _invoke(local, function: str, payload: bytes) -> tuple[bytes, str | None]:
    response = local.client("lambda").invoke(FunctionName=function, Payload=payload)
    return response["Payload"].read(), response.get("FunctionError")


def test_lambda_request_of_6291456_bytes_is_accepted_and_one_byte_more_is_refused(local, function):
    padding = LAMBDA_REQUEST_LIMIT - len(json.dumps({"pad": ""}))
    at_limit = json.dumps({"pad": "x" * padding}).encode()
    assert len(at_limit) == LAMBDA_REQUEST_LIMIT

    body, error = _invoke(local, function, at_limit)
    with pytest.raises(ClientError) as raised:
        _invoke(local, function, json.dumps({"pad": "x" * (padding + 1)}).encode())

    assert error is None and json.loads(body) == {"ok": True}
    assert _code(raised.value) == "RequestEntityTooLargeException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "Request must be smaller than 6291456 bytes for the InvokeFunction operation" in (
        str(raised.value)
    )


def test_lambda_response_of_6291556_bytes_is_returned_and_one_byte_more_is_a_function_error(
    local, function
):
    body, error = _invoke(
        local, function, json.dumps({"respond": LAMBDA_RESPONSE_LIMIT - 2}).encode()
    )
    too_large, too_large_error = _invoke(
        local, function, json.dumps({"respond": LAMBDA_RESPONSE_LIMIT - 1}).encode()
    )

    assert error is None and len(body) == LAMBDA_RESPONSE_LIMIT
    assert too_large_error == "Unhandled"
    assert json.loads(too_large) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        "(6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


def test_a_handler_within_its_timeout_answers_and_one_past_it_is_ended_as_lambda_does(
    local, function, tmp_path
):
    release = tmp_path / "release"
    body, error = _invoke(local, function, b"{}")
    try:
        timed_out, timeout_error = _invoke(
            local, function, json.dumps({"wait_for": str(release)}).encode()
        )
    finally:
        release.touch()  # the handler's thread finishes in the background

    assert error is None and json.loads(body) == {"ok": True}
    assert timeout_error
    payload = json.loads(timed_out)
    assert payload["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(
        r"RequestId: \S+ Error: Task timed out after 1\.00 seconds", payload["errorMessage"]
    )


def test_step_functions_reports_a_timed_out_lambda_as_lambda_unknown(
    local, role, function, tmp_path
):
    release = tmp_path / "release"
    definition = {
        "StartAt": "Slow",
        "States": {
            "Slow": {
                "Type": "Task",
                "Resource": function,
                "Parameters": {"wait_for": str(release)},
                "End": True,
            }
        },
    }
    try:
        described = _execute(local, role, "slow", definition)
    finally:
        release.touch()

    assert described["status"] == "FAILED"
    assert described["error"] == "Lambda.Unknown"
    assert "Task timed out after 1.00 seconds" in described["cause"]
