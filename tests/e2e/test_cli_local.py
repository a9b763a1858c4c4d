"""The CLI against emulated AWS on 127.0.0.1 (`LocalStack` in server mode, `--endpoint-url`).

The stack here is a small CloudFormation stack with the outputs the CLI reads (LaunchTopic,
RollbackTopic, StateMachine, ParameterStore) and a state machine whose Pass state writes a
state document like Initialize's; it keeps these tests fast and independent of the full
template. SQS queues subscribed to the topics show what the CLI published.
"""

from __future__ import annotations

import json
import shlex
import sys
import time

import pytest
from typer.testing import CliRunner

from sagebuild.cli import app

pytestmark = pytest.mark.e2e
STACK = "clitest"
DOCUMENT = {
    "run": {
        "stack": STACK,
        "version": 3,
        "execution": "e",
        "trigger": {"source": "manual", "detail": "from the test"},
    },
    "flags": {"train": True},
    "training": {
        "name": "job-v3",
        "status": "Completed",
        "metrics": [{"MetricName": "validation:rmse", "Value": 0.25}],
    },
    "deployment": {"name": "ep", "status": "Completed", "endpoint_config": "clitest-v3-abc"},
    "error": {"Error": "", "Cause": ""},
}
ASL = {
    "StartAt": "Hold?",
    "States": {
        "Hold?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.hold", "IsPresent": True, "Next": "Hold"}],
            "Default": "Initialize",
        },
        "Hold": {"Type": "Wait", "Seconds": 600, "Next": "Initialize"},
        "Initialize": {"Type": "Pass", "Result": DOCUMENT, "Next": "Train?"},
        "Train?": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.flags.train", "BooleanEquals": True, "Next": "Run Succeeded"}
            ],
            "Default": "Run Failed",
        },
        "Run Succeeded": {"Type": "Succeed"},
        "Run Failed": {"Type": "Fail", "Error": "Failed"},
    },
}
TEMPLATE = {
    "Parameters": {"ConfigFramework": {"Type": "String", "Default": "XGBOOST"}},
    "Resources": {
        "LaunchTopic": {"Type": "AWS::SNS::Topic"},
        "RollbackTopic": {"Type": "AWS::SNS::Topic"},
        "ParameterStore": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Name": f"/sagebuild/{STACK}/parameters",
                "Type": "String",
                "Value": json.dumps({"framework": "XGBOOST", "trainmaxrun": 2}),
            },
        },
        "PipelineStateMachine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": f"{STACK}-pipeline",
                "RoleArn": "arn:aws:iam::123456789012:role/states",
                "DefinitionString": json.dumps(ASL),
            },
        },
    },
    "Outputs": {
        "LaunchTopic": {"Value": {"Ref": "LaunchTopic"}},
        "RollbackTopic": {"Value": {"Ref": "RollbackTopic"}},
        "ParameterStore": {"Value": {"Ref": "ParameterStore"}},
        "StateMachine": {"Value": {"Ref": "PipelineStateMachine"}},
    },
}


@pytest.fixture(scope="module")
def local():
    from sagebuild.local.stack import LocalStack

    stack = LocalStack(None, mode="server", local_services=False)
    stack.start()
    try:
        cfn = stack.client("cloudformation")
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(TEMPLATE))
        outputs = {
            o["OutputKey"]: o["OutputValue"]
            for o in cfn.describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]
        }
        stack.outputs = outputs
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def cli(local, tmp_path, monkeypatch):
    monkeypatch.setenv("SAGEBUILD_STATE_DIR", str(tmp_path / "state"))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(
            app, ["--local", "--endpoint-url", local.endpoint_url, "--stack", STACK, *args]
        )

    return invoke


def _subscribe(local, output: str) -> str:
    sqs, sns = local.client("sqs"), local.client("sns")
    url = sqs.create_queue(QueueName=f"{output}-{time.monotonic_ns()}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=local.outputs[output],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    return url


def _received(local, url: str) -> dict:
    messages = local.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    return json.loads(messages[0]["Body"])


def _run(local, payload: dict | None = None, wait: bool = True) -> str:
    sfn = local.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=local.outputs["StateMachine"], input=json.dumps(payload or {})
    )["executionArn"]
    deadline = time.monotonic() + 30
    while wait and sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution did not finish"
        time.sleep(0.1)
    return arn


def test_outputs_lists_the_stack_outputs(cli, local):
    result = cli("outputs", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == local.outputs


def test_a_missing_stack_is_one_line_and_exit_2(local, tmp_path, monkeypatch):
    monkeypatch.setenv("SAGEBUILD_STATE_DIR", str(tmp_path))
    result = CliRunner().invoke(
        app, ["--local", "--endpoint-url", local.endpoint_url, "--stack", "nope", "outputs"]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: stack nope not found on the local stack ({local.endpoint_url})\n"
    )


def test_start_publishes_the_launch_message(cli, local):
    queue = _subscribe(local, "LaunchTopic")
    result = cli(
        "start",
        "--no-train",
        "--set",
        "trainmaxrun=2",
        "--set",
        "note=hello",
        "--reason",
        "new features",
    )
    assert result.exit_code == 0, result.output
    assert "message" in result.stdout
    assert _received(local, queue) == {
        "train": False,
        "overrides": {"trainmaxrun": 2, "note": "hello"},
        "reason": "new features",
    }


def test_rollback_publishes_the_version(cli, local):
    queue = _subscribe(local, "RollbackTopic")
    assert cli("rollback", "--to", "3").exit_code == 0
    assert _received(local, queue) == {"version": 3}
    assert cli("rollback").exit_code == 0
    assert _received(local, queue) == {}


def test_params_set_saves_a_valid_change_and_refuses_an_invalid_one(cli, local):
    ssm = local.client("ssm")
    name = local.outputs["ParameterStore"]
    result = cli("params", "set", "trainmaxrun=3", 'hyperparameters={"max_depth": 5}')
    assert result.exit_code == 0, result.output
    saved = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    assert saved["trainmaxrun"] == 3 and saved["hyperparameters"] == {"max_depth": 5}

    result = cli("params", "set", "trainmaxrun=-1", "bogus=1")
    assert result.exit_code == 2
    assert "nothing saved" in result.stderr and "unknown key 'bogus'" in result.stderr
    assert json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"]) == saved

    got = cli("params", "get", "trainmaxrun")
    assert got.exit_code == 0 and json.loads(got.stdout) == 3


def test_history_status_graph_and_logs_of_a_finished_run(cli, local, tmp_path):
    arn = _run(local)
    name = arn.split(":")[-1]

    history = cli("history", "--json")
    assert history.exit_code == 0, history.output
    row = next(r for r in json.loads(history.stdout) if r["run"] == name)
    assert row["status"] == "SUCCEEDED"
    assert row["version"] == 3
    assert row["metrics"] == {"validation:rmse": 0.25}
    assert row["endpoint_config"] == "clitest-v3-abc"
    assert row["trigger"] == "manual: from the test"

    status = cli("status", "--run", name, "--json")
    assert status.exit_code == 0, status.output
    view = json.loads(status.stdout)
    assert view["path"] == ["Hold?", "Initialize", "Train?", "Run Succeeded"]
    assert view["status"] == "SUCCEEDED" and view["current_state"] is None

    page = tmp_path / "run.html"
    drawn = cli("graph", "--run", name, "-o", str(page))
    assert drawn.exit_code == 0, drawn.output
    text = page.read_text()
    assert 'class="state visited" data-state="Train?"' in text
    assert 'class="state idle" data-state="Run Failed"' in text

    table = cli("history")
    assert table.exit_code == 0 and "v3" in table.stdout and "SUCCEEDED" in table.stdout
    panel = cli("status", "--run", name)
    assert panel.exit_code == 0 and "Run Succeeded" in panel.stdout

    steps = cli("logs", "--run", name, "--kind", "steps")
    assert steps.exit_code == 0, steps.output
    assert "→ Initialize" in steps.stdout and "ExecutionSucceeded" in steps.stdout


def test_stop_aborts_the_running_run_and_watch_exits_1(cli, local):
    arn = _run(local, {"hold": True}, wait=False)
    deadline = time.monotonic() + 10
    while (
        cli("status", "--json").exit_code != 0
        or json.loads(cli("status", "--json").stdout)["current_state"] != "Hold"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    result = cli("stop")
    assert result.exit_code == 0, result.output
    assert arn.split(":")[-1] in result.stdout
    status = local.client("stepfunctions").describe_execution(executionArn=arn)["status"]
    assert status == "ABORTED"
    watched = cli("status", "--run", arn, "--watch", "--json")
    assert watched.exit_code == 1
    assert cli("stop").stdout.startswith("no run in progress")


def test_publish_uploads_the_template_and_prints_the_launch_url(cli, local):
    local.client("s3").create_bucket(Bucket="releases")
    result = cli("publish", "--bucket", "releases", "--prefix", "v1", "--json")
    assert result.exit_code == 0, result.output
    urls = json.loads(result.stdout)
    assert urls["template_url"].endswith("/v1/template.json")
    assert "quickcreate?templateURL=" in urls["launch_stack_url"]
    body = local.client("s3").get_object(Bucket="releases", Key="v1/template.json")["Body"]
    assert "s3://releases/v1/code/" in body.read().decode()


def test_local_up_status_and_down_run_the_server_in_the_background(tmp_path):
    state = str(tmp_path / "state")
    runner = CliRunner()
    up = runner.invoke(app, ["--state-dir", state, "local", "up", "--no-template", "--json"])
    try:
        assert up.exit_code == 0, up.output
        started = json.loads(up.stdout)
        assert started["started"] is True
        assert started["endpoint_url"].startswith("http://127.0.0.1:")
        status = runner.invoke(app, ["--state-dir", state, "local", "status", "--json"])
        assert json.loads(status.stdout)["running"] is True
        again = runner.invoke(app, ["--state-dir", state, "local", "up", "--no-template", "--json"])
        assert json.loads(again.stdout)["started"] is False
        missing = runner.invoke(app, ["--state-dir", state, "outputs"])  # local by default
        assert missing.exit_code == 2
        assert "on the local stack" in missing.stderr
    finally:
        down = runner.invoke(app, ["--state-dir", state, "local", "down"])
    assert down.exit_code == 0, down.output
    assert "stopped" in down.stdout
    status = runner.invoke(app, ["--state-dir", state, "local", "status", "--json"])
    assert json.loads(status.stdout)["running"] is False


def _editor(monkeypatch, change: dict) -> None:
    script = (
        "import json, sys; p = sys.argv[1]; d = json.load(open(p)); "
        f"d.update(json.loads({json.dumps(json.dumps(change))})); json.dump(d, open(p, 'w'))"
    )
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}")
    monkeypatch.delenv("VISUAL", raising=False)


def test_params_edit_saves_only_a_valid_document(cli, local, monkeypatch):
    ssm, name = local.client("ssm"), local.outputs["ParameterStore"]
    _editor(monkeypatch, {"trainmaxrun": 5})
    result = cli("params", "edit")
    assert result.exit_code == 0, result.output
    saved = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    assert saved["trainmaxrun"] == 5

    _editor(monkeypatch, {"traininstancetype": "big"})
    result = cli("params", "edit")
    assert result.exit_code == 2
    assert "traininstancetype" in result.stderr and "nothing saved" in result.stderr
    assert json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"]) == saved
