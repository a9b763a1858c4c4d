"""Known errors become one line on stderr and exit code 2; bugs keep their traceback."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from typer.testing import CliRunner

from sagebuild.cli import app
from sagebuild.cli_support.errors import UserError, one_line

runner = CliRunner()
CLOSED = "http://127.0.0.1:9"  # nothing listens there: no request can leave the machine


@pytest.fixture(autouse=True)
def no_aws_configuration(monkeypatch, tmp_path):
    for key in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "SAGEBUILD_STACK",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("SAGEBUILD_STATE_DIR", str(tmp_path / "state"))


def _assert_one_line(result, text: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert text in result.stderr
    assert "Traceback" not in result.output


def test_missing_credentials_is_one_line():
    result = runner.invoke(
        app, ["--aws", "--region", "us-east-1", "--endpoint-url", CLOSED, "outputs"]
    )
    _assert_one_line(result, "AWS credentials not found")


def test_unreachable_endpoint_is_one_line(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    result = runner.invoke(
        app, ["--aws", "--region", "us-east-1", "--endpoint-url", CLOSED, "history"]
    )
    _assert_one_line(result, "cannot reach")


def test_local_stack_not_running_is_one_line():
    result = runner.invoke(app, ["--local", "status"])
    _assert_one_line(result, "sagebuild local up")


def test_missing_region_is_one_line(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    result = runner.invoke(app, ["--aws", "outputs"])
    _assert_one_line(result, "no AWS region")


def test_bad_set_item_is_one_line():
    result = runner.invoke(
        app, ["--aws", "--region", "us-east-1", "--endpoint-url", CLOSED, "start", "--set", "oops"]
    )
    _assert_one_line(result, "expected KEY=VALUE")


def test_graph_of_a_missing_definition_is_one_line(tmp_path):
    result = runner.invoke(app, ["graph", "--definition", str(tmp_path / "nope.json")])
    _assert_one_line(result, "cannot read")


def test_client_errors_name_the_operation_and_code():
    error = ClientError(
        {"Error": {"Code": "ValidationError", "Message": "Stack with id x does not exist"}},
        "DescribeStacks",
    )
    assert one_line(error) == (
        "DescribeStacks failed: ValidationError: Stack with id x does not exist"
    )
    assert one_line(NoCredentialsError()).startswith("AWS credentials not found")
    assert one_line(UserError("plain")) == "plain"


def test_a_bug_is_not_mapped_so_it_keeps_its_traceback():
    assert one_line(ValueError("bug")) is None


def test_local_status_says_not_running_without_a_server(tmp_path):
    result = runner.invoke(app, ["--state-dir", str(tmp_path), "local", "status", "--json"])
    assert result.exit_code == 0
    assert '"running": false' in result.stdout
