"""One local training job, following the SageMaker training contract.

A job directory stands in for the container's `/opt/ml` (`container`):
`input/config/{hyperparameters,resourceconfig,inputdataconfig}.json`, `input/data/<channel>/`
(downloaded from S3), `model/`, `output/`, `output/data/`, `output/failure`. What runs in it
depends on the image (`sagebuild.local.images`):

- script mode (scikit-learn, XGBoost or PyTorch framework image with `sagemaker_program`): the
  submitted directory's entry point, run with this Python, `--<hp> <value>` arguments and the
  `SM_*` variables of the SageMaker training toolkit;
- the built-in XGBoost algorithm: `python -m sagebuild.local.builtin_xgboost <dir>`;
- a BYOD image: its `train` program under `proot -b <dir>:/opt/ml`.

After the program, `model/` goes to `<S3OutputPath>/<job>/output/model.tar.gz`. The log is one
file per job; `MetricDefinitions` regexes run over it (last value wins).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagebuild.local import container, images, s3sync
from sagebuild.local.builtin_xgboost import builtin_xgboost_metrics
from sagebuild.local.container import (
    decode_hyperparameters,
    parse_metrics,
    tail,
    to_cmd_args,
    truncate,
)

StatusCallback = Callable[[str, str, str], None]


class JobError(Exception):
    """The job cannot run; the message is the job's FailureReason."""


def byod_problem(uri: str, role: str, program: Path | None) -> str | None:
    """Why the BYOD image `uri` cannot run its `role` program (train or serve, found at
    `program`) locally, or None when it can."""
    if program is None:
        return f"image {uri} has no `{role}` program in its build context"
    if shutil.which("proot") is None:
        return (
            f"image {uri} is a BYOD image; running its `{role}` program locally needs "
            "proot to map /opt/ml (apt-get install proot)"
        )
    return None


@dataclass
class TrainingOutcome:
    """How a job ended: `Completed`, `Failed` or `Stopped`."""

    status: str
    secondary_status: str
    failure_reason: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    model_artifact: str | None = None


def kms_key_arn(key: str, account: str = "123456789012", region: str = "us-east-1") -> str | None:
    """The ARN of an emulated KMS key named by id, ARN, alias or alias ARN (None: no such key)."""
    from moto.kms.models import kms_backends

    if key.startswith("arn:"):
        parts = key.split(":")
        account, region = parts[4], parts[3]
    backend = kms_backends[account][region]
    try:
        return str(backend.describe_key(key).arn)
    except Exception:  # noqa: BLE001 - moto raises NotFoundException and friends
        return None


class TrainingRun:
    """Runs one CreateTrainingJob request in `job_dir`; `run()` blocks, `stop()` interrupts."""

    def __init__(
        self,
        name: str,
        request: dict[str, Any],
        job_dir: Path,
        on_status: StatusCallback | None = None,
    ) -> None:
        self.name = name
        self.request = request
        self.job_dir = job_dir
        self.opt_ml = job_dir / "opt_ml"
        self.log_path = job_dir / "training.log"
        self.on_status = on_status or (lambda _primary, _secondary, _message: None)
        # SageMaker reads the channels and writes the model as the job's role (session
        # "SageMaker"); with the local stack's IAM on, s3sync authorises each access for it.
        role_arn = str(request.get("RoleArn") or "")
        self.as_role = s3sync.ActingRole(role_arn, "SageMaker") if role_arn else None
        self._stop = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._builtin = False

    # -- control -------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the job to stop (StopTrainingJob): SIGTERM to the program, then SIGKILL."""
        self._stop.set()
        container.stop(self._process, grace_seconds=2)

    # -- the job -------------------------------------------------------------------------

    def log(self, message: str) -> None:
        with self.log_path.open("a") as handle:
            handle.write(f"[sagebuild] {message}\n")

    def run(self) -> TrainingOutcome:
        """Run the job to its end; never raises."""
        self.job_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.touch()
        try:
            self.on_status("InProgress", "Starting", "Preparing the instances for training")
            command, cwd, env = self._prepare()
            if self._stop.is_set():
                return TrainingOutcome("Stopped", "Stopped")
            self.on_status("InProgress", "Training", "Training image download completed.")
            outcome = self._execute(command, cwd, env)
        except JobError as error:
            self.log(f"failed: {error}")
            return TrainingOutcome("Failed", "Failed", truncate(str(error)))
        except Exception as error:  # noqa: BLE001 - every error must end the job, not the thread
            self.log(f"internal error: {error!r}")
            return TrainingOutcome("Failed", "Failed", truncate(f"InternalServerError: {error}"))
        return outcome

    def _prepare(self) -> tuple[list[str], Path, dict[str, str]]:
        spec = self.request.get("AlgorithmSpecification") or {}
        uri = spec.get("TrainingImage") or ""
        image = images.resolve(uri)
        self._authorize_pull(uri)
        self._use_volume_key()
        hps = decode_hyperparameters(self.request.get("HyperParameters"))
        program = hps.get("sagemaker_program")
        self.log(f"job {self.name}: image {uri} ({image.kind})")

        for sub in ("input/config", "input/data", "model", "output/data", "code"):
            (self.opt_ml / sub).mkdir(parents=True, exist_ok=True)
        failure = self.opt_ml / "output" / "failure"
        failure.unlink(missing_ok=True)

        # Decide what runs before downloading anything: an impossible job fails fast.
        if image.kind == "unknown":
            raise JobError(images.unavailable_reason(uri))
        if image.kind not in images.RUNNABLE_FRAMEWORKS and not image.is_byod:
            raise JobError(
                f"framework {image.kind} (image {uri}) is not runnable locally: the local stack "
                "runs scikit-learn, xgboost, pytorch and BYOD images"
            )
        if image.kind == "pytorch" and importlib.util.find_spec("torch") is None:
            raise JobError(
                f"image {uri} needs PyTorch, which is not installed in the local stack's "
                "Python (pip install torch to run pytorch jobs locally)"
            )
        if image.is_byod:
            problem = byod_problem(uri, "train", image.train)
            if problem:
                raise JobError(problem)
        elif not program and image.kind != "xgboost":
            raise JobError(
                f"image {uri} runs in script mode and needs the sagemaker_program hyperparameter"
            )

        self.on_status("InProgress", "Downloading", "Downloading input data")
        container.write_config(self.opt_ml, self.request)
        self._download_channels()

        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env["TRAINING_JOB_NAME"] = self.name
        python = sys.executable
        if image.is_byod:
            assert image.train is not None
            env["PYTHONPATH"] = os.pathsep.join([str(image.train.parent), container.SRC_ROOT])
            return container.proot_command(self.opt_ml, image.train), image.train.parent, env
        if image.kind == "xgboost" and not program:
            self._builtin = True
            env["PYTHONPATH"] = container.SRC_ROOT
            return (
                [python, "-m", "sagebuild.local.builtin_xgboost", str(self.opt_ml)],
                self.job_dir,
                env,
            )
        code_dir = self.opt_ml / "code"
        self._fetch_code(str(hps.get("sagemaker_submit_directory") or ""), code_dir)
        entry = code_dir / str(program)
        if not entry.is_file():
            raise JobError(f"entry point {program} not found in sagemaker_submit_directory")
        user_hps = {k: v for k, v in hps.items() if not k.startswith("sagemaker_")}
        env.update(
            container.sm_environment(
                self.name,
                self.opt_ml,
                [c["ChannelName"] for c in self._channels()],
                user_hps,
                str(program),
                str(hps.get("sagemaker_submit_directory", "")),
            )
        )
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(code_dir), os.environ.get("PYTHONPATH", "")) if p
        )
        return [python, str(entry), *to_cmd_args(user_hps)], code_dir, env

    def _channels(self) -> list[dict[str, Any]]:
        return list(self.request.get("InputDataConfig") or [])

    def _authorize_pull(self, uri: str) -> None:
        from sagebuild.local.iam.enforcer import ENFORCER, AccessDenied

        if self.as_role is None:
            return
        try:
            ENFORCER.authorize_image_pull(self.as_role.role_arn, self.as_role.session_name, uri)
        except AccessDenied as denied:
            raise JobError(f"ClientError: cannot pull the training image {uri}: {denied}") from None

    def _use_volume_key(self) -> None:
        """`ResourceConfig.VolumeKmsKeyId`: the key must exist, and SageMaker encrypts the
        training volume through a grant it creates as the job's role (SageMaker Developer
        Guide, "Encrypt output data and storage volume with AWS KMS": kms:CreateGrant)."""
        from sagebuild.local.iam.enforcer import ENFORCER, AccessDenied

        key = str((self.request.get("ResourceConfig") or {}).get("VolumeKmsKeyId") or "")
        if not key:
            return
        key_arn = kms_key_arn(key)
        if key_arn is None:
            raise JobError(f"ClientError: VolumeKmsKeyId {key}: the KMS key does not exist")
        if self.as_role is None:
            return
        region = key_arn.split(":")[3]
        try:
            ENFORCER.authorize_as_role(
                self.as_role.role_arn,
                self.as_role.session_name,
                "kms:CreateGrant",
                key_arn,
                {"kms:ViaService": f"sagemaker.{region}.amazonaws.com"},
            )
        except AccessDenied as denied:
            raise JobError(f"ClientError: cannot use VolumeKmsKeyId {key}: {denied}") from None
        self.log(f"training volume encrypted with {key_arn}")

    def _download_channels(self) -> None:
        for channel in self._channels():
            name = channel["ChannelName"]
            source = channel.get("DataSource", {}).get("S3DataSource") or {}
            uri = source.get("S3Uri", "")
            if source.get("S3DataType", "S3Prefix") != "S3Prefix":
                raise JobError(
                    f"channel {name}: S3DataType {source.get('S3DataType')} is not supported "
                    "locally (use S3Prefix)"
                )
            if name in ("", ".", "..") or "/" in name:
                raise JobError(f"ClientError: ChannelName {name!r} cannot be a directory name")
            self.log(f"downloading channel {name} from {uri}")
            try:
                # A key that cannot be a path under the channel fails the job (UnsafePathError).
                s3sync.download_prefix(uri, self.opt_ml / "input" / "data" / name, self.as_role)
            except s3sync.S3Error as error:
                raise JobError(f"ClientError: channel {name}: {error}") from error

    def _fetch_code(self, location: str, code_dir: Path) -> None:
        if not location:
            raise JobError("script mode needs the sagemaker_submit_directory hyperparameter")
        self.log(f"downloading code from {location}")
        try:
            if location.startswith("s3://"):
                s3sync.extract_tar(s3sync.get_bytes(location, self.as_role), code_dir)
            elif Path(location.removeprefix("file://")).is_dir():
                shutil.copytree(location.removeprefix("file://"), code_dir, dirs_exist_ok=True)
            else:
                s3sync.extract_tar(Path(location.removeprefix("file://")).read_bytes(), code_dir)
        except (s3sync.S3Error, OSError, ValueError) as error:
            raise JobError(
                f"ClientError: cannot get sagemaker_submit_directory: {error}"
            ) from error

    def _execute(self, command: list[str], cwd: Path, env: dict[str, str]) -> TrainingOutcome:
        limit = float(
            (self.request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or 86400
        )
        self.log("running " + " ".join(command))
        process = self._process = container.launch(command, cwd, env, self.log_path)
        deadline = time.monotonic() + limit
        timed_out = False
        while process.poll() is None:
            if self._stop.is_set():
                break
            if time.monotonic() >= deadline:
                timed_out = True
                break
            self._stop.wait(0.05)
        container.stop(process, grace_seconds=2)
        code = process.wait()
        self.log(f"program exited with code {code}")

        if timed_out:
            outcome = TrainingOutcome(
                "Stopped",
                "MaxRuntimeExceeded",
                f"MaxRuntimeExceeded: Training job exceeded MaxRuntimeInSeconds provided "
                f"({limit:g} s)",
            )
        elif self._stop.is_set():
            outcome = TrainingOutcome("Stopped", "Stopped")
        elif code != 0:
            failure = self.opt_ml / "output" / "failure"
            reason = failure.read_text(errors="replace").strip() if failure.is_file() else ""
            if not reason:
                reason = f"AlgorithmError: ExitCode {code}\n{tail(self.log_path)}"
            return TrainingOutcome("Failed", "Failed", truncate(reason), self._metrics())
        else:
            outcome = TrainingOutcome("Completed", "Completed")

        outcome.metrics = self._metrics()
        if outcome.status == "Completed" or any((self.opt_ml / "model").iterdir()):
            if outcome.status == "Completed":
                self.on_status("InProgress", "Uploading", "Uploading generated training model")
            outcome.model_artifact = self._upload()
        return outcome

    def _metrics(self) -> dict[str, float]:
        log = self.log_path.read_text(errors="replace")
        definitions = (self.request.get("AlgorithmSpecification") or {}).get("MetricDefinitions")
        metrics = builtin_xgboost_metrics(log) if self._builtin else {}
        metrics.update(parse_metrics(log, definitions or []))
        return metrics

    def _upload(self) -> str:
        output = (self.request.get("OutputDataConfig") or {}).get("S3OutputPath", "").rstrip("/")
        base = f"{output}/{self.name}/output"
        model_uri = f"{base}/model.tar.gz"
        data_dir = self.opt_ml / "output" / "data"
        try:
            s3sync.put_bytes(model_uri, s3sync.tar_directory(self.opt_ml / "model"), self.as_role)
            self.log(f"uploaded {model_uri}")
            if any(data_dir.iterdir()):
                s3sync.put_bytes(
                    f"{base}/output.tar.gz", s3sync.tar_directory(data_dir), self.as_role
                )
        except s3sync.S3Error as error:
            raise JobError(f"ClientError: cannot upload the model artifacts: {error}") from error
        return model_uri
