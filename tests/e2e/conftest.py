"""End-to-end tier: the real template, state machine and handlers on the local stack."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IRIS = ROOT / "examples" / "iris"


def zip_directory(directory: Path) -> bytes:
    """A zip of a build context, keeping the executable bits of train/serve."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(str(path.relative_to(directory)))
                info.external_attr = (path.stat().st_mode & 0o777) << 16
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def iris_parameters(source_uri: str, **extra) -> dict:
    return {
        "framework": "SCIKIT",
        "trainsourcefile": source_uri,
        "trainentrypoint": "train.py",
        "channels": {"train": {"path": "train/iris"}},
        "hyperparameters": {"max_depth": 3},
        "metrics": [{"Name": "accuracy", "Regex": "accuracy=([0-9.]+)"}],
        **extra,
    }


@pytest.fixture(autouse=True)
def quiet_handlers(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
