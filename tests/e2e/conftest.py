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


@pytest.fixture(autouse=True)
def no_iam_denials(request):
    """Every e2e test runs with the local stack's IAM on and must not be denied anything.

    Tests that provoke denials on purpose are marked `iam_denials_expected`. The ledger is
    process-wide (one per xdist worker): the denials recorded during the test are checked.
    """
    from sagebuild.local.iam.enforcer import ENFORCER

    before = ENFORCER.ledger.denial_count()
    yield
    if request.node.get_closest_marker("iam_denials_expected"):
        return
    new = ENFORCER.ledger.denials_since(before)
    assert new == [], "IAM denied calls the pipeline needs:\n" + "\n".join(
        d["message"] for d in new
    )
