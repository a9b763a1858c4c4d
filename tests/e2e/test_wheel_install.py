"""The built wheel, installed as a user would: a fresh virtual environment, no checkout.

`python -m build` makes the sdist and, from it, the wheel; the wheel goes into a new venv (with
the `[local]` extra, from the package registry) made with another Python than the development
one when there is one (3.12, else 3.13); then, from an empty folder outside the checkout, the
installed `sagebuild` runs the real local stack in the background from the files the wheel
carries: `local up`, `outputs`, `params get`, `local down`.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from sagebuild import assets

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]
# What the wheel must carry under sagebuild/_assets/ (one file of each folder, at least).
EXPECTED = [
    "template.yaml",
    "statemachine/pipeline.asl.json",
    "lambdas/requirements.txt",
    "lambdas/handlers/initialize.py",
    "lambdas/domain/config/__init__.py",
    "alexa/requirements.txt",
    "alexa/interaction_model.json",
    "notebooks/quickstart.ipynb",
    "examples/iris/train.py",
    "examples/iris/iris.csv",
    "examples/byod/serve",
]


def _other_python() -> str:
    """A Python ≥ 3.11 other than this one (3.12 first), else this one."""
    mine = f"{sys.version_info.major}.{sys.version_info.minor}"
    for version in ("3.12", "3.13", "3.11"):
        if version == mine:
            continue
        found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}*/bin/python3")))
        for candidate in [f"python{version}", *found]:
            try:
                done = subprocess.run(
                    [candidate, "-c", "import sys; print(sys.executable)"],
                    capture_output=True,
                    text=True,
                    timeout=30,
                )
            except (OSError, subprocess.TimeoutExpired):
                continue
            if done.returncode == 0 and done.stdout.strip():
                return done.stdout.strip()
    return sys.executable


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        cwd=ROOT,
        env=dict(os.environ),
    )
    return out


def test_the_wheel_and_the_sdist_carry_the_stack_files_and_no_tests(dist):
    [wheel] = dist.glob("sagebuild-*.whl")
    [sdist] = dist.glob("sagebuild-*.tar.gz")

    names = zipfile.ZipFile(wheel).namelist()
    bundled = {n.removeprefix("sagebuild/_assets/") for n in names if "/_assets/" in n}
    assert set(EXPECTED) <= bundled
    assert {n.split("/")[0] for n in bundled} == {*assets.FILES, *assets.FOLDERS}
    assert not [n for n in names if "/tests/" in n or n.endswith((".pyc", ".pyo"))]
    assert "sagebuild/assets.py" in names and "sagebuild/cli/__init__.py" in names
    with tarfile.open(sdist) as archive:
        top = {Path(n).parts[1] for n in archive.getnames() if len(Path(n).parts) > 1}
    assert {*assets.FILES, *assets.FOLDERS, "setup.py", "pyproject.toml", "src"} <= top


def test_the_installed_wheel_runs_the_local_stack_outside_the_checkout(dist, tmp_path):
    [wheel] = dist.glob("sagebuild-*.whl")
    python = _other_python()
    venv, work = tmp_path / "venv", tmp_path / "empty"
    work.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYENV_VERSION"}
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    _run([python, "-m", "venv", str(venv)], cwd=work, env=env)
    bin_dir = venv / "bin"
    _run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[local]"],
        cwd=work,
        env=env,
        timeout=1800,
    )

    where = json.loads(
        _run(
            [
                str(bin_dir / "python"),
                "-c",
                "import json, sys; from sagebuild import assets; "
                "print(json.dumps([str(assets.root()), assets.is_bundled(), sys.version]))",
            ],
            cwd=work,
            env=env,
        )
    )
    assert where[1] is True and where[0].startswith(str(venv))
    assert not where[0].startswith(str(ROOT))
    assert "Usage" in _run([str(bin_dir / "sagebuild"), "--help"], cwd=work, env=env)

    def sagebuild(*args: str) -> str:
        return _run([str(bin_dir / "sagebuild"), "--state-dir", "state", *args], cwd=work, env=env)

    started = json.loads(sagebuild("local", "up", "--json"))
    try:
        assert started["started"] is True
        assert "StateMachine" in started["outputs"]
        assert json.loads(sagebuild("outputs", "--json")) == started["outputs"]
        assert json.loads(sagebuild("params", "get", "framework")) == "SCIKIT"
    finally:
        stopped = sagebuild("local", "down")
    assert "stopped" in stopped
    assert not (work / "state" / "server.port").exists()
    assert not list(work.glob("*.egg-info")) and not (work / "template.yaml").exists()
