"""`sagebuild rollback`: reading the RollbackFunction's answer, and the endpoint after it."""

from __future__ import annotations

import json
import time

import boto3
from botocore.stub import Stubber

from sagebuild.cli_support.aws import Target
from sagebuild.cli_support.rollback import Outcome, outcome_of, settle, watch_endpoint

ENDPOINT = "demo-endpoint"


def _envelope(outcome: str | None, message: str) -> dict:
    """A TrainStatusTopic notification as an SQS subscriber gets it (not raw delivery)."""
    envelope = {"Type": "Notification", "Subject": "sagebuild demo: ...", "Message": message}
    if outcome:
        envelope["MessageAttributes"] = {
            "outcome": {"Type": "String", "Value": outcome},
            "stack": {"Type": "String", "Value": "demo"},
        }
    return envelope


def test_a_rolled_back_notification_gives_the_version_and_config():
    result = {"from": "demo-v2-b", "to": "demo-v1-a", "changed": True, "version": 1}
    outcome = outcome_of(_envelope("rolled_back", json.dumps(result, indent=1)))
    assert outcome == Outcome(done=True, config="demo-v1-a", version=1)
    assert outcome.text() == "rolled back to v1 (endpoint config demo-v1-a)"


def test_an_unchanged_rollback_says_the_endpoint_already_serves_it():
    result = {"from": "demo-v1-a", "to": "demo-v1-a", "changed": False}
    outcome = outcome_of(_envelope("rolled_back", json.dumps(result)))
    assert outcome is not None and outcome.version == 1  # read from the config's name
    assert outcome.text() == "the endpoint already serves v1 (endpoint config demo-v1-a)"


def test_a_refused_notification_gives_the_reason_on_one_line():
    outcome = outcome_of(_envelope("rollback_refused", "there is no version\nbefore demo-v1-a"))
    assert outcome is not None and not outcome.done
    assert outcome.text() == "rollback refused: there is no version before demo-v1-a"


def test_other_notifications_are_not_outcomes():
    assert outcome_of(_envelope("succeeded", "run 3 succeeded")) is None
    assert outcome_of(_envelope(None, "no attributes")) is None


def _target() -> tuple[Target, Stubber]:
    target = Target(stack="demo", region="us-east-1", local=True, endpoint_url="http://x:1")
    target._outputs = {"SageMakerEndpoint": ENDPOINT}
    target._clients["sagemaker"] = boto3.client(
        "sagemaker",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        endpoint_url="http://127.0.0.1:9",
    )
    return target, Stubber(target._clients["sagemaker"])


def _described(status: str, config: str, reason: str = "") -> dict:
    answer = {
        "EndpointName": ENDPOINT,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "CreationTime": "2026-01-01T00:00:00Z",
        "LastModifiedTime": "2026-01-01T00:00:00Z",
    }
    return {**answer, "FailureReason": reason} if reason else answer


def test_settle_waits_while_the_endpoint_updates_to_the_config_rolled_back_to():
    target, stub = _target()
    stub.add_response("describe_endpoint", _described("Updating", "demo-v2-b"))
    stub.add_response("describe_endpoint", _described("InService", "demo-v1-a"))
    done = Outcome(done=True, config="demo-v1-a", version=1)
    with stub:
        assert settle(target, done, time.monotonic() + 60, poll=0) == done


def test_settle_reports_an_update_that_left_the_old_config_serving():
    target, stub = _target()
    stub.add_response("describe_endpoint", _described("InService", "demo-v2-b", "no capacity"))
    with stub:
        outcome = settle(target, Outcome(done=True, config="demo-v1-a"), time.monotonic() + 60)
    assert not outcome.done
    assert outcome.text() == (
        "rollback failed: the endpoint update to demo-v1-a did not happen: no capacity"
    )


def test_watch_endpoint_sees_the_endpoint_serve_another_config():
    target, stub = _target()
    stub.add_response("describe_endpoint", _described("InService", "demo-v2-b"))
    stub.add_response("describe_endpoint", _described("InService", "demo-v1-a"))
    with stub:
        outcome = watch_endpoint(target, "demo-v2-b", time.monotonic() + 60, poll=0)
    assert outcome.text() == "rolled back to v1 (endpoint config demo-v1-a)"
