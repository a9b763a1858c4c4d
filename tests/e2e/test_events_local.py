"""EventBridge rules of the real template fire by themselves on the local stack, as on AWS.

The retraining schedule, with no manual call in between. The run-ended rule (Step Functions'
status event → the Run Ended function) is exercised by tests/e2e/test_run_integrity_local.py:
a stopped run's queued trigger starts only through it.
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
