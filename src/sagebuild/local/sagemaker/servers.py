"""The local model servers: one process per production variant, healthy once `/ping` answers.

A framework image (scikit-learn, XGBoost, PyTorch) runs `python -m sagebuild.local.serving`
on the model (ModelDataUrl, extracted) and the inference code (SAGEMAKER_SUBMIT_DIRECTORY or
the model's `code/`); a BYOD image runs its `serve` program under `proot -b <dir>:/opt/ml`.
Each listens on its own free port, given as SAGEMAKER_BIND_TO_PORT, and writes
`endpoints/<endpoint>/<variant>-<n>/server.log`. The model, code and image are fetched as the
model's ExecutionRoleArn. A server that does not pass the ping health check is a `DeployError`
whose message is the endpoint's FailureReason.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagebuild.local import container, images, s3sync
from sagebuild.local.sagemaker.state import Backend, LocalSageMaker
from sagebuild.local.training import byod_problem

#: How long a new model server may take to answer /ping (proot makes BYOD imports slower).
PING_TIMEOUT_SECONDS = 30.0
BYOD_PING_TIMEOUT_SECONDS = 60.0
DEFAULT_SERVING_PORT = 8080  # where a container serves when it ignores SAGEMAKER_BIND_TO_PORT


class DeployError(Exception):
    """A production variant could not start; the message is the endpoint's FailureReason."""


@dataclass(eq=False)
class ModelServer:
    """One running model server process for one production variant."""

    variant: str
    weight: float
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        container.stop(self.process, grace_seconds=3)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ping(port: int, timeout: float = 1.0) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", "/ping")
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


def start_server(
    local: LocalSageMaker, backend: Backend, endpoint: str, variant: dict[str, Any]
) -> ModelServer:
    """Start the server of one production variant and wait until it answers `/ping`."""
    variant_name = variant.get("VariantName", "AllTraffic")
    model = backend._models.get(variant.get("ModelName", ""))
    if model is None:
        raise DeployError(f"Could not find model {variant.get('ModelName')!r}.")
    spec = model.primary_container or (model.containers or [{}])[0]
    uri = spec.get("Image", "")
    image = images.resolve(uri)
    directory = local.endpoint_dir(endpoint) / f"{variant_name}-{uuid.uuid4().hex[:8]}"
    opt_ml = directory / "opt_ml"
    model_dir = opt_ml / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    log_path = directory / "server.log"
    prefix = f"production variant {variant_name} (model {model.model_name})"

    if image.kind == "unknown":
        raise DeployError(f"{prefix}: {images.unavailable_reason(uri)}")
    if not image.is_byod and image.kind not in images.RUNNABLE_FRAMEWORKS:
        raise DeployError(f"{prefix}: framework {image.kind} is not runnable locally")
    if image.kind == "pytorch" and importlib.util.find_spec("torch") is None:
        raise DeployError(f"{prefix}: PyTorch is not installed in the local stack's Python")
    model_data = spec.get("ModelDataUrl")
    # SageMaker pulls the image and loads the model and code as the model's ExecutionRoleArn.
    role_arn = str(getattr(model, "execution_role_arn", "") or "")
    as_role = s3sync.ActingRole(role_arn, "SageMaker") if role_arn else None
    try:
        if as_role is not None:
            from sagebuild.local.iam.enforcer import ENFORCER

            ENFORCER.authorize_image_pull(role_arn, as_role.session_name, uri)
    except PermissionError as denied:
        raise DeployError(f"{prefix}: cannot pull image {uri}: {denied}") from None
    try:
        if model_data:
            s3sync.extract_tar(s3sync.get_bytes(model_data, as_role), model_dir)
    except (s3sync.S3Error, OSError, ValueError) as error:
        raise DeployError(f"{prefix}: cannot get ModelDataUrl {model_data}: {error}") from error

    environment = {str(k): str(v) for k, v in (spec.get("Environment") or {}).items()}
    port = free_port()
    env = dict(os.environ)
    env.update(environment)
    env["SAGEMAKER_BIND_TO_PORT"] = str(port)
    env["SAGEBUILD_BIND_HOST"] = "127.0.0.1"
    env["PYTHONUNBUFFERED"] = "1"
    timeout = PING_TIMEOUT_SECONDS
    if image.is_byod:
        problem = byod_problem(uri, "serve", image.serve)
        if problem:
            raise DeployError(f"{prefix}: {problem}")
        assert image.serve is not None
        env["PYTHONPATH"] = str(image.serve.parent)
        command = container.proot_command(opt_ml, image.serve)
        cwd = image.serve.parent
        timeout = BYOD_PING_TIMEOUT_SECONDS
    else:
        code_dir = _code_dir(environment, directory, model_dir, prefix, as_role)
        command = _serving_command(environment, model_dir, code_dir, port, image.kind)
        env["PYTHONPATH"] = os.pathsep.join([str(code_dir), container.SRC_ROOT])
        cwd = directory
    process = container.launch(command, cwd, env, log_path)
    server = ModelServer(
        variant_name, float(variant.get("InitialVariantWeight") or 1.0), port, process, log_path
    )
    with local.lock:
        local.starting.add(server)
    _wait_for_ping(local, server, f"The primary container for {prefix}", timeout)
    return server


def _code_dir(
    environment: dict[str, str],
    directory: Path,
    model_dir: Path,
    prefix: str,
    as_role: s3sync.ActingRole | None,
) -> Path:
    """The inference code: SAGEMAKER_SUBMIT_DIRECTORY (S3 or a folder), else the model's code/."""
    code_dir = directory / "code"
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
    try:
        if submit.startswith("s3://"):
            s3sync.extract_tar(s3sync.get_bytes(submit, as_role), code_dir)
        elif submit and Path(submit.removeprefix("file://")).is_dir():
            shutil.copytree(submit.removeprefix("file://"), code_dir)
        elif (model_dir / "code").is_dir():
            code_dir = model_dir / "code"
    except (s3sync.S3Error, OSError, ValueError) as error:
        raise DeployError(
            f"{prefix}: cannot get SAGEMAKER_SUBMIT_DIRECTORY {submit}: {error}"
        ) from error
    return code_dir


def _serving_command(
    environment: dict[str, str], model_dir: Path, code_dir: Path, port: int, kind: str
) -> list[str]:
    """`python -m sagebuild.local.serving` for a framework image."""
    program = environment.get("SAGEMAKER_PROGRAM", "")
    command = [
        sys.executable,
        "-m",
        "sagebuild.local.serving",
        "--model-dir",
        str(model_dir),
        "--port",
        str(port),
    ]
    if program:
        command += ["--code-dir", str(code_dir), "--program", program]
    elif kind == "xgboost":
        command += ["--default-accept", "text/csv"]
    return command


def _wait_for_ping(local: LocalSageMaker, server: ModelServer, what: str, timeout: float) -> None:
    """Wait until `server` answers `/ping`; else stop it and raise a DeployError."""
    port, process = server.port, server.process
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            server.stop()
            tail = container.tail(server.log_path, 3)
            hint = (
                f" (another server holds the port: make `serve` listen on "
                f"SAGEMAKER_BIND_TO_PORT={port} instead of a fixed port)"
                if "Address already in use" in tail
                else ""
            )
            raise DeployError(
                f"{what} did not pass the ping health check: "
                f"the model server exited with code {process.returncode}: {tail}{hint}"
            )
        if ping(port, timeout=0.5):
            return
        slow = time.monotonic() > deadline - timeout + 3  # give our port a head start
        if slow and port != DEFAULT_SERVING_PORT and ping(DEFAULT_SERVING_PORT, timeout=0.2):
            server.stop()
            raise DeployError(
                f"{what} did not pass the ping health check: "
                f"its server answers on port {DEFAULT_SERVING_PORT} instead of "
                f"SAGEMAKER_BIND_TO_PORT={port}; make `serve` listen on the port in "
                "SAGEMAKER_BIND_TO_PORT (default 8080), as SageMaker does for every container"
            )
        if time.monotonic() > deadline or local.closed.is_set():
            server.stop()
            raise DeployError(
                f"{what} did not pass the ping health check: "
                f"nothing answered GET /ping on port {port} (SAGEMAKER_BIND_TO_PORT) within "
                f"{timeout:g} s"
            )
        time.sleep(0.05)
