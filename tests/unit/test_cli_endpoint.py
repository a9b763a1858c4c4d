"""`sagebuild invoke` and `sagebuild local env`: the request body, the errors, the exports."""

from __future__ import annotations

import io
import shlex

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from typer.testing import CliRunner

from sagebuild.cli import app
from sagebuild.cli_support.aws import Target
from sagebuild.cli_support.endpoint import env_lines, invoke, local_env, request_body
from sagebuild.cli_support.errors import UserError

ENDPOINT = "demo-endpoint"


def _target() -> tuple[Target, Stubber, Stubber]:
    target = Target(stack="demo", region="us-east-1", local=True, endpoint_url="http://x:1")
    target._outputs = {"SageMakerEndpoint": ENDPOINT}
    for service in ("sagemaker", "sagemaker-runtime"):
        target._clients[service] = boto3.client(
            service,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            endpoint_url="http://127.0.0.1:9",
        )
    return (
        target,
        Stubber(target._clients["sagemaker"]),
        Stubber(target._clients["sagemaker-runtime"]),
    )


def _described(status: str, reason: str = "") -> dict:
    answer = {
        "EndpointName": ENDPOINT,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
        "EndpointConfigName": "demo-v1-abc",
        "EndpointStatus": status,
        "CreationTime": "2026-01-01T00:00:00Z",
        "LastModifiedTime": "2026-01-01T00:00:00Z",
    }
    return {**answer, "FailureReason": reason} if reason else answer


# --- the request body ------------------------------------------------------------------------


def test_request_body_is_the_text_of_body_or_the_bytes_of_the_file(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b"1,2\n\xff")
    assert request_body(None, "5.1,3.5") == b"5.1,3.5"
    assert request_body(path, None) == b"1,2\n\xff"


def test_request_body_refuses_both_neither_and_an_unreadable_file(tmp_path):
    with pytest.raises(UserError, match="not both"):
        request_body(tmp_path / "a", "x")
    with pytest.raises(UserError, match="no request body: give --file FILE or --body TEXT"):
        request_body(None, None)
    with pytest.raises(UserError, match=r"cannot read .*nope: No such file or directory"):
        request_body(tmp_path / "nope", None)
    with pytest.raises(UserError, match="cannot read .*: Is a directory"):
        request_body(tmp_path, None)


# --- InvokeEndpoint ------------------------------------------------------------------------


def test_invoke_returns_the_body_and_content_type_of_the_answer():
    target, sagemaker, runtime = _target()
    sagemaker.add_response("describe_endpoint", _described("InService"), {"EndpointName": ENDPOINT})
    runtime.add_response(
        "invoke_endpoint",
        {"Body": StreamingBody(io.BytesIO(b"[0]"), 3), "ContentType": "application/json"},
        {"EndpointName": ENDPOINT, "ContentType": "text/csv", "Body": b"5.1", "Accept": "x/y"},
    )
    with sagemaker, runtime:
        assert invoke(target, b"5.1", "text/csv", "x/y") == (b"[0]", "application/json")


def test_invoke_names_an_endpoint_that_is_not_in_service_and_why():
    target, sagemaker, _ = _target()
    sagemaker.add_response("describe_endpoint", _described("Updating"))
    sagemaker.add_response("describe_endpoint", _described("Failed", "image not found"))
    with sagemaker:
        with pytest.raises(UserError) as updating:
            invoke(target, b"1", "text/csv", None)
        with pytest.raises(UserError) as failed:
            invoke(target, b"1", "text/csv", None)
    assert str(updating.value) == (
        f"endpoint {ENDPOINT} is Updating, not InService on the local stack (http://x:1); "
        "try again once it is InService"
    )
    assert str(failed.value).endswith(
        "is Failed, not InService on the local stack (http://x:1): image not found"
    )


def test_invoke_names_an_endpoint_that_does_not_exist():
    target, sagemaker, _ = _target()
    sagemaker.add_client_error(
        "describe_endpoint", "ValidationException", f'Could not find endpoint "{ENDPOINT}".'
    )
    with sagemaker, pytest.raises(UserError, match=f"endpoint {ENDPOINT} does not exist on the"):
        invoke(target, b"1", "text/csv", None)


def test_invoke_turns_a_model_error_into_the_models_own_message():
    target, sagemaker, runtime = _target()
    sagemaker.add_response("describe_endpoint", _described("InService"))
    runtime.add_client_error(
        "invoke_endpoint",
        "ModelError",
        'Received client error (415) from primary with message "unsupported".',
        http_status_code=424,
        modeled_fields={"OriginalStatusCode": 415, "OriginalMessage": "unsupported\ncontent type"},
    )
    with sagemaker, runtime, pytest.raises(UserError) as error:
        invoke(target, b"1", "image/png", None)
    assert str(error.value) == (
        f"the model of endpoint {ENDPOINT} answered an error (415): unsupported content type"
    )


# --- local env -----------------------------------------------------------------------------


def test_env_lines_export_the_endpoint_dummy_keys_and_region_for_a_posix_shell():
    lines = env_lines("http://127.0.0.1:4567")
    assert lines[0] == "unset AWS_PROFILE AWS_SESSION_TOKEN"
    exported = dict(shlex.split(line)[1].split("=", 1) for line in lines[1:])
    assert (
        exported
        == local_env("http://127.0.0.1:4567")
        == {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:4567",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }
    )
    assert env_lines("http://h:1/a b")[1] == "export AWS_ENDPOINT_URL='http://h:1/a b'"


def test_local_env_takes_the_explicit_endpoint_url_and_region(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "--state-dir",
            str(tmp_path),
            "--endpoint-url",
            "http://127.0.0.1:1",
            "--region",
            "eu-west-1",
            "local",
            "env",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:1\n" in result.stdout
    assert "export AWS_REGION=eu-west-1\n" in result.stdout


def test_invoke_without_a_body_is_refused_before_any_request(tmp_path):
    result = CliRunner().invoke(app, ["--local", "--state-dir", str(tmp_path), "invoke"])
    assert result.exit_code == 2
    assert result.stderr == "error: no request body: give --file FILE or --body TEXT\n"
