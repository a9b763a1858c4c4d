"""The CLI against the real stack: template.yaml deployed into emulated AWS on 127.0.0.1.

One `LocalStack(mode="server")` for the whole module (moto's backends are process-global, so
no other local stack may start in this module); the CLI reaches it with `--endpoint-url` and
reads the local logs from `--state-dir` (the stack's work dir is `<state dir>/work`, as for
`sagebuild local up`). The tests follow a user's path (make the stack ready for the iris
example, run it, look at it, fail a run, roll back, stop) but each passes alone and in any
order: what a test needs (the example's parameters, a version serving, a finished run) comes
from a fixture that makes it when the stack lacks it, and the numbers a test checks are read
from the stack by the test itself. The last test runs `sagebuild local up/status/down` as a
real background process.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import IRIS
from helpers import run_table_counter, wait_until
from typer.testing import CliRunner

from sagebuild.cli import app
from sagebuild.session import Stack

pytestmark = pytest.mark.e2e
STACK = "clitest"
DATA_KEY = "train/iris/iris.csv"


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    from sagebuild.local.stack import LocalStack

    state = tmp_path_factory.mktemp("cli-state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
        with LocalStack(
            mode="server",
            stack_name=STACK,
            parameters={"ConfigFramework": "SCIKIT"},
            work_dir=state / "work",
        ) as stack:
            stack.state_dir = state
            stack.session = Stack(stack.outputs, stack.client)
            stack.inbox = stack.session.subscribe_inbox()
            yield stack


@pytest.fixture
def cli(local):
    runner = CliRunner()

    def invoke(*args: str, stack: str = STACK):
        return runner.invoke(
            app,
            [
                "--local",
                "--endpoint-url",
                local.endpoint_url,
                "--stack",
                stack,
                "--state-dir",
                str(local.state_dir),
                *args,
            ],
        )

    return invoke


def _ok(result) -> str:
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result.stdout


def _refused(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.stderr


def _parameters(local) -> dict:
    return local.session.get_parameters()


def _serving_config(local) -> str:
    return local.client("sagemaker").describe_endpoint(
        EndpointName=local.outputs["SageMakerEndpoint"]
    )["EndpointConfigName"]


def _subjects(local, wanted: str, timeout: float = 15) -> list[str]:
    """The notification subjects with `wanted` in them, once one arrived (fails after timeout)."""
    subjects: list[str] = []

    def arrived() -> list[str]:
        subjects.extend(n["Subject"] for n in local.session.notifications(local.inbox))
        return [s for s in subjects if wanted in s]

    return wait_until(arrived, timeout, what=f"a notification with {wanted!r}")


def _latest_execution(local) -> dict | None:
    executions = local.session.executions()
    return max(executions, key=lambda e: e["startDate"]) if executions else None


def _endpoint_exists(local) -> bool:
    endpoints = local.client("sagemaker").list_endpoints()["Endpoints"]
    return any(e["EndpointName"] == local.outputs["SageMakerEndpoint"] for e in endpoints)


def _version_of(config: str) -> int:
    """The version an endpoint config is of ("clitest-v2-..." is version 2)."""
    match = re.match(rf"{STACK}-v(\d+)-", config)
    assert match, config
    return int(match.group(1))


def _config_versions(local) -> dict[int, str]:
    """The stack's endpoint configs by version."""
    listed = local.client("sagemaker").list_endpoint_configs()["EndpointConfigs"]
    names = [c["EndpointConfigName"] for c in listed]
    return {_version_of(name): name for name in names if name.startswith(f"{STACK}-v")}


# --- what a test needs, made when the stack does not have it yet ----------------------------


@pytest.fixture
def inbox(local) -> str:
    """The status inbox, emptied of what earlier tests left: a test reads only its own."""
    local.session.notifications(local.inbox)
    return local.inbox


@pytest.fixture
def restore_parameters(local):
    """The parameter document as the test found it, saved again after the test."""
    saved = _parameters(local)
    yield saved
    local.session.set_parameters(saved)


@pytest.fixture
def iris(cli, local) -> None:
    """The stack ready for the iris example (`sagebuild example iris`, when it is not yet)."""
    code_uri = f"s3://{local.outputs['CodeBucket']}/scripts/source.tar.gz"
    listed = local.client("s3").list_objects_v2(Bucket=local.outputs["DataBucket"], Prefix=DATA_KEY)
    if _parameters(local).get("trainsourcefile") != code_uri or not listed.get("KeyCount"):
        _ok(cli("example", "iris"))


@pytest.fixture
def serving(cli, local, iris) -> str:
    """A version of the iris model serves on the endpoint: its endpoint config.

    Made here with `sagebuild start --wait` when the stack has no endpoint yet.
    """
    if not _endpoint_exists(local):
        assert "SUCCEEDED" in _ok(cli("start", "--wait", "--reason", "a version to serve"))
    return local.session.wait_for_endpoint()["EndpointConfigName"]


@pytest.fixture
def succeeded(cli, local, iris) -> dict:
    """The latest run is one that trained and deployed: what its execution says of it.

    Made here with `sagebuild start --wait` when the latest run did not succeed.
    """
    latest = _latest_execution(local)
    if latest is None or latest["status"] != "SUCCEEDED":
        assert "SUCCEEDED" in _ok(cli("start", "--wait", "--reason", "a finished run"))
        latest = _latest_execution(local)
    assert latest is not None
    output = local.session.run_result(latest["executionArn"])["output"]
    [metric] = output["training"]["metrics"]
    return {
        "name": latest["name"],
        "run_number": output["run"]["run_number"],
        "version": output["deployment"]["version"],
        "trigger": output["run"]["trigger"],
        "metric": metric,
        "endpoint_config": output["deployment"]["endpoint_config"],
    }


@pytest.fixture
def unused_stack(local):
    """The name of a stack no run has used yet: the module's own while nothing ran on it,
    else a second stack of the template deployed next to it for the test (deleted after)."""
    if not local.session.executions():
        yield STACK
        return
    from sagebuild.local import deploy

    name = f"{STACK}-fresh"
    cfn = local.client("cloudformation")
    deploy.deploy_stack(
        name, local.template, local.stack_parameters(), cfn=cfn, s3=local.client("s3")
    )
    try:
        yield name
    finally:
        deploy.delete_stack(name, cfn=cfn)


# --- user errors ----------------------------------------------------------------------------


def test_no_local_stack_running_is_one_line_and_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["--local", "--state-dir", str(tmp_path), "status"])
    stderr = _refused(result)
    assert stderr.count("\n") == 1
    assert stderr.startswith("error: the local stack is not running")
    assert "sagebuild local up" in stderr


def test_local_env_without_a_local_stack_is_one_line_and_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["--state-dir", str(tmp_path), "local", "env"])
    stderr = _refused(result)
    assert stderr.count("\n") == 1
    assert stderr.startswith("error: the local stack is not running (no live server in ")
    assert "start it with: sagebuild local up" in stderr
    assert result.stdout == ""


def test_before_any_run_status_and_invoke_are_user_errors(cli, local, unused_stack):
    assert "no run yet: start one with: sagebuild start" in _refused(
        cli("status", stack=unused_stack)
    )
    outputs = json.loads(_ok(cli("outputs", "--json", stack=unused_stack)))
    endpoint = outputs["SageMakerEndpoint"]
    assert f"endpoint {endpoint} does not exist on the local stack" in _refused(
        cli("invoke", "--body", "5.1,3.5,1.4,0.2", stack=unused_stack)
    )


def test_bad_arguments_and_unknown_runs_are_user_errors(cli, tmp_path):
    assert "no request body: give --file FILE or --body TEXT" in _refused(cli("invoke"))
    both = cli("invoke", "--body", "1", "--file", str(IRIS / "iris.csv"))
    assert "with --file or with --body, not both" in _refused(both)
    missing = tmp_path / "nope.csv"
    assert f"cannot read {missing}: No such file or directory" in _refused(
        cli("invoke", "--file", str(missing))
    )
    assert "no run named nope" in _refused(cli("status", "--run", "nope"))
    assert "expected KEY=VALUE, got 'novalue'" in _refused(cli("start", "--set", "novalue"))
    assert "--kind must be one of" in _refused(cli("logs", "--kind", "bogus"))


def test_outputs_lists_the_real_stack_outputs(cli, local):
    assert json.loads(_ok(cli("outputs", "--json"))) == local.outputs
    table = _ok(cli("outputs"))
    assert "LaunchTopic" in table and "StateMachine" in table


# --- parameters -----------------------------------------------------------------------------


def test_params_set_saves_a_valid_change_and_refuses_a_bad_key_with_the_schema_message(
    cli, local, restore_parameters
):
    assert json.loads(_ok(cli("params", "get", "framework"))) == "SCIKIT"
    assert "saved trainmaxrun" in _ok(cli("params", "set", "trainmaxrun=3"))
    saved = _parameters(local)
    assert saved["trainmaxrun"] == 3

    stderr = _refused(cli("params", "set", "trainmaxrun=-1", "bogus=1"))
    assert "invalid parameters, nothing saved" in stderr
    assert "unknown key 'bogus'" in stderr and "trainmaxrun" in stderr
    assert _parameters(local) == saved
    assert "no key 'nope'" in _refused(cli("params", "get", "nope"))


def test_params_validate_checks_the_stored_document_and_a_file(cli, tmp_path):
    assert "the parameter document is valid" in _ok(cli("params", "validate"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"framework": "SCIKIT", "traininstancecount": "many"}))
    assert "traininstancecount" in _refused(cli("params", "validate", str(bad)))
    assert "not JSON" in _refused(cli("params", "validate", str(IRIS / "iris.csv")))


def _editor(monkeypatch, change: dict) -> None:
    script = (
        "import json, sys; p = sys.argv[1]; d = json.load(open(p)); "
        f"d.update(json.loads({json.dumps(json.dumps(change))})); json.dump(d, open(p, 'w'))"
    )
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}")
    monkeypatch.delenv("VISUAL", raising=False)


def test_params_edit_saves_only_a_valid_document(cli, local, monkeypatch, restore_parameters):
    _editor(monkeypatch, {"trainmaxrun": 4})
    assert "saved" in _ok(cli("params", "edit"))
    saved = _parameters(local)
    assert saved["trainmaxrun"] == 4

    _editor(monkeypatch, {"nosuchkey": 1})
    stderr = _refused(cli("params", "edit"))
    assert "unknown key 'nosuchkey'" in stderr and "nothing saved" in stderr
    assert _parameters(local) == saved


# --- code and data --------------------------------------------------------------------------


def test_example_iris_uploads_data_and_code_and_sets_the_parameters(cli, local):
    out = _ok(cli("example", "iris"))
    assert "ready: sagebuild start --wait" in out
    code_uri = f"s3://{local.outputs['CodeBucket']}/scripts/source.tar.gz"
    assert code_uri in out
    document = _parameters(local)
    assert document["trainsourcefile"] == code_uri
    assert document["channels"] == {"train": {"path": "train/iris"}}
    assert document["metrics"] == [{"Name": "accuracy", "Regex": "accuracy=([0-9.]+)"}]
    data = local.client("s3").get_object(
        Bucket=local.outputs["DataBucket"], Key="train/iris/iris.csv"
    )["Body"]
    assert data.read() == (IRIS / "iris.csv").read_bytes()


def test_upload_code_and_data_put_files_in_the_stack_buckets(cli, local, tmp_path, iris):
    out = _ok(cli("upload-code", str(IRIS), "--key", "scripts/other.tar.gz"))
    uri = f"s3://{local.outputs['CodeBucket']}/scripts/other.tar.gz"
    assert f"uploaded {IRIS} to {uri}" in out
    assert f"sagebuild params set trainsourcefile={uri}" in out
    assert "params set" not in _ok(cli("upload-code", str(IRIS)))  # the one in use

    extra = tmp_path / "extra"
    (extra / "part").mkdir(parents=True)
    (extra / "a.csv").write_text("1,2\n")
    (extra / "part" / "b.csv").write_text("3,4\n")
    listed = json.loads(_ok(cli("upload-data", str(extra), "--prefix", "more/x", "--json")))
    bucket = local.outputs["DataBucket"]
    assert listed["uris"] == [f"s3://{bucket}/more/x/a.csv", f"s3://{bucket}/more/x/part/b.csv"]
    body = local.client("s3").get_object(Bucket=bucket, Key="more/x/part/b.csv")["Body"]
    assert body.read() == b"3,4\n"

    assert "no such file or directory" in _refused(cli("upload-data", str(tmp_path / "nope")))
    assert "no .py file" in _refused(cli("upload-code", str(extra)))


# --- runs -----------------------------------------------------------------------------------


def test_start_wait_follows_the_run_and_prints_the_version_and_metric(cli, local, iris):
    version = run_table_counter(local, "version") + 1
    out = _ok(cli("start", "--wait", "--reason", "first run"))
    assert "→ Initialize" in out and "→ Run Succeeded" in out
    assert "SUCCEEDED" in out and re.search(rf"\bv{version}\b", out), out
    assert "accuracy=0.9667" in out


ROW = "5.1,3.5,1.4,0.2"  # an iris setosa: class 0


def _env_of(lines: str) -> dict[str, str]:
    found = {}
    for line in lines.splitlines():
        words = shlex.split(line)
        if words[:1] == ["export"]:
            key, _, value = words[1].partition("=")
            found[key] = value
    return found


def test_local_env_prints_the_exports_of_the_local_stack(cli, local):
    out = _ok(cli("local", "env"))
    assert out.splitlines()[0] == "unset AWS_PROFILE AWS_SESSION_TOKEN"
    assert _env_of(out) == {
        "AWS_ENDPOINT_URL": local.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }


def _clean_env(home: Path, exports: dict[str, str]) -> dict[str, str]:
    """The environment of a new shell that ran `eval "$(sagebuild local env)"`: no AWS
    configuration of this machine's user, only what `local env` exported."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **keep,
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **exports,
    }


def test_the_real_aws_cli_invokes_the_endpoint_with_the_local_env(cli, local, tmp_path, serving):
    aws = Path(sys.executable).with_name("aws")
    assert aws.is_file(), "the AWS CLI (dev dependency awscli) is not installed in this venv"
    exports = _env_of(_ok(cli("local", "env")))
    request, answer = tmp_path / "row.csv", tmp_path / "answer.json"
    request.write_text(ROW)
    command = [
        str(aws),
        "sagemaker-runtime",
        "invoke-endpoint",
        "--endpoint-name",
        local.outputs["SageMakerEndpoint"],
        "--content-type",
        "text/csv",
        "--accept",
        "application/json",
        "--body",
        f"fileb://{request}",
        str(answer),
    ]
    done = subprocess.run(  # noqa: S603 - the venv's own aws
        command, env=_clean_env(tmp_path, exports), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ContentType"] == "application/json"
    assert [round(float(v)) for v in json.loads(answer.read_text())] == [0]


def test_boto3_invokes_the_endpoint_with_the_local_env_and_no_arguments(
    cli, local, monkeypatch, serving
):
    import boto3

    for key, value in _clean_env(local.state_dir, _env_of(_ok(cli("local", "env")))).items():
        monkeypatch.setenv(key, value)
    runtime = boto3.client("sagemaker-runtime")  # as in the README
    response = runtime.invoke_endpoint(
        EndpointName=local.outputs["SageMakerEndpoint"],
        ContentType="text/csv",
        Accept="application/json",
        Body=ROW.encode(),
    )
    assert [round(float(v)) for v in json.loads(response["Body"].read())] == [0]


def test_invoke_prints_the_answer_and_a_model_error_in_one_line(cli, local, tmp_path, serving):
    assert [round(float(v)) for v in json.loads(_ok(cli("invoke", "--body", ROW)))] == [0]
    rows = tmp_path / "rows.csv"
    rows.write_text(f"{ROW}\n6.7,3.0,5.2,2.3\n")
    csv = _ok(cli("invoke", "--file", str(rows), "--accept", "text/csv"))
    assert [round(float(v)) for v in csv.split()] == [0, 2]
    stderr = _refused(cli("invoke", "--body", ROW, "--content-type", "image/png"))
    endpoint = local.outputs["SageMakerEndpoint"]
    assert stderr.startswith(f"error: the model of endpoint {endpoint} answered an error (415):")
    assert "unsupported content type image/png" in stderr and stderr.count("\n") == 1


def _metric_text(run: dict) -> str:
    return f"{run['metric']['MetricName']}={run['metric']['Value']:.4g}"


def test_status_shows_the_finished_run(cli, succeeded):
    version, run_number = succeeded["version"], succeeded["run_number"]
    view = json.loads(_ok(cli("status", "--json")))
    assert view["status"] == "SUCCEEDED" and view["run"] == succeeded["name"]
    assert view["version"] == version and view["run_number"] == run_number
    assert view["run"].startswith("sns-")
    metric = succeeded["metric"]
    assert view["metric"] == {metric["MetricName"]: pytest.approx(metric["Value"], abs=0.001)}
    trigger = succeeded["trigger"]
    assert trigger["source"] == "sns"
    assert view["trigger"] == f"sns: {trigger['detail']}"
    assert view["path"][-1] == "Run Succeeded" and view["error"] == ""
    panel = _ok(cli("status"))
    assert f"v{version}" in panel and _metric_text(succeeded) in panel and "SUCCEEDED" in panel
    assert f"(run {run_number})" in panel
    assert "deployment  clitest Completed" in panel


def test_history_is_a_table_in_100_columns_with_details_in_json(cli, local, succeeded):
    version, run_number = succeeded["version"], succeeded["run_number"]
    rows = json.loads(_ok(cli("history", "--json")))
    assert len(rows) == min(20, len(local.session.executions()))  # every run, newest first
    row = rows[0]
    assert row["run"] == succeeded["name"] and row["status"] == "SUCCEEDED"
    assert row["version"] == version and row["run_number"] == run_number
    metric = succeeded["metric"]
    assert row["metrics"] == {metric["MetricName"]: pytest.approx(metric["Value"], abs=0.001)}
    assert row["endpoint_config"] == succeeded["endpoint_config"]
    assert f"{STACK}-v{version}-" in row["endpoint_config"] and row["run"].startswith("sns-")
    table = _ok(cli("history"))
    assert max(len(line) for line in table.splitlines()) <= 100
    assert f"{run_number}/v{version}" in table and "SUCCEEDED" in table
    assert _metric_text(succeeded) in table
    assert row["run"][:12] in table and row["run"] not in table  # shortened


def test_logs_show_the_training_log_and_the_steps_of_the_latest_run(cli, succeeded):
    training = _ok(cli("logs", "--kind", "training"))
    assert "accuracy=" in training
    steps = _ok(cli("logs", "--kind", "steps"))
    assert "→ Initialize" in steps and "ExecutionSucceeded" in steps
    assert "this run built no image" in _refused(cli("logs", "--kind", "build"))


def test_graph_of_the_latest_run_colours_its_path(cli, tmp_path, succeeded):
    page = tmp_path / "x.html"
    assert "wrote" in _ok(cli("graph", "--run", "latest", "-o", str(page)))
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") or "<svg" in text
    assert 'class="state visited" data-state="Start Training Job"' in text
    assert 'class="state idle" data-state="Start Tuning Job"' in text
    numbers = f"(run {succeeded['run_number']}, version {succeeded['version']})</h1>"
    assert numbers in text  # the run's own numbers in the title


def test_a_failed_training_shows_the_real_error_and_cause(cli, iris):
    result = cli("start", "--wait", "--set", 'hyperparameters={"model": "no-such-model"}')
    assert result.exit_code == 1, result.output
    assert "TrainingFailed" in result.stdout
    assert "invalid choice: 'no-such-model'" in result.stdout
    view = json.loads(_ok(cli("status", "--json")))
    assert view["status"] == "FAILED" and view["error"] == "TrainingFailed"
    assert "no-such-model" in view["cause"]
    assert view["job"]["kind"] == "training" and view["job"]["status"] == "Failed"
    row = json.loads(_ok(cli("history", "--json")))[0]
    assert row["error"] == "TrainingFailed" and "no-such-model" in row["cause"]
    assert "TrainingFailed" in _ok(cli("history"))


def test_a_lambda_error_shows_its_error_message_not_the_json_around_it(cli, local):
    # `params set bogus=1` is refused before saving, and Launch rejects such overrides on
    # arrival; a document written by other means reaches Initialize, which fails the run.
    stored = _parameters(local)
    local.client("ssm").put_parameter(
        Name=local.outputs["ParameterStore"],
        Value=json.dumps({**stored, "bogus": 1}),
        Type="String",
        Overwrite=True,
    )
    try:
        known = {e["executionArn"] for e in local.session.executions()}
        local.session.publish_launch({})
        run = local.session.wait_for_execution(known)
        for _ in local.session.follow(run, timeout=60):
            pass
    finally:
        local.session.set_parameters(stored)
    view = json.loads(_ok(cli("status", "--json")))
    assert view["status"] == "FAILED"
    assert view["error"] == "InvalidParameters"
    assert "unknown key 'bogus'" in view["cause"]
    assert "errorType" not in view["cause"] and "errorMessage" not in view["cause"]


def test_rollback_after_two_successful_runs_waits_and_prints_the_version_it_serves(
    cli, local, serving
):
    # One version back from the one this test deploys: the newest version before it.
    configs = _config_versions(local)
    target = max(configs)
    out = _ok(cli("start", "--wait", "--set", 'hyperparameters={"max_depth": 2}'))
    assert "SUCCEEDED" in out
    deployed = _serving_config(local)
    assert _version_of(deployed) > target
    local.session.notifications(local.inbox)

    result = cli("rollback")
    assert _ok(result).strip() == f"rolled back to v{target} (endpoint config {configs[target]})"
    assert "rollback requested: message" in result.stderr
    # The command returned once the endpoint served it.
    assert _serving_config(local) == configs[target]
    assert _subjects(local, "rolled back")
    described = local.client("sagemaker").describe_endpoint(
        EndpointName=local.outputs["SageMakerEndpoint"]
    )
    assert described["EndpointStatus"] == "InService"
    queues = local.client("sqs").list_queues().get("QueueUrls", [])
    assert not [q for q in queues if "sagebuild-rollback-" in q]  # its inbox is gone


def test_rollback_to_a_version_that_does_not_exist_is_refused_with_the_reason(
    cli, local, serving, inbox
):
    versions = sorted(_config_versions(local))
    missing = max(versions) + 99
    result = cli("rollback", "--to", str(missing))
    assert result.exit_code == 1, result.output
    assert result.stdout.strip() == (
        f"rollback refused: no endpoint config for version {missing}; "
        f"versions available: {versions}"
    )
    assert _serving_config(local) == serving

    requested = _ok(cli("rollback", "--to", str(missing), "--no-wait"))
    assert f"rollback to version {missing} requested" in requested
    assert _subjects(local, "rollback refused")
    assert _serving_config(local) == serving

    current = _version_of(serving)
    already = _ok(cli("rollback", "--to", str(current)))
    assert already.strip() == f"the endpoint already serves v{current} (endpoint config {serving})"


def test_ask_talks_to_the_alexa_skill_function_like_alexa_does(cli, succeeded):
    last = _ok(cli("ask", "last")).lower()
    assert f"run {succeeded['run_number']}, version {succeeded['version']}," in last
    assert "succeeded" in last
    status = _ok(cli("ask", "status")).lower()
    assert "no build is running" in status and "succeeded" in status
    assert "unknown question 'weather'" in _refused(cli("ask", "weather"))


def test_stop_aborts_the_running_run_and_waits_until_its_training_job_stopped(
    cli, local, tmp_path, iris, inbox
):
    # A training program that runs until it is stopped (at most 300 s).
    (tmp_path / "train.py").write_text(
        "import threading\nprint('slow', flush=True)\nthreading.Event().wait(300)\n"
    )
    slow = local.session.upload_source(tmp_path, "scripts/slow.tar.gz")
    _ok(cli("start", "--reason", "to be stopped", "--set", f"trainsourcefile={slow}"))
    execution = _wait_for_state(local, "Wait For Training")
    name = execution.split(":")[-1]
    out = _ok(cli("stop"))
    assert f"stopped {name}" in out
    [job_line] = [line for line in out.splitlines() if "training job" in line]
    assert job_line.strip().endswith(": Stopped"), out
    job = job_line.split("training job")[1].split(":")[0].strip()
    described = local.client("sagemaker").describe_training_job(TrainingJobName=job)
    assert described["TrainingJobStatus"] == "Stopped"
    status = local.client("stepfunctions").describe_execution(executionArn=execution)["status"]
    assert status == "ABORTED"
    view = json.loads(_ok(cli("status", "--run", name, "--json")))
    assert view["status"] == "ABORTED"
    assert _ok(cli("stop")).startswith("no run in progress")
    assert _subjects(local, ": stopped")


def test_history_failed_triggers_lists_a_rejected_message_with_its_body(cli, local):
    before = json.loads(_ok(cli("history", "--failed-triggers", "--json")))
    body = json.dumps({"Records": [{"eventSource": "aws:codecommit"}]})
    local.session.publish_launch(body)
    table = _ok(cli("history", "--failed-triggers"))
    assert "Failed triggers" in table and "codecommit" in table
    after = json.loads(_ok(cli("history", "--failed-triggers", "--json")))
    [row] = [r for r in after if r not in before]
    assert row["body"] == body and row["kept_in"] == "run table"
    assert "codecommit.references[0].commit" in row["reason"]


def _wait_for_state(local, state: str, timeout: float = 60) -> str:
    """The ARN of the running execution whose last state entered is `state`."""
    sfn = local.client("stepfunctions")

    def reached() -> str | None:
        for execution in sfn.list_executions(
            stateMachineArn=local.outputs["StateMachine"], statusFilter="RUNNING"
        )["executions"]:
            events = sfn.get_execution_history(
                executionArn=execution["executionArn"], maxResults=1000
            )["events"]
            entered = [e for e in events if e["type"].endswith("StateEntered")]
            if entered and entered[-1]["stateEnteredEventDetails"]["name"] == state:
                return str(execution["executionArn"])
        return None

    return wait_until(reached, timeout, what=f"a run to reach {state}")


APPROVAL = 'approval={"Required": true, "TimeoutHours": 1}'


def test_approval_waits_for_a_person_then_approve_deploys(
    cli, local, monkeypatch, serving, inbox, restore_parameters
):
    monkeypatch.setenv("SAGEBUILD_APPROVER", "ana")
    assert "no run is waiting for approval" in _refused(cli("approve"))
    _ok(cli("params", "set", APPROVAL))
    before = _serving_config(local)
    _ok(cli("start", "--reason", "needs approval"))
    arn = _wait_for_state(local, "Request Approval")
    assert _subjects(local, "waiting for approval")
    assert "as ana: it deploys now" in _ok(cli("approve"))
    for _ in local.session.follow(arn, timeout=120):
        pass
    final = local.session.run_result(arn)
    assert final["status"] == "SUCCEEDED"
    assert final["output"]["approval"]["by"] == "ana"
    assert _serving_config(local) != before


def test_reject_fails_the_run_and_keeps_the_live_version(
    cli, local, monkeypatch, serving, inbox, restore_parameters
):
    monkeypatch.setenv("SAGEBUILD_APPROVER", "bo")
    _ok(cli("params", "set", APPROVAL))
    before = _serving_config(local)
    models = len(local.client("sagemaker").list_models()["Models"])
    _ok(cli("start", "--reason", "to be rejected"))
    arn = _wait_for_state(local, "Request Approval")
    assert "rejected" in _ok(cli("reject", "--reason", "metrics look worse"))
    for _ in local.session.follow(arn, timeout=120):
        pass
    assert local.session.run_result(arn)["status"] == "FAILED"
    notes = local.session.notifications(local.inbox)
    failed = [n for n in notes if n["Subject"].endswith("FAILED")][-1]
    assert "failed at approval (rejected): rejected by bo: metrics look worse" in failed["Message"]
    assert _serving_config(local) == before
    assert len(local.client("sagemaker").list_models()["Models"]) == models


# --- the local stack as a background process ------------------------------------------------


@pytest.mark.slow  # a stack and a run of its own (make test-slow; CI runs both)
def test_a_new_project_runs_from_init_to_a_prediction_on_a_background_local_stack(
    tmp_path, monkeypatch
):
    """`sagebuild init && local up && upload-code && upload-data && start --wait` in an
    empty folder, then the local stack's status, IAM report and stop."""
    folder = tmp_path / "fresh-project"
    runner = CliRunner()

    def sagebuild(*args: str):
        return runner.invoke(app, list(args))

    monkeypatch.delenv("SAGEBUILD_STATE_DIR", raising=False)
    monkeypatch.delenv("SAGEBUILD_STACK", raising=False)
    assert "sagebuild local up" in _ok(sagebuild("init", str(folder)))
    monkeypatch.chdir(folder)
    state = str(folder / ".sagebuild" / "local")
    up = sagebuild("local", "up", "--json")
    try:
        started = json.loads(_ok(up))
        assert started["started"] is True and started["stack"] == "fresh-project"
        assert "fresh-project" in _ok(sagebuild("upload-code"))
        assert "train/fresh-project/sample.csv" in _ok(sagebuild("upload-data"))
        out = _ok(sagebuild("start", "--wait", "--reason", "first run of a new project"))
        assert "SUCCEEDED" in out and "accuracy=" in out
        answer = _ok(sagebuild("invoke", "--body", "5.0,3.4,1.5,0.2"))
        assert answer.strip().strip("[]") in ("0", "0.0")
        assert started["endpoint_url"].startswith("http://127.0.0.1:")
        assert "StateMachine" in started["outputs"]
        assert json.loads(_ok(sagebuild("local", "status", "--json")))["running"] is True
        assert json.loads(_ok(sagebuild("local", "up", "--json")))["started"] is False
        outputs = json.loads(_ok(sagebuild("outputs", "--json")))  # local by default
        assert outputs == started["outputs"]
        assert json.loads(_ok(sagebuild("params", "get", "framework"))) == "SCIKIT"
        # The deploy's parameter-merge custom resource read the parameter as its own role.
        report = json.loads(_ok(sagebuild("local", "iam", "--json")))
        assert report["running"] is True and report["denials"] == 0
        merge = [r for r in report["roles"] if "ParameterMergeFunctionRole" in r]
        assert [c["action"] for c in report["roles"][merge[0]]["calls"]] == ["ssm:GetParameter"]
        assert "ParameterMergeFunctionRole" in _ok(sagebuild("local", "iam"))
    finally:
        down = sagebuild("local", "down")
    assert "stopped" in _ok(down)
    assert json.loads(_ok(sagebuild("local", "status", "--json")))["running"] is False
    assert not Path(state, "server.port").exists()
    # After the stop: the report the server wrote when it stopped.
    assert json.loads(_ok(sagebuild("local", "iam", "--json")))["running"] is False
