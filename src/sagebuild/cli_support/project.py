"""A user's own project: `sagebuild.toml` and the files `sagebuild init` scaffolds.

Every command run in a folder with a `sagebuild.toml` takes its defaults from it; flags and
environment variables override it, as flags and variables override `~/.aws/config` for the
AWS CLI and `samconfig.toml` for SAM. The file:

    [stack]
    name = "my-model"          # --stack, $SAGEBUILD_STACK override it
    region = "us-east-1"       # --region, $AWS_REGION, $AWS_DEFAULT_REGION override it
    framework = "SCIKIT"       # the stack's ConfigFramework at `up` / `local up`

    [code]
    dir = "code"               # what `upload-code` uploads without an argument

    [data]
    dir = "data"               # what `upload-data` uploads without an argument
    prefix = "train"           # where in the data bucket

    [parameters]               # per-run overrides every `sagebuild start` sends
    hyperparameters = { max_depth = 3 }
"""

from __future__ import annotations

import runpy
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagebuild.cli_support.errors import UserError

FILE = "sagebuild.toml"
FRAMEWORKS = ("SCIKIT", "XGBOOST", "PYTORCH", "BYOD")
_SECTIONS = {
    "stack": {"name", "region", "framework"},
    "code": {"dir"},
    "data": {"dir", "prefix"},
    "parameters": None,  # any parameter key: the schema checks them at `start`
}


@dataclass(frozen=True)
class Project:
    root: Path
    stack: str | None = None
    region: str | None = None
    framework: str | None = None
    code_dir: Path | None = None
    data_dir: Path | None = None
    data_prefix: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


def _text(section: str, key: str, value: Any, path: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{path}: [{section}] {key} must be a non-empty string, got {value!r}")
    return value.strip()


def load(folder: Path | None = None) -> Project | None:
    """The project of `folder` (default: the current folder), None without a sagebuild.toml."""
    root = Path(folder or Path.cwd())
    path = root / FILE
    if not path.is_file():
        return None
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot be read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path} is not valid TOML: {error}") from None
    for section, value in document.items():
        if section not in _SECTIONS:
            known = ", ".join(f"[{name}]" for name in _SECTIONS)
            raise UserError(f"{path}: unknown section [{section}]; the sections are {known}")
        allowed = _SECTIONS[section]
        if not isinstance(value, dict):
            raise UserError(f"{path}: {section} must be a [{section}] table")
        unknown = sorted(set(value) - allowed) if allowed is not None else []
        if unknown:
            raise UserError(
                f"{path}: unknown key {unknown[0]!r} in [{section}]; "
                f"the keys are {', '.join(sorted(allowed or ()))}"
            )
    stack, code, data = (document.get(name, {}) for name in ("stack", "code", "data"))
    framework = stack.get("framework")
    if framework is not None:
        framework = _text("stack", "framework", framework, path).upper()
        if framework not in (*FRAMEWORKS, "AMAZON", "TENSORFLOW", "MXNET"):
            raise UserError(f"{path}: [stack] framework {framework!r} is not a framework")
    return Project(
        root=root,
        stack=_text("stack", "name", stack["name"], path) if "name" in stack else None,
        region=_text("stack", "region", stack["region"], path) if "region" in stack else None,
        framework=framework,
        code_dir=root / _text("code", "dir", code["dir"], path) if "dir" in code else None,
        data_dir=root / _text("data", "dir", data["dir"], path) if "dir" in data else None,
        data_prefix=_text("data", "prefix", data["prefix"], path).strip("/")
        if "prefix" in data
        else None,
        parameters=dict(document.get("parameters", {})),
    )


# --- sagebuild init ------------------------------------------------------------------------
_TOML = """\
# sagebuild project. Commands run in this folder read it; flags and environment variables
# override it (--stack / $SAGEBUILD_STACK, --region / $AWS_REGION).
#   sagebuild local up && sagebuild upload-code && sagebuild upload-data && sagebuild start --wait

[stack]
name = "{name}"
region = "us-east-1"
framework = "{framework}"

[code]
dir = "code"

[data]
dir = "data"
prefix = "train/{name}"

# Sent with every `sagebuild start` as per-run overrides of the parameter document
# (docs/configuration.md lists every key).
[parameters]
{parameters}
"""

_SCRIPT_PARAMETERS = """\
trainentrypoint = "train.py"
channels = {{ train = {{ path = "train/{name}" }} }}
hyperparameters = {{ max_depth = 3 }}
metrics = [{{ Name = "accuracy", Regex = "accuracy=([0-9.]+)" }}]
"""

_BYOD_PARAMETERS = """\
channels = {{ train = {{ path = "train/{name}" }} }}
metrics = [{{ Name = "accuracy", Regex = "accuracy=([0-9.]+)" }}]
"""

_MAKE_DATA = '''\
"""Write a small sample data set: data/sample.csv, label first, then four features.

Replace it with your own data: any header-less CSV with the label in the first column works
with code/train.py. `sagebuild upload-data` uploads this folder.
"""

import csv
import random
from pathlib import Path


def make(path: Path, rows: int = 150, seed: int = 0) -> Path:
    rng = random.Random(seed)
    centres = [(5.0, 3.4, 1.5, 0.2), (5.9, 2.8, 4.3, 1.3), (6.6, 3.0, 5.6, 2.0)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        for row in range(rows):
            label = row % len(centres)
            features = [round(rng.gauss(mean, 0.25), 2) for mean in centres[label]]
            writer.writerow([label, *features])
    return path


if __name__ == "__main__":
    print(make(Path(__file__).resolve().parent / "data" / "sample.csv"))
'''

_PYTORCH_TRAIN = '''\
"""PyTorch script mode: a small classifier on the `train` channel (label first, features next).

Training prints `accuracy=...` and saves `model.pt`; serving loads it in `model_fn`.
"""

import argparse
import os
from pathlib import Path

import numpy as np
import torch


def load(directory: str) -> np.ndarray:
    files = sorted(Path(directory).rglob("*.csv"))
    return np.vstack([np.loadtxt(f, delimiter=",", ndmin=2) for f in files])


def build(features: int, classes: int) -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Linear(features, 16), torch.nn.ReLU(), torch.nn.Linear(16, classes)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
    args, _ = parser.parse_known_args()
    rows = load(args.train)
    x = torch.tensor(rows[:, 1:], dtype=torch.float32)
    y = torch.tensor(rows[:, 0], dtype=torch.long)
    model = build(x.shape[1], int(y.max()) + 1)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(args.epochs):
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimiser.step()
    accuracy = float((model(x).argmax(dim=1) == y).float().mean())
    print(f"accuracy={accuracy:.4f}")
    Path(args.model_dir).mkdir(parents=True, exist_ok=True)
    torch.save({"state": model.state_dict(), "shape": [x.shape[1], int(y.max()) + 1]},
               Path(args.model_dir) / "model.pt")


def model_fn(model_dir: str):  # noqa: ANN201 - the inference toolkit's signature
    saved = torch.load(Path(model_dir) / "model.pt")
    model = build(*saved["shape"])
    model.load_state_dict(saved["state"])
    return model.eval()


if __name__ == "__main__":
    main()
'''


def _name_of(directory: Path) -> str:
    from sagebuild.cli_support import domain

    return domain.naming().sanitise(directory.resolve().name)[:40].strip("-") or "sagebuild"


def scaffold(directory: Path, framework: str, force: bool = False) -> list[Path]:
    """Write a working project into `directory`; the files written."""
    from sagebuild.examples import BYOD, EXAMPLES, IRIS

    framework = framework.upper()
    if framework not in FRAMEWORKS:
        raise UserError(f"--framework must be one of {', '.join(FRAMEWORKS)}, not {framework!r}")
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / FILE
    if config.exists() and not force:
        raise UserError(f"{config} exists; pass --force to overwrite the project files")
    name = _name_of(directory)
    code, data = directory / "code", directory / "data"
    code.mkdir(exist_ok=True)
    written: list[Path] = []
    if framework == "BYOD":
        for item in ("Dockerfile", "train", "serve"):
            target = code / item
            shutil.copy2(BYOD / item, target)
            written.append(target)
        parameters = _BYOD_PARAMETERS.format(name=name)
    else:
        source = {
            "SCIKIT": IRIS / "train.py",
            "XGBOOST": EXAMPLES / "xgboost" / "train.py",
        }.get(framework)
        target = code / "train.py"
        if source is not None:
            shutil.copy2(source, target)
        else:
            target.write_text(_PYTORCH_TRAIN)
        written.append(target)
        parameters = _SCRIPT_PARAMETERS.format(name=name)
    config.write_text(_TOML.format(name=name, framework=framework, parameters=parameters))
    maker = directory / "make_data.py"
    maker.write_text(_MAKE_DATA)
    sample = runpy.run_path(str(maker))["make"](data / "sample.csv")
    return [config, *written, maker, sample]
