"""One local training job, following the SageMaker training contract.

A job directory stands in for the container's `/opt/ml`:
`input/config/{hyperparameters,resourceconfig,inputdataconfig}.json`, `input/data/<channel>/`
(downloaded from S3), `model/`, `output/`, `output/data/`, `output/failure`. What runs in it
depends on the image (`sagebuild.local.images`):

- script mode (scikit-learn, XGBoost or PyTorch framework image with `sagemaker_program`): the
  submitted directory's entry point, run with this Python, `--<hp> <value>` arguments and the
  `SM_*` variables of the SageMaker training toolkit;
- the built-in XGBoost algorithm: `python -m sagebuild.local.training xgboost <dir>`, a small
  trainer with the algorithm's contract (label-first CSV or libsvm in `train`, optional
  `validation`, `num_round` and booster hyperparameters, `[i]#011train-rmse:...` log lines,
  `xgboost-model` in the model directory);
- a BYOD image: its `train` program under `proot -b <dir>:/opt/ml`.

After the program, `model/` goes to `<S3OutputPath>/<job>/output/model.tar.gz`. The log is one
file per job; `MetricDefinitions` regexes run over it (last value wins). Only stdlib imports at
module level: the module is also the built-in XGBoost program.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagebuild.local import images, s3sync

HOST = "algo-1"
FAILURE_REASON_LIMIT = 1024
_SRC_ROOT = str(Path(__file__).resolve().parents[2])
_NUMBER = r"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"

StatusCallback = Callable[[str, str, str], None]


class JobError(Exception):
    """The job cannot run; the message is the job's FailureReason."""


@dataclass
class TrainingOutcome:
    """How a job ended: `Completed`, `Failed` or `Stopped`."""

    status: str
    secondary_status: str
    failure_reason: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    model_artifact: str | None = None


def decode_hyperparameters(raw: dict[str, str] | None) -> dict[str, Any]:
    """JSON-decode each value like the SageMaker training toolkit (raw string if not JSON)."""
    decoded: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        try:
            decoded[key] = json.loads(value)
        except (TypeError, ValueError):
            decoded[key] = value
    return decoded


def to_cmd_args(hyperparameters: dict[str, Any]) -> list[str]:
    """`{"max_depth": 3}` → `["--max_depth", "3"]`, sorted by name, like the toolkit."""
    args: list[str] = []
    for key in sorted(hyperparameters):
        value = hyperparameters[key]
        text = json.dumps(value) if isinstance(value, dict | list) else str(value)
        args += [f"--{key}", text]
    return args


def parse_metrics(log: str, definitions: list[dict[str, str]]) -> dict[str, float]:
    """Apply `MetricDefinitions` regexes to the log; the last match of each metric wins."""
    metrics: dict[str, float] = {}
    for definition in definitions or []:
        try:
            pattern = re.compile(definition["Regex"])
        except (KeyError, re.error):
            continue
        for match in pattern.finditer(log):
            try:
                metrics[definition["Name"]] = float(match.group(1))
            except (IndexError, TypeError, ValueError):
                continue
    return metrics


def builtin_xgboost_metrics(log: str) -> dict[str, float]:
    """The built-in algorithm's own metrics: `[i]#011validation-error:0.1` → validation:error."""
    metrics: dict[str, float] = {}
    for line in log.splitlines():
        if not re.match(r"^\[\d+\]", line):
            continue
        for part in line.split("#011")[1:]:
            match = re.match(rf"^(\w+)-([\w@.]+):({_NUMBER})", part.strip())
            if match:
                metrics[f"{match.group(1)}:{match.group(2)}"] = float(match.group(3))
    return metrics


def _truncate(text: str) -> str:
    text = text.strip()
    return text if len(text) <= FAILURE_REASON_LIMIT else text[: FAILURE_REASON_LIMIT - 3] + "..."


def _tail(path: Path, lines: int = 5) -> str:
    try:
        content = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(line for line in content[-lines:] if not line.startswith("[sagebuild]"))


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
        self.on_status = on_status or (lambda primary, secondary, message: None)
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
        self._terminate()

    def _terminate(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=2)
        except (ProcessLookupError, PermissionError):
            pass
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

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
            return TrainingOutcome("Failed", "Failed", _truncate(str(error)))
        except Exception as error:  # noqa: BLE001 - every error must end the job, not the thread
            self.log(f"internal error: {error!r}")
            return TrainingOutcome("Failed", "Failed", _truncate(f"InternalServerError: {error}"))
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
            if image.train is None:
                raise JobError(f"image {uri} has no `train` program in its build context")
            if shutil.which("proot") is None:
                raise JobError(
                    f"image {uri} is a BYOD image; running its `train` program locally needs "
                    "proot to map /opt/ml (apt-get install proot)"
                )
        elif not program and image.kind != "xgboost":
            raise JobError(
                f"image {uri} runs in script mode and needs the sagemaker_program hyperparameter"
            )

        self.on_status("InProgress", "Downloading", "Downloading input data")
        self._write_config(hps)
        self._download_channels()

        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env["TRAINING_JOB_NAME"] = self.name
        python = sys.executable
        if image.is_byod:
            assert image.train is not None
            env["PYTHONPATH"] = os.pathsep.join([str(image.train.parent), _SRC_ROOT])
            return (
                [
                    "proot",
                    "-b",
                    f"{self.opt_ml.resolve()}:/opt/ml",
                    *self._interpreter(image.train),
                ],
                image.train.parent,
                env,
            )
        if image.kind == "xgboost" and not program:
            self._builtin = True
            env["PYTHONPATH"] = _SRC_ROOT
            return (
                [python, "-m", "sagebuild.local.training", "xgboost", str(self.opt_ml)],
                self.job_dir,
                env,
            )
        code_dir = self.opt_ml / "code"
        self._fetch_code(str(hps.get("sagemaker_submit_directory") or ""), code_dir)
        entry = code_dir / str(program)
        if not entry.is_file():
            raise JobError(f"entry point {program} not found in sagemaker_submit_directory")
        user_hps = {k: v for k, v in hps.items() if not k.startswith("sagemaker_")}
        env.update(self._sm_environment(user_hps, str(program), hps))
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(code_dir), os.environ.get("PYTHONPATH", "")) if p
        )
        return [python, str(entry), *to_cmd_args(user_hps)], code_dir, env

    @staticmethod
    def _interpreter(program: Path) -> list[str]:
        """Run a Python `train`/`serve` with this Python (the image's packages live here)."""
        try:
            first = program.read_text(errors="replace").splitlines()[0]
        except (OSError, IndexError):
            first = ""
        if first.startswith("#!") and "python" not in first:
            return [str(program)]
        return [sys.executable, str(program)]

    def _channels(self) -> list[dict[str, Any]]:
        return list(self.request.get("InputDataConfig") or [])

    def _write_config(self, hps: dict[str, Any]) -> None:
        config = self.opt_ml / "input" / "config"
        raw = self.request.get("HyperParameters") or {}
        (config / "hyperparameters.json").write_text(json.dumps(raw, indent=2))
        resource = {"current_host": HOST, "hosts": [HOST], "network_interface_name": "eth0"}
        (config / "resourceconfig.json").write_text(json.dumps(resource, indent=2))
        channels = {
            c["ChannelName"]: {
                "ContentType": c.get("ContentType", ""),
                "TrainingInputMode": c.get("InputMode")
                or (self.request.get("AlgorithmSpecification") or {}).get(
                    "TrainingInputMode", "File"
                ),
                "S3DistributionType": (c.get("DataSource", {}).get("S3DataSource") or {}).get(
                    "S3DataDistributionType", "FullyReplicated"
                ),
                "RecordWrapperType": c.get("RecordWrapperType", "None"),
            }
            for c in self._channels()
        }
        (config / "inputdataconfig.json").write_text(json.dumps(channels, indent=2))

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

    def _sm_environment(
        self, user_hps: dict[str, Any], program: str, hps: dict[str, Any]
    ) -> dict[str, str]:
        channels = sorted(c["ChannelName"] for c in self._channels())
        data = self.opt_ml / "input" / "data"
        channel_dirs = {name: str(data / name) for name in channels}
        training_env = {
            "job_name": self.name,
            "hosts": [HOST],
            "current_host": HOST,
            "num_cpus": os.cpu_count() or 1,
            "num_gpus": 0,
            "hyperparameters": user_hps,
            "channel_input_dirs": channel_dirs,
            "model_dir": str(self.opt_ml / "model"),
            "output_dir": str(self.opt_ml / "output"),
            "output_data_dir": str(self.opt_ml / "output" / "data"),
            "input_dir": str(self.opt_ml / "input"),
            "input_config_dir": str(self.opt_ml / "input" / "config"),
            "input_data_config": json.loads(
                (self.opt_ml / "input/config/inputdataconfig.json").read_text()
            ),
            "resource_config": {"current_host": HOST, "hosts": [HOST]},
            "module_name": program.removesuffix(".py"),
            "user_entry_point": program,
            "module_dir": str(hps.get("sagemaker_submit_directory", "")),
        }
        env = {
            "SM_MODEL_DIR": training_env["model_dir"],
            "SM_OUTPUT_DIR": training_env["output_dir"],
            "SM_OUTPUT_DATA_DIR": training_env["output_data_dir"],
            "SM_INPUT_DIR": training_env["input_dir"],
            "SM_INPUT_CONFIG_DIR": training_env["input_config_dir"],
            "SM_CHANNELS": json.dumps(channels),
            "SM_HPS": json.dumps(user_hps),
            "SM_HOSTS": json.dumps([HOST]),
            "SM_CURRENT_HOST": HOST,
            "SM_NUM_CPUS": str(training_env["num_cpus"]),
            "SM_NUM_GPUS": "0",
            "SM_USER_ENTRY_POINT": program,
            "SM_MODULE_NAME": training_env["module_name"],
            "SM_MODULE_DIR": training_env["module_dir"],
            "SM_LOG_LEVEL": "20",
            "SM_TRAINING_ENV": json.dumps(training_env),
        }
        for name, path in channel_dirs.items():
            env[f"SM_CHANNEL_{name.upper()}"] = path
        for key, value in user_hps.items():
            env[f"SM_HP_{key.upper()}"] = value if isinstance(value, str) else json.dumps(value)
        return env

    def _execute(self, command: list[str], cwd: Path, env: dict[str, str]) -> TrainingOutcome:
        limit = float(
            (self.request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds") or 86400
        )
        self.log("running " + " ".join(command))
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            deadline = time.monotonic() + limit
            timed_out = False
            while self._process.poll() is None:
                if self._stop.is_set():
                    self._terminate()
                    break
                if time.monotonic() >= deadline:
                    timed_out = True
                    self._terminate()
                    break
                self._stop.wait(0.05)
            code = self._process.wait()
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
                reason = f"AlgorithmError: ExitCode {code}\n{_tail(self.log_path)}"
            return TrainingOutcome("Failed", "Failed", _truncate(reason), self._metrics())
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


# -- the built-in XGBoost algorithm ----------------------------------------------------------


def _number(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


def _load_channel(directory: Path, content_type: str) -> Any:
    import numpy as np
    import xgboost as xgb

    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ValueError(f"no data files in channel {directory.name}")
    first = files[0].read_text(errors="replace").split("\n", 1)[0]
    libsvm = "libsvm" in content_type or ("csv" not in content_type and ":" in first)
    if libsvm:
        return xgb.DMatrix(f"{files[0]}?format=libsvm")
    rows = np.vstack([np.loadtxt(f, delimiter=",", ndmin=2) for f in files])
    return xgb.DMatrix(rows[:, 1:], label=rows[:, 0])


def builtin_xgboost_main(opt_ml: Path) -> int:
    """Train like SageMaker's built-in XGBoost; failures go to `output/failure`."""
    failure = opt_ml / "output" / "failure"
    try:
        import xgboost as xgb

        hps = {
            k: _number(v)
            for k, v in decode_hyperparameters(
                json.loads((opt_ml / "input/config/hyperparameters.json").read_text())
            ).items()
            if not k.startswith("sagemaker_") and not k.startswith("_")
        }
        channels = json.loads((opt_ml / "input/config/inputdataconfig.json").read_text())
        if "num_round" not in hps:
            raise ValueError("Missing required hyperparameter: num_round")
        if "train" not in channels:
            raise ValueError("Missing required channel: train")
        num_round = int(hps.pop("num_round"))
        hps.setdefault("objective", "reg:squarederror")
        hps.pop("early_stopping_rounds", None)
        data = opt_ml / "input" / "data"
        dtrain = _load_channel(data / "train", channels["train"].get("ContentType", ""))
        evals = [(dtrain, "train")]
        if "validation" in channels:
            content = channels["validation"].get("ContentType", "")
            evals.append((_load_channel(data / "validation", content), "validation"))
    except Exception as error:  # noqa: BLE001 - the algorithm reports client errors this way
        failure.write_text(f"ClientError: {error}")
        print(f"ClientError: {error}", flush=True)
        return 1

    class _SageMakerLog(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            parts = [
                f"#011{data_name}-{metric}:{values[-1]:.5f}"
                for data_name, metrics in evals_log.items()
                for metric, values in metrics.items()
            ]
            print(f"[{epoch}]" + "".join(parts), flush=True)
            return False

    try:
        booster = xgb.train(
            hps, dtrain, num_round, evals=evals, verbose_eval=False, callbacks=[_SageMakerLog()]
        )
        booster.save_model(str(opt_ml / "model" / "xgboost-model"))
    except Exception as error:  # noqa: BLE001
        failure.write_text(f"AlgorithmError: {error}")
        print(f"AlgorithmError: {error}", flush=True)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "xgboost":
        return builtin_xgboost_main(Path(argv[1]))
    print("usage: python -m sagebuild.local.training xgboost <opt_ml dir>", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
