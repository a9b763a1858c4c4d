"""How the CLI reads runs: real errors and causes, short names, the history table, and where
the local stack's logs are (finding and following a run: test_cli_following.py)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from rich.console import Console

from sagebuild.cli_support import logs, runs
from sagebuild.cli_support.errors import UserError
from sagebuild.cli_support.render import history_table, status_view

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_lambda_error_cause_shows_its_error_message():
    cause = json.dumps(
        {"errorMessage": "invalid parameters: unknown key 'x'", "errorType": "InvalidParameters"}
    )
    assert runs.cause_text(cause) == "invalid parameters: unknown key 'x'"
    assert runs.cause_text("AlgorithmError: ExitCode 2") == "AlgorithmError: ExitCode 2"
    assert runs.cause_text(None) == ""


def test_error_of_prefers_the_state_document_then_the_execution():
    document = {"error": {"Error": "TrainingFailed", "Cause": "bad model"}}
    assert runs.error_of(document, {"error": "Other"}) == ("TrainingFailed", "bad model")
    lambda_error = json.dumps({"errorMessage": "boom", "errorType": "KeyError"})
    assert runs.error_of({"error": {"Error": "", "Cause": ""}}, {"cause": lambda_error}) == (
        "KeyError",
        "boom",
    )
    assert runs.error_of(None, {"error": "States.Timeout", "cause": ""}) == ("States.Timeout", "")


def test_short_names_keep_the_trigger_and_the_start_of_the_message_id():
    assert runs.short_name("sns-b99b4927-ea4f-4a84-9c9d-6ad78c86031d") == "sns-b99b4927"
    assert runs.short_name("queued-0123456789abcdef") == "queued-01234567"
    assert runs.short_name("my-own-very-long-execution-name") == "my-own-very-lon…"
    assert runs.short_name("nightly") == "nightly"


def _row(**extra) -> dict:
    return {
        "run": "sns-b99b4927-ea4f-4a84-9c9d-6ad78c86031d",
        "version": 12,
        "status": "SUCCEEDED",
        "started_at": NOW.isoformat(),
        "duration_seconds": 3725.0,
        "trigger": "sns: " + "a very long reason for this run " * 4,
        "metrics": {"validation:accuracy": 0.912345, "validation:f1": 0.8},
        "endpoint_config": "stack-v12-abcdef",
        "error": "",
        **extra,
    }


@pytest.mark.parametrize("width", [80, 100, 160])
def test_the_history_table_fits_the_terminal_width(width):
    rows = [_row(), _row(status="FAILED", metrics={}, error="TrainingFailed", version=11)]
    buffer = io.StringIO()
    console = Console(file=buffer, width=width)
    console.print(history_table(rows, width))
    lines = buffer.getvalue().splitlines()
    assert max(len(line.rstrip()) for line in lines) <= min(width, 120)
    assert "v12" in lines[2] and "SUCCEEDED" in lines[2] and "sns-b99b4927 " in lines[2]
    assert "1h02m" in lines[2] and "01-02 03:04" in lines[2]
    assert "TrainingFailed" in lines[3]


def _render(view: dict) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=100).print(status_view(view))
    return buffer.getvalue()


def test_the_status_view_shows_version_job_metric_error_and_cause():
    text = _render(
        {
            "run": "sns-1",
            "status": "FAILED",
            "version": 3,
            "elapsed_seconds": 5,
            "path": ["Initialize", "Run Failed"],
            "job": {"kind": "training", "name": "s-v3-abc", "status": "Failed", "detail": "x"},
            "metric": {"accuracy": 0.5},
            "error": "TrainingFailed",
            "cause": "AlgorithmError: ExitCode 2\ntrain.py: error: bad --model",
        }
    )
    assert "v3" in text and "s-v3-abc Failed x" in text and "accuracy=0.5" in text
    assert "TrainingFailed" in text and "train.py: error: bad --model" in text


def test_local_logs_are_read_from_the_servers_work_dir(tmp_path):
    job = tmp_path / "work" / "sagemaker" / "training" / "s-v1-abc"
    job.mkdir(parents=True)
    (job / "training.log").write_text("accuracy=0.97\n")
    assert logs.local_training_log(tmp_path, "s-v1-abc") == "accuracy=0.97\n"
    build = tmp_path / "work" / "codebuild" / "builds" / "s-image-build_1234"
    build.mkdir(parents=True)
    (build / "build.log").write_text("built\n")
    assert logs.local_build_log(tmp_path, "s-image-build:1234") == "built\n"
    with pytest.raises(UserError, match="no local log for training job nope"):
        logs.local_training_log(tmp_path, "nope")


def test_a_tuning_jobs_log_is_the_logs_of_its_training_jobs(tmp_path):
    for n in ("001", "002"):
        job = tmp_path / "work" / "sagemaker" / "training" / f"tune-{n}-ab"
        job.mkdir(parents=True)
        (job / "training.log").write_text(f"job {n}\n")
    text = logs.local_training_log(tmp_path, "tune")
    assert text == "== tune-001-ab\njob 001\n\n== tune-002-ab\njob 002\n"
