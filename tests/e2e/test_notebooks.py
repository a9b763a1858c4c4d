"""The example notebooks, executed in order against one local stack running as a server.

The local stack runs as a background process (`python -m sagebuild.local.server`, as
`sagebuild local up` starts it); each notebook runs in a fresh `python3` kernel of this
interpreter (a kernelspec in a temporary `JUPYTER_PATH`), with `state_dir` injected by
papermill. Every notebook checks its own outcome in its last cell, so a failed run, a wrong
prediction or a missing notification fails its test here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest
from conftest import ROOT

from sagebuild import notebook

NOTEBOOKS = ROOT / "notebooks"
ORDER = ["quickstart", "scikit", "xgboost_builtin", "byod", "hpo", "stop_and_rollback"]
BYOD_SOURCE = "notebook-byod-source/byod.zip"
SAFE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


# --- unit: what is committed ----------------------------------------------------------------


def test_every_notebook_in_the_folder_is_executed_here():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(ORDER)


@pytest.mark.parametrize("name", ORDER)
def test_notebook_is_committed_without_outputs(name):
    notebook = _read(name)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("name", ORDER)
def test_notebook_has_a_parameters_cell_with_the_connection_settings(name):
    notebook = _read(name)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for line in ("stack_name = None", "region = None", 'state_dir = ".sagebuild/local"'):
        assert line in tagged[0].source
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.cells[-1].cell_type == "code" and "assert " in notebook.cells[-1].source


# --- unit: how a notebook finds its stack ---------------------------------------------------


def test_connect_finds_the_local_state_dir_from_a_subfolder(tmp_path, monkeypatch):
    state = tmp_path / ".sagebuild" / "local"
    state.mkdir(parents=True)
    (state / "endpoint").write_text("http://127.0.0.1:1")
    (state / "outputs.json").write_text(json.dumps({"StateMachine": "arn:sm"}))
    (state / "stack_name").write_text("mine")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    stack = notebook.connect(state_dir=".sagebuild/local")
    assert stack.name == "mine" and stack.outputs == {"StateMachine": "arn:sm"}
    assert stack.client("s3").meta.endpoint_url == "http://127.0.0.1:1"


def test_connect_without_a_local_stack_says_how_to_start_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAGEBUILD_STATE_DIR", raising=False)
    with pytest.raises(notebook.NotConnected, match="sagebuild local up"):
        notebook.connect()


def test_connect_uses_the_stack_file_of_the_notebook_instance(tmp_path, monkeypatch):
    (tmp_path / "stack.json").write_text(json.dumps({"stack": "prod", "region": "eu-west-1"}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAGEBUILD_STATE_DIR", raising=False)
    calls = []
    monkeypatch.setattr(notebook, "connect_aws", lambda *args: calls.append(args) or "stack")
    assert notebook.connect() == "stack"
    assert calls == [("prod", "eu-west-1")]


def test_a_named_stack_is_looked_up_on_aws_even_when_the_local_stack_runs(monkeypatch):
    calls = []
    monkeypatch.setattr(notebook, "connect_aws", lambda *args: calls.append(args) or "stack")
    notebook.connect("prod", "us-west-2", state_dir="/nowhere")
    assert calls == [("prod", "us-west-2")]


def test_version_of_reads_the_version_in_a_resource_name():
    assert notebook.version_of("my-stack-v12-ab12cd") == 12
    assert notebook.version_of("my-stack") is None


# --- end to end: every notebook against the local stack -------------------------------------


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A `python3` kernelspec running this interpreter, first on JUPYTER_PATH."""
    from jupyter_client.kernelspec import KernelSpecManager

    data = tmp_path_factory.mktemp("jupyter")
    spec_dir = data / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (sagebuild tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(data))
        for key, value in SAFE_ENV.items():
            patch.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            patch.delenv(key, raising=False)
        assert KernelSpecManager().get_kernel_spec("python3").argv[0] == sys.executable
        yield patch


@pytest.fixture(scope="module")
def local_stack(kernel, tmp_path_factory):
    """`python -m sagebuild.local.server` in the background; SIGTERM at the end."""
    state_dir = tmp_path_factory.mktemp("state")
    command = [
        sys.executable,
        "-m",
        "sagebuild.local.server",
        "--port",
        "0",
        "--state-dir",
        str(state_dir),
        "--stack-name",
        "notebooks",
        "--parameter",
        "ConfigFramework=SCIKIT",
        "--parameter",
        f"ExternalCodeBucket={BYOD_SOURCE}",
        # With a notebook instance the notebooks run as its role, as they would on it.
        "--parameter",
        "NoteBookInstanceType=ml.t3.medium",
        "--fast-waits",
    ]
    log_path = state_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own module, our own interpreter
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT
        )
    try:
        deadline = time.monotonic() + 180
        while not (state_dir / "server.port").is_file():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the local stack did not start:\n" + log_path.read_text())
            time.sleep(0.2)
        # any client a notebook makes without an endpoint URL still lands on the local stack
        endpoint = (state_dir / "endpoint").read_text().strip()
        kernel.setenv("AWS_ENDPOINT_URL", endpoint)
        # ExternalCodeBucket names the user's own bucket, which exists before the stack does.
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=BYOD_SOURCE.split("/", 1)[0])
        yield state_dir
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
    assert code == 0, log_path.read_text()[-3000:]
    assert not (state_dir / "server.pid").exists()
    # Everything the notebooks did, they did as the notebook role, and it was enough.
    report = json.loads((state_dir / "iam-report.json").read_text())
    assert [d for r in report["roles"].values() for d in r["denials"]] == []
    notebook_role = [r for arn, r in report["roles"].items() if "NotebookRole" in arn]
    assert notebook_role and notebook_role[0]["calls"]


# Every notebook runs in `make test-slow` (CI runs both): `make test` stays within its 5
# minutes on 2 cores, and what each notebook runs the other e2e modules run in `make test`
# (quickstart's loop is test_pipeline_local.py's and `make demo`'s; stop_and_rollback's stop
# and rollback are test_run_integrity_local.py's and test_cli_local.py's).
SLOW_NOTEBOOKS = set(ORDER)


@pytest.mark.e2e
@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_NOTEBOOKS else n for n in ORDER],
)
def test_notebook_runs_to_its_own_checks_on_the_local_stack(name, local_stack, tmp_path):
    import papermill

    output = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(output),
        parameters={"state_dir": str(local_stack)},
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
        execution_timeout=300,
    )
    executed = nbformat.read(output, as_version=4)
    code_cells = [c for c in executed.cells if c.cell_type == "code"]
    errors = [o for c in code_cells for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert executed.cells[-1].execution_count is not None
