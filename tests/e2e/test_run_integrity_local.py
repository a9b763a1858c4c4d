"""Run integrity on the local stack: once per message, one run at a time, stop means stop.

The real template, state machine and functions; the ended-run event reaches the Run Ended
function through the local EventBridge delivery, as on AWS.
"""

from __future__ import annotations

import json

import pytest
from conftest import IRIS, iris_parameters
from helpers import run_table_counter, wait_until

from sagebuild.local.burst import redeliver
from sagebuild.local.stack import LocalStack
from sagebuild.session import Stack

pytestmark = pytest.mark.e2e
# A training program that runs until it is stopped (at most 300 s): the job to stop.
SLOW_TRAIN = "import threading\nprint('training slowly', flush=True)\nthreading.Event().wait(300)\n"


@pytest.fixture(scope="module")
def stack():
    with LocalStack(stack_name="integrity", parameters={"ConfigFramework": "SCIKIT"}) as local:
        stack = Stack(local.outputs, local.client)
        stack.local = local
        stack.inbox = stack.subscribe_inbox()
        stack.upload_data(IRIS / "iris.csv", "train/iris/iris.csv")
        stack.set_parameters(iris_parameters(stack.upload_source(IRIS)))
        yield stack


@pytest.fixture
def serving(stack) -> dict:
    """A version serves on the endpoint: its version record (a run made here if none does)."""
    if not stack.last_version().get("version"):  # {"version": 0} before the first deploy
        _, path, result = stack.run({"reason": "a version to serve"})
        assert result["status"] == "SUCCEEDED", path
    stack.notifications(stack.inbox)  # a test reads only its own notifications
    return stack.last_version()


def _serving_config(stack: Stack) -> str:
    return stack.client("sagemaker").describe_endpoint(
        EndpointName=stack.outputs["SageMakerEndpoint"]
    )["EndpointConfigName"]


def _training_job(stack: Stack, execution: str) -> str:
    """The training job of a run, once its state document names it in progress."""
    sfn = stack.client("stepfunctions")

    def named() -> str | None:
        events = sfn.get_execution_history(executionArn=execution, reverseOrder=True)["events"]
        for event in events:
            output = (event.get("stateExitedEventDetails") or {}).get("output")
            training = (json.loads(output) if output else {}).get("training") or {}
            if training.get("status") == "InProgress":
                return str(training["name"])
        return None

    return wait_until(named, timeout=60, what="the run to start its training job")


def test_a_run_takes_the_next_run_number_and_deploys_the_next_version(stack):
    runs, versions = run_table_counter(stack, "run"), run_table_counter(stack, "version")
    _, path, result = stack.run({"reason": "first"})
    assert result["status"] == "SUCCEEDED", path
    assert result["output"]["deployment"]["version"] == versions + 1
    assert result["output"]["run"]["run_number"] == runs + 1
    assert stack.last_version()["version"] == versions + 1
    stack.notifications(stack.inbox)


def test_stop_mid_training_stops_the_job_keeps_the_endpoint_and_runs_the_queued_trigger(
    stack, tmp_path, serving
):
    serving = _serving_config(stack)
    runs, versions = run_table_counter(stack, "run"), run_table_counter(stack, "version")
    (tmp_path / "train.py").write_text(SLOW_TRAIN)
    slow = stack.upload_source(tmp_path, "scripts/slow.tar.gz")
    known = {e["executionArn"] for e in stack.executions()}
    body = json.dumps({"reason": "to be stopped", "trainsourcefile": slow})
    message_id = stack.publish_launch(body)
    first = stack.wait_for_execution(known)
    job = _training_job(stack, first)

    during = redeliver(stack, message_id, body)
    assert during["outcomes"] == [
        f"duplicate {message_id} already received (run {first.split(':')[-1]})"
    ]
    stack.publish_launch({"reason": "queued behind a stopped run"})
    stack.stop_run(first)

    sagemaker = stack.client("sagemaker")
    wait_until(
        lambda: sagemaker.describe_training_job(TrainingJobName=job)["TrainingJobStatus"]
        == "Stopped",
        timeout=60,
        what=f"training job {job} to stop",
    )
    # The endpoint config changes only when an update completes: the stopped run left the
    # previous version serving, whatever the queued run is doing by now.
    assert _serving_config(stack) == serving
    assert stack.predict([[5.1, 3.5, 1.4, 0.2]])
    second = stack.wait_for_execution(known | {first}, timeout=60)
    for _ in stack.follow(second, timeout=240):
        pass
    result = stack.run_result(second)
    assert result["status"] == "SUCCEEDED"
    assert result["output"]["run"]["trigger"]["detail"] == "queued behind a stopped run"
    assert result["output"]["run"]["run_number"] == runs + 2  # after the stopped run's
    assert result["output"]["deployment"]["version"] == versions + 1  # the stopped one used none
    assert _serving_config(stack) != serving

    subjects = {n["Subject"]: n["Message"] for n in stack.notifications(stack.inbox)}
    stopped = subjects[f"sagebuild integrity run {runs + 1}: stopped"]
    assert f"training job {job}" in stopped and "was stopped" in stopped
    assert "sagebuild integrity: trigger queued" in subjects

    after = redeliver(stack, message_id, body)
    assert after["outcomes"][0].startswith(f"duplicate {message_id} already received")
    assert len(stack.executions()) == len(known) + 2


def _failed_triggers(stack: Stack) -> list[dict]:
    return stack.client("dynamodb").query(
        TableName=stack.outputs["RunTable"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "failed"}},
    )["Items"]


def test_a_message_no_run_can_come_from_is_kept_and_listed(stack):
    known = {e["executionArn"] for e in stack.executions()}
    kept = _failed_triggers(stack)
    stack.notifications(stack.inbox)
    body = json.dumps({"Records": [{"eventSource": "aws:s3", "s3": {"object": {}}}]})
    stack.publish_launch(body)
    notes = stack.notifications(stack.inbox)
    [rejected] = [n for n in notes if n["Subject"] == "sagebuild integrity: trigger rejected"]
    assert "s3.object.key" in rejected["Message"]
    failed = [item for item in _failed_triggers(stack) if item not in kept]
    assert [item["body"]["S"] for item in failed] == [body]
    assert {e["executionArn"] for e in stack.executions()} == known


@pytest.mark.slow
def test_a_burst_of_50_messages_and_5_redeliveries_runs_one_at_a_time_and_loses_none(stack):
    from sagebuild.local.burst import run_burst

    report = run_burst(stack, messages=50, duplicates=5)
    assert report.max_concurrent == 1, report.runs
    assert [r for r in report.runs if r["status"] != "SUCCEEDED"] == []
    assert len(report.placed) == 50  # every message ran, in its own run or coalesced
    names = {r["name"] for r in report.runs}
    assert set(report.placed.values()) <= names
    assert all(o.startswith("duplicate ") for o in report.duplicate_outcomes), report
    assert len(report.versions) == len(set(report.versions)) == len(report.runs)
