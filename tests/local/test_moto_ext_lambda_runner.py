"""The in-process Lambda runner: real handler code, own env and own modules per function."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from helpers import service_role

from sagebuild.local.moto_ext.lambda_runner import (
    LambdaContext,
    ThreadEnviron,
    install_thread_environ,
    lambda_environment,
    process_environ,
)
from sagebuild.local.stack import LocalStack
from sagebuild.packaging import build_code_zip

FIXTURES = Path(__file__).parent / "fixtures"
ROLE = "arn:aws:iam::123456789012:role/lambda"


@pytest.fixture(scope="module")
def aws():
    with LocalStack(None, local_services=False) as stack:
        service_role(stack.client("iam"), "lambda", ["lambda.amazonaws.com"])
        yield stack


def _zip(source: Path, tmp: Path) -> bytes:
    return build_code_zip(source, tmp / f"{source.name}.zip").read_bytes()


def _function(aws, name: str, code: bytes, handler: str, env: dict[str, str]) -> str:
    aws.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": code},
        Environment={"Variables": env},
        Timeout=30,
    )
    return name


def _invoke(aws, name: str, payload: dict | None = None) -> tuple[dict, str | None]:
    response = aws.client("lambda").invoke(
        FunctionName=name, Payload=json.dumps(payload or {}).encode()
    )
    return json.loads(response["Payload"].read()), response.get("FunctionError")


def test_thread_environ_overlay_is_visible_only_to_its_thread():
    environ = install_thread_environ()
    seen_elsewhere: list[str | None] = []
    with lambda_environment({"SAGEBUILD_TEST_COLOR": "red"}):
        worker = threading.Thread(
            target=lambda: seen_elsewhere.append(os.environ.get("SAGEBUILD_TEST_COLOR"))
        )
        worker.start()
        worker.join()
        assert os.environ["SAGEBUILD_TEST_COLOR"] == "red"
        assert os.getenv("SAGEBUILD_TEST_COLOR") == "red"
        assert "SAGEBUILD_TEST_COLOR" not in process_environ()
    assert isinstance(environ, ThreadEnviron) and isinstance(environ, os._Environ)
    assert seen_elsewhere == [None]
    assert "SAGEBUILD_TEST_COLOR" not in os.environ


def test_thread_environ_writes_inside_an_overlay_do_not_reach_the_process():
    install_thread_environ()
    with lambda_environment({"SAGEBUILD_TEST_A": "1"}):
        os.environ["SAGEBUILD_TEST_B"] = "2"
        del os.environ["SAGEBUILD_TEST_A"]
        assert "SAGEBUILD_TEST_A" not in os.environ
        assert os.environ.copy()["SAGEBUILD_TEST_B"] == "2"
    assert "SAGEBUILD_TEST_B" not in os.environ


def test_context_reports_remaining_time_from_the_timeout():
    context = LambdaContext("f", "1", "arn", 128, "req", "/aws/lambda/f", "s", 3.0)
    assert 0 < context.get_remaining_time_in_millis() <= 3000


def test_invoke_runs_the_handler_with_the_function_environment(aws, tmp_path):
    code = _zip(FIXTURES / "sam_app" / "functions", tmp_path)
    _function(aws, "runner-red", code, "app.env_echo", {"COLOR": "red", "ONLY_A": "a"})

    result, error = _invoke(aws, "runner-red")

    assert error is None
    assert result["function"] == "runner-red"
    assert result["context_function"] == "runner-red"
    assert result["color_before_pause"] == result["color_at_import"] == "red"
    assert result["only_a"] == "a" and result["only_b"] is None
    assert result["region"] == "us-east-1"


def test_functions_sharing_one_zip_get_their_own_module_instances(aws, tmp_path):
    code = _zip(FIXTURES / "sam_app" / "functions", tmp_path)
    _function(aws, "runner-green", code, "app.env_echo", {"COLOR": "green"})
    _function(aws, "runner-pink", code, "app.env_echo", {"COLOR": "pink"})

    green, _ = _invoke(aws, "runner-green")
    pink, _ = _invoke(aws, "runner-pink")

    # the module-level value is read at import: each function imported its own copy
    assert green["color_at_import"] == "green"
    assert pink["color_at_import"] == "pink"


def test_two_zips_with_the_same_module_name_do_not_share_code(aws, tmp_path):
    _function(
        aws,
        "runner-sam",
        _zip(FIXTURES / "sam_app" / "functions", tmp_path),
        "app.env_echo",
        {"COLOR": "x"},
    )
    _function(aws, "runner-other", _zip(FIXTURES / "other_app", tmp_path), "app.env_echo", {})

    sam, _ = _invoke(aws, "runner-sam")
    other, _ = _invoke(aws, "runner-other")

    assert sam["color_before_pause"] == "x"
    assert other == {"which": "other_app"}


def test_concurrent_invocations_never_see_each_other_environment(aws, tmp_path):
    code = _zip(FIXTURES / "sam_app" / "functions", tmp_path)
    _function(aws, "runner-c1", code, "app.env_echo", {"COLOR": "c1"})
    _function(aws, "runner-c2", code, "app.env_echo", {"COLOR": "c2"})
    results: dict[str, dict] = {}

    def call(name: str) -> None:
        results[name], _ = _invoke(aws, name, {"pause": 0.3})

    threads = [threading.Thread(target=call, args=(n,)) for n in ("runner-c1", "runner-c2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results["runner-c1"]["color_after_pause"] == "c1"
    assert results["runner-c2"]["color_after_pause"] == "c2"


def test_a_raising_handler_reports_the_error_like_lambda(aws, tmp_path):
    code = _zip(FIXTURES / "sam_app" / "functions", tmp_path)
    _function(aws, "runner-boom", code, "app.boom", {})

    result, error = _invoke(aws, "runner-boom")

    assert error == "Handled"
    assert result["errorType"] == "BoomError"
    assert result["errorMessage"] == "boom on purpose"
    assert any("boom" in line for line in result["stackTrace"])


def test_a_missing_handler_module_is_an_import_error(aws, tmp_path):
    code = _zip(FIXTURES / "other_app", tmp_path)
    _function(aws, "runner-missing", code, "nowhere.handler", {})

    result, error = _invoke(aws, "runner-missing")

    assert error == "Handled"
    assert result["errorType"] == "Runtime.ImportModuleError"
