"""The local stack as a background server process, used from another process over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

APP = Path(__file__).parent / "fixtures" / "sam_app" / "template.yaml"
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    state = tmp_path_factory.mktemp("server-state")
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sagebuild.local.server",
            "--port",
            "0",
            "--state-dir",
            str(state),
            "--template",
            str(APP),
            "--stack-name",
            "srv",
            "--no-local-services",
            "--fast-waits",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not (state / "server.port").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                error = (state / "error.txt").read_text() if (state / "error.txt").exists() else ""
                raise AssertionError(f"server did not start: {error}")
            time.sleep(0.1)
        yield process, state
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr:
            process.stderr.close()


def _client(state: Path, service: str):
    port = int((state / "server.port").read_text())
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_server_writes_pid_port_and_outputs(server):
    process, state = server

    assert int((state / "server.pid").read_text()) == process.pid
    outputs = json.loads((state / "outputs.json").read_text())
    assert outputs["RecorderEcho"] == "v1"


def test_state_machine_runs_from_another_process(server):
    _, state = server
    outputs = json.loads((state / "outputs.json").read_text())
    sfn = _client(state, "stepfunctions")

    execution = sfn.start_execution(stateMachineArn=outputs["MachineArn"], input="{}")
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=execution["executionArn"]))[
        "status"
    ] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)

    assert described["status"] == "SUCCEEDED"
    a, b = json.loads(described["output"])["results"]
    assert (a["color_after_pause"], b["color_after_pause"]) == ("red", "blue")


def test_handler_boto3_calls_reach_the_server(server):
    _, state = server
    outputs = json.loads((state / "outputs.json").read_text())

    _client(state, "sns").publish(TopicArn=outputs["TopicArn"], Message="via server")

    value = _client(state, "ssm").get_parameter(Name="/fixture/sns/last")["Parameter"]["Value"]
    assert value == "via server"


def test_sigterm_stops_cleanly_and_removes_the_state_files(server):
    process, state = server

    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=60)

    assert code == 0
    assert not (state / "server.pid").exists()
    assert not (state / "server.port").exists()
