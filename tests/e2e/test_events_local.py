"""EventBridge rules of the real template fire by themselves on the local stack, as on AWS.

The run-ended rule (Step Functions' status event of an ended run → the Run Ended function,
which starts what waits) and the retraining schedule, with no manual call in between.
"""

from __future__ import annotations

import json

import pytest
from conftest import IRIS, iris_parameters

from sagebuild.local.moto_ext import events_delivery
from sagebuild.local.stack import LocalStack
from sagebuild.session import Stack

pytestmark = pytest.mark.e2e
WEEK = 7 * 86400


@pytest.fixture(scope="module")
def stack():
    parameters = {"ConfigFramework": "SCIKIT", "RetrainSchedule": "rate(7 days)"}
    with LocalStack(stack_name="events", parameters=parameters) as local:
        stack = Stack(local.outputs, local.client)
        stack.local = local
        stack.upload_data(IRIS / "iris.csv", "train/iris/iris.csv")
        stack.set_parameters(iris_parameters(stack.upload_source(IRIS)))
        yield stack


def test_a_stopped_run_starts_the_trigger_queued_behind_it_by_itself(stack):
    known = {e["executionArn"] for e in stack.executions()}
    stack.publish_launch({"reason": "to be stopped"})
    first = stack.wait_for_execution(known)
    stack.publish_launch({"reason": "queued behind a stopped run"})

    stack.stop_run(first)  # only its status event can start what waits behind it

    second = stack.wait_for_execution(known | {first}, timeout=60)
    for _ in stack.follow(second, timeout=240):
        pass
    assert stack.run_result(first)["status"] == "ABORTED"
    result = stack.run_result(second)
    assert result["status"] == "SUCCEEDED"
    assert result["output"]["run"]["trigger"] == {
        "source": "sns",
        "detail": "queued behind a stopped run",
    }
    ended = [
        d["input"]["detail"]
        for d in events_delivery.deliveries()
        if d["rule"].startswith("events-RunEndedFunction") and d["error"] is None
    ]
    assert {"executionArn": first, "status": "ABORTED"}.items() <= ended[0].items()


def test_the_retraining_schedule_starts_a_run_by_itself(stack):
    known = {e["executionArn"] for e in stack.executions()}
    events_delivery.set_schedule_time_scale(WEEK / 2)  # a week passes in about 2 seconds
    try:
        started = stack.wait_for_execution(known, timeout=60)
    finally:
        events_delivery.set_schedule_time_scale(1)
    execution = stack.client("stepfunctions").describe_execution(executionArn=started)
    assert json.loads(execution["input"])["trigger"] == {
        "source": "schedule",
        "detail": "retraining schedule",
    }
    [tick] = [d for d in events_delivery.deliveries() if d["rule"].startswith("events-Retrain")]
    assert tick["input"]["detail-type"] == "Scheduled Event" and tick["error"] is None
    stack.stop_run(started)  # what the run does next is test_pipeline_local's business
    for _ in stack.follow(started, timeout=60):
        pass
