"""What a SageMaker container sees, and the local process that stands in for one.

Shared by training jobs (`training`) and model servers (`sagemaker.servers`): the
`/opt/ml/input/config` files and the `SM_*` variables of the SageMaker training toolkit,
hyperparameters decoded and passed as the toolkit does, a BYOD program under
`proot -b <dir>:/opt/ml`, the program started in its own process group with its output in one
log file, and stopped with SIGTERM then SIGKILL. Only stdlib imports: the built-in XGBoost
program (`builtin_xgboost`) imports this module too.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

HOST = "algo-1"
FAILURE_REASON_LIMIT = 1024
#: The folder holding the `sagebuild` package (PYTHONPATH of the programs started here).
SRC_ROOT = str(Path(__file__).resolve().parents[2])


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


def truncate(text: str) -> str:
    """`text` cut to what a FailureReason holds."""
    text = text.strip()
    return text if len(text) <= FAILURE_REASON_LIMIT else text[: FAILURE_REASON_LIMIT - 3] + "..."


def tail(path: Path, lines: int = 5) -> str:
    """The last `lines` lines of a log, without the `[sagebuild]` lines."""
    try:
        content = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(line for line in content[-lines:] if not line.startswith("[sagebuild]"))


def write_config(opt_ml: Path, request: dict[str, Any]) -> None:
    """`input/config/{hyperparameters,resourceconfig,inputdataconfig}.json` of a
    CreateTrainingJob `request`."""
    config = opt_ml / "input" / "config"
    raw = request.get("HyperParameters") or {}
    (config / "hyperparameters.json").write_text(json.dumps(raw, indent=2))
    resource = {"current_host": HOST, "hosts": [HOST], "network_interface_name": "eth0"}
    (config / "resourceconfig.json").write_text(json.dumps(resource, indent=2))
    mode = (request.get("AlgorithmSpecification") or {}).get("TrainingInputMode", "File")
    channels = {
        c["ChannelName"]: {
            "ContentType": c.get("ContentType", ""),
            "TrainingInputMode": c.get("InputMode") or mode,
            "S3DistributionType": (c.get("DataSource", {}).get("S3DataSource") or {}).get(
                "S3DataDistributionType", "FullyReplicated"
            ),
            "RecordWrapperType": c.get("RecordWrapperType", "None"),
        }
        for c in request.get("InputDataConfig") or []
    }
    (config / "inputdataconfig.json").write_text(json.dumps(channels, indent=2))


def sm_environment(
    job_name: str,
    opt_ml: Path,
    channels: list[str],
    user_hps: dict[str, Any],
    program: str,
    submit_directory: str,
) -> dict[str, str]:
    """The `SM_*` variables the training toolkit gives a script-mode entry point (the config
    files of `write_config` must exist)."""
    channels = sorted(channels)
    data = opt_ml / "input" / "data"
    channel_dirs = {name: str(data / name) for name in channels}
    training_env = {
        "job_name": job_name,
        "hosts": [HOST],
        "current_host": HOST,
        "num_cpus": os.cpu_count() or 1,
        "num_gpus": 0,
        "hyperparameters": user_hps,
        "channel_input_dirs": channel_dirs,
        "model_dir": str(opt_ml / "model"),
        "output_dir": str(opt_ml / "output"),
        "output_data_dir": str(opt_ml / "output" / "data"),
        "input_dir": str(opt_ml / "input"),
        "input_config_dir": str(opt_ml / "input" / "config"),
        "input_data_config": json.loads((opt_ml / "input/config/inputdataconfig.json").read_text()),
        "resource_config": {"current_host": HOST, "hosts": [HOST]},
        "module_name": program.removesuffix(".py"),
        "user_entry_point": program,
        "module_dir": submit_directory,
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


def interpreter(program: Path) -> list[str]:
    """Run a Python `train`/`serve` with this Python (the image's packages live here)."""
    try:
        first = program.read_text(errors="replace").splitlines()[0]
    except (OSError, IndexError):
        first = ""
    if first.startswith("#!") and "python" not in first:
        return [str(program)]
    return [sys.executable, str(program)]


def proot_command(opt_ml: Path, program: Path) -> list[str]:
    """A BYOD image's `train`/`serve` program with `opt_ml` mapped to `/opt/ml`."""
    return ["proot", "-b", f"{opt_ml.resolve()}:/opt/ml", *interpreter(program)]


def launch(
    command: list[str], cwd: Path, env: dict[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    """Start `command` in its own process group, its output appended to `log_path`."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes] | None, grace_seconds: float) -> None:
    """SIGTERM to the process group of `process`, SIGKILL after `grace_seconds`."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace_seconds)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
