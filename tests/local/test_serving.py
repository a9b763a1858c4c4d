"""The local model server (sagebuild.local.serving): handler defaults and the HTTP program."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import joblib
import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from sagebuild.local import serving

ROOT = Path(__file__).resolve().parents[2]
IRIS = ROOT / "examples" / "iris"


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    rows = np.loadtxt(IRIS / "iris.csv", delimiter=",")
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(rows[:, 1:], rows[:, 0])
    directory = tmp_path / "model"
    directory.mkdir()
    joblib.dump(model, directory / "model.joblib")
    return directory


def test_default_input_fn_reads_csv_as_two_dimensional_floats() -> None:
    data = serving.default_input_fn(b"1,2,3,4\n5,6,7,8\n", "text/csv")

    assert data.shape == (2, 4)
    assert data.dtype == float


def test_default_input_fn_reads_json_instances_as_a_list() -> None:
    data = serving.default_input_fn(b'{"instances": [[1, 2, 3, 4]]}', "application/json")

    assert data == [[1, 2, 3, 4]]


def test_default_input_fn_refuses_unknown_content_types() -> None:
    with pytest.raises(serving.HandlerError) as error:
        serving.default_input_fn(b"x", "image/png")

    assert error.value.status == 415


def test_default_output_fn_writes_json_or_csv_by_accept() -> None:
    prediction = np.array([0.0, 2.0])

    assert serving.default_output_fn(prediction, "application/json") == (
        b"[0.0, 2.0]",
        "application/json",
    )
    assert serving.default_output_fn(prediction, "text/csv") == (b"0.0\n2.0\n", "text/csv")
    with pytest.raises(serving.HandlerError):
        serving.default_output_fn(prediction, "application/xml")


def test_predictor_uses_default_handlers_with_a_joblib_model(model_dir: Path) -> None:
    predictor = serving.Predictor(str(model_dir))

    body, kind = predictor.invoke(b"5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3", "text/csv", "")

    assert (json.loads(body), kind) == ([0.0, 2.0], "application/json")


def test_predictor_prefers_the_user_module_handlers(model_dir: Path) -> None:
    module = ModuleType("user")
    module.input_fn = lambda body, content_type: [[float(v) for v in body.split(b",")]]  # type: ignore[attr-defined]
    module.output_fn = lambda prediction, accept: (f"class={int(prediction[0])}", "text/plain")  # type: ignore[attr-defined]
    predictor = serving.Predictor(str(model_dir), module)

    body, kind = predictor.invoke(b"6.7,3.0,5.2,2.3", "text/anything", "text/plain")

    assert (body, kind) == (b"class=2", "text/plain")


def test_default_model_fn_names_what_it_found_when_there_is_no_model(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")

    with pytest.raises(FileNotFoundError, match="notes.txt"):
        serving.default_model_fn(str(tmp_path))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server(model_dir: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    src = str(ROOT / "src")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sagebuild.local.serving",
            "--model-dir",
            str(model_dir),
            "--code-dir",
            str(IRIS),
            "--program",
            "train.py",
            "--port",
            str(port),
        ],
        env={**os.environ, "PYTHONPATH": src, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _request(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request(method, path, body=body, headers={"Content-Type": "text/csv"})
    response = connection.getresponse()
    result = response.status, response.read()
    connection.close()
    return result


def test_server_program_answers_ping_and_invocations(model_dir: Path) -> None:
    port = _free_port()
    process = _server(model_dir, port)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, _ = _request(port, "GET", "/ping")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)

        _, predictions = _request(port, "POST", "/invocations", b"5.1,3.5,1.4,0.2")
        bad_status, bad_body = _request(port, "POST", "/invocations", b"x,y")

        assert status == 200
        assert json.loads(predictions) == [0.0]
        assert bad_status == 500
        assert b"ValueError" in bad_body
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_server_program_exits_when_the_model_cannot_load(tmp_path: Path) -> None:
    (tmp_path / "model.joblib").write_bytes(b"not a model")

    process = _server(tmp_path, _free_port())
    output, _ = process.communicate(timeout=30)

    assert process.returncode == 1
    assert b"model server cannot start" in output


def test_server_program_fail_hook_exits_at_start(model_dir: Path) -> None:
    process = _server(model_dir, _free_port(), SAGEBUILD_LOCAL_FAIL="1")
    output, _ = process.communicate(timeout=30)

    assert process.returncode == 1
    assert b"SAGEBUILD_LOCAL_FAIL" in output
