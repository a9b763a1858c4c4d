"""Asynchronous Lambda invocations (SNS, EventBridge) retry, then go to the dead-letter queue."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from helpers import service_role
from local_support import queue, recording_function

from sagebuild.local.moto_ext import events_delivery, lambda_async
from sagebuild.local.stack import LocalStack


@pytest.fixture(scope="module")
def local() -> Iterator[LocalStack]:
    with LocalStack(None, local_services=False) as stack:
        yield stack


def _function(
    local: LocalStack,
    name: str,
    *,
    fail: bool = True,
    dead_letter: str | None = None,
    may_send: bool = True,
) -> tuple[str, Callable[[], list[Any]]]:
    """A function that records every event it gets (and fails if `fail`); (ARN, its events)."""
    statements = []
    if dead_letter and may_send:
        action = "sqs:SendMessage" if ":sqs:" in dead_letter else "sns:Publish"
        statements.append({"Effect": "Allow", "Action": action, "Resource": dead_letter})
    role = service_role(
        local.client("iam"), f"{name}-role", ["lambda.amazonaws.com"], statements or None
    )
    extra: dict[str, Any] = {"DeadLetterConfig": {"TargetArn": dead_letter}} if dead_letter else {}
    return recording_function(local, name, role, fail=fail, **extra)


def _topic_to(local: LocalStack, name: str, function_arn: str) -> str:
    sns = local.client("sns")
    topic = sns.create_topic(Name=name)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function_arn)
    return topic


def _messages(local: LocalStack, url: str) -> list[dict[str, Any]]:
    return (
        local.client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
        .get("Messages", [])
    )


def _dropped(arn: str) -> list[dict[str, Any]]:
    return [d for d in lambda_async.dropped_events() if d["function_arn"] == arn]


def test_a_failing_function_runs_three_times_then_the_dlq_gets_the_event(local):
    url, dlq = queue(local, "failing-dlq")
    arn, events = _function(local, "failing", dead_letter=dlq)
    topic = _topic_to(local, "failing-topic", arn)

    local.client("sns").publish(TopicArn=topic, Message="launch it")

    received = events()
    assert len(received) == 3
    assert received[0] == received[1] == received[2]
    assert received[0]["Records"][0]["Sns"]["Message"] == "launch it"
    [message] = _messages(local, url)
    assert json.loads(message["Body"]) == received[0]
    attributes = message["MessageAttributes"]
    assert attributes["ErrorCode"] == {"DataType": "Number", "StringValue": "200"}
    assert attributes["ErrorMessage"] == {
        "DataType": "String",
        "StringValue": "boom: the event is bad",
    }
    assert attributes["RequestID"]["DataType"] == "String"
    assert attributes["RequestID"]["StringValue"]
    assert _dropped(arn) == []


def test_maximum_retry_attempts_from_the_event_invoke_config_bounds_the_attempts(local):
    url, dlq = queue(local, "no-retry-dlq")
    arn, events = _function(local, "no-retry", dead_letter=dlq)
    local.client("lambda").put_function_event_invoke_config(
        FunctionName="no-retry", MaximumRetryAttempts=0
    )

    outcome = lambda_async.invoke_async(arn, json.dumps({"n": 1}))

    assert outcome.attempts == 1 and len(events()) == 1
    assert outcome.dead_letter_arn == dlq and not outcome.dropped
    assert [json.loads(m["Body"]) for m in _messages(local, url)] == [{"n": 1}]


def test_without_a_dead_letter_config_the_event_is_dropped_and_recorded(local):
    arn, events = _function(local, "no-dlq")

    outcome = lambda_async.invoke_async(arn, json.dumps({"n": 2}))

    assert outcome.dropped and outcome.attempts == 3 and len(events()) == 3
    assert outcome.error is not None and outcome.error["errorType"] == "ValueError"
    [record] = _dropped(arn)
    assert record["attempts"] == 3
    assert record["payload"] == json.dumps({"n": 2})
    assert record["error_message"] == "boom: the event is bad"
    assert record["request_id"] == outcome.request_id
    assert "no DeadLetterConfig" in record["reason"]


def test_a_successful_invocation_runs_once_and_sends_nothing(local):
    url, dlq = queue(local, "fine-dlq")
    arn, events = _function(local, "fine", fail=False, dead_letter=dlq)
    topic = _topic_to(local, "fine-topic", arn)

    local.client("sns").publish(TopicArn=topic, Message="all good")

    assert len(events()) == 1
    assert _messages(local, url) == []
    assert _dropped(arn) == []


def test_a_dlq_the_execution_role_may_not_send_to_drops_the_event(local):
    url, dlq = queue(local, "closed-dlq")
    arn, _ = _function(local, "closed", dead_letter=dlq, may_send=False)

    outcome = lambda_async.invoke_async(arn, json.dumps({"n": 3}))

    assert outcome.dropped
    [record] = _dropped(arn)
    assert dlq in record["reason"] and "sqs:SendMessage" in record["reason"]
    assert _messages(local, url) == []


def test_an_sns_topic_as_dlq_publishes_the_event_with_the_attributes(local):
    sns = local.client("sns")
    topic = sns.create_topic(Name="dead-letters")["TopicArn"]
    url, queue_arn = queue(local, "dead-letters-copy")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    arn, _ = _function(local, "to-topic", dead_letter=topic)

    outcome = lambda_async.invoke_async(arn, json.dumps({"n": 4}))

    assert outcome.dead_letter_arn == topic
    [message] = _messages(local, url)
    envelope = json.loads(message["Body"])
    assert json.loads(envelope["Message"]) == {"n": 4}
    assert envelope["MessageAttributes"]["ErrorCode"] == {"Type": "Number", "Value": "200"}
    assert envelope["MessageAttributes"]["RequestID"]["Value"] == outcome.request_id


def test_an_eventbridge_target_that_fails_is_retried_and_dead_lettered_not_a_failed_delivery(
    local,
):
    url, dlq = queue(local, "rule-dlq")
    arn, events = _function(local, "rule-target", dead_letter=dlq)
    client = local.client("events")
    client.put_rule(Name="to-failing", EventPattern=json.dumps({"source": ["app.async"]}))
    client.put_targets(Rule="to-failing", Targets=[{"Id": "fn", "Arn": arn}])

    client.put_events(Entries=[{"Source": "app.async", "DetailType": "T", "Detail": "{}"}])
    events_delivery.flush()

    assert len(events()) == 3
    [message] = _messages(local, url)
    assert json.loads(message["Body"])["source"] == "app.async"
    assert not [f for f in events_delivery.delivery_failures() if f["target"] == arn]


def test_dead_letter_config_is_kept_returned_and_cleared(local):
    _, dlq = queue(local, "config-dlq")
    _function(local, "configured", dead_letter=dlq)
    client = local.client("lambda")

    configured = client.get_function_configuration(FunctionName="configured")
    client.update_function_configuration(
        FunctionName="configured", DeadLetterConfig={"TargetArn": ""}
    )
    cleared = client.get_function_configuration(FunctionName="configured")

    assert configured["DeadLetterConfig"] == {"TargetArn": dlq}
    assert "DeadLetterConfig" not in cleared


def test_a_cloudformation_function_keeps_its_dead_letter_config_through_an_update(local):
    _, dlq = queue(local, "stack-dlq")
    _, other = queue(local, "stack-dlq-2")
    role = service_role(local.client("iam"), "stack-fn-role", ["lambda.amazonaws.com"])

    def template(target: str) -> str:
        function = {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": "stack-fn",
                "Runtime": "python3.11",
                "Handler": "index.handler",
                "Role": role,
                "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"},
                "DeadLetterConfig": {"TargetArn": target},
            },
        }
        return json.dumps({"Resources": {"Fn": function}})

    cfn, client = local.client("cloudformation"), local.client("lambda")
    cfn.create_stack(StackName="dlq-stack", TemplateBody=template(dlq))
    created = client.get_function_configuration(FunctionName="stack-fn")
    cfn.update_stack(StackName="dlq-stack", TemplateBody=template(other))
    updated = client.get_function_configuration(FunctionName="stack-fn")

    assert created["DeadLetterConfig"] == {"TargetArn": dlq}
    assert updated["DeadLetterConfig"] == {"TargetArn": other}
