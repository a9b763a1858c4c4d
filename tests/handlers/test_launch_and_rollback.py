"""Launch, Run Ended and Rollback against moto: once per trigger, one run at a time, no loss."""

from __future__ import annotations

import json

import boto3
import pytest
from conftest import notifications
from handlers import launch, rollback, run_ended

DEFINITION = json.dumps(
    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
)


@pytest.fixture
def machine(stack, monkeypatch):
    from handlers.common import get_settings

    sfn = boto3.client("stepfunctions")
    role = "arn:aws:iam::123456789012:role/sfn"
    arn = sfn.create_state_machine(name="pipeline", definition=DEFINITION, roleArn=role)[
        "stateMachineArn"
    ]
    monkeypatch.setenv("STATE_MACHINE_ARN", arn)
    get_settings.cache_clear()
    return arn


def _sns(*messages: str, ids: list[str] | None = None) -> dict:
    ids = ids or [f"m{i}" for i in range(len(messages))]
    return {
        "Records": [
            {"Sns": {"Message": m, "MessageId": i}} for m, i in zip(messages, ids, strict=True)
        ]
    }


def _executions(arn: str) -> list[dict]:
    return boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]


def _ended(execution_arn: str, status: str) -> dict:
    """The Step Functions status event EventBridge delivers to the Run Ended function."""
    return {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {"executionArn": execution_arn, "status": status},
    }


def _stop(execution: dict) -> None:
    boto3.client("stepfunctions").stop_execution(executionArn=execution["executionArn"])


def _input(execution: dict) -> dict:
    described = boto3.client("stepfunctions").describe_execution(
        executionArn=execution["executionArn"]
    )
    return json.loads(described["input"])


def test_launch_starts_a_run_named_after_the_message_id_with_the_overrides(machine, ctx):
    result = launch.handler(_sns(json.dumps({"train": False, "reason": "cli"})), ctx)
    [execution] = _executions(machine)
    assert execution["name"] == "sns-m0"
    assert result["outcomes"] == ["started m0"]
    assert _input(execution) == {
        "trigger": {"source": "sns", "detail": "cli"},
        "overrides": {"train": False},
        "trigger_ids": ["m0"],
    }


def test_launch_starts_a_run_for_a_message_that_is_not_json(machine, ctx):
    result = launch.handler(_sns("{not json"), ctx)
    assert result["outcomes"] == ["started m0"] and len(_executions(machine)) == 1


def test_a_redelivery_during_and_after_its_run_starts_nothing_and_raises_nothing(
    machine, stack, ctx
):
    launch.handler(_sns("{}", ids=["same"]), ctx)
    [execution] = _executions(machine)
    during = launch.handler(_sns("{}", ids=["same"]), ctx)
    assert during["outcomes"] == ["duplicate same already received (run sns-same)"]
    _stop(execution)
    run_ended.handler(_ended(execution["executionArn"], "ABORTED"), ctx)
    after = launch.handler(_sns("{}", ids=["same"]), ctx)
    assert after["outcomes"][0] == "duplicate same already received (run sns-same)"
    assert len(_executions(machine)) == 1
    subjects = [note["Subject"] for note in notifications(stack["inbox"])]
    assert "sagebuild demo: trigger queued" not in subjects


def test_triggers_during_a_run_are_queued_then_run_as_one_when_it_ends(machine, stack, ctx):
    launch.handler(_sns("{}"), ctx)
    [first] = _executions(machine)
    queued = launch.handler(
        _sns(
            json.dumps({"traininstancecount": 2}),
            json.dumps({"reason": "second"}),
            ids=["q1", "q2"],
        ),
        ctx,
    )
    assert queued["outcomes"] == [
        "queued q1 sns trigger waits behind sns-m0",
        "queued q2 sns trigger waits behind sns-m0",
    ]
    [note] = notifications(stack["inbox"])
    assert note["Subject"] == "sagebuild demo: trigger queued"
    assert len(_executions(machine)) == 1
    _stop(first)
    ended = run_ended.handler(_ended(first["executionArn"], "ABORTED"), ctx)
    assert ended["next"] == "started q1, q2"
    [second] = [e for e in _executions(machine) if e["name"] != "sns-m0"]
    assert second["name"] == "sns-q1"
    run_input = _input(second)
    assert run_input["trigger"]["source"] == "queued" and run_input["trigger_ids"] == ["q1", "q2"]
    assert run_input["overrides"] == {"traininstancecount": 2}
    again = run_ended.handler(_ended(first["executionArn"], "ABORTED"), ctx)  # redelivered event
    assert again["next"] == "held" and len(_executions(machine)) == 2


def test_a_trigger_after_an_unnoticed_end_starts_what_the_ended_run_left_queued(machine, ctx):
    launch.handler(_sns("{}"), ctx)
    [first] = _executions(machine)
    launch.handler(_sns(json.dumps({"hostinstancecount": 2}), ids=["waiting"]), ctx)
    _stop(first)  # and its status event is never delivered
    result = launch.handler(_sns(json.dumps({"reason": "after stop"}), ids=["late"]), ctx)
    assert result["outcomes"] == ["started late"]
    [second] = [e for e in _executions(machine) if e["name"] != "sns-m0"]
    assert _input(second)["trigger_ids"] == ["waiting", "late"]


def test_a_lease_whose_run_never_started_is_recovered_by_the_next_launch(machine, stack, ctx):
    from domain.run_table import RunTable, StoredTrigger
    from handlers.common import aws, now

    table = RunTable(aws, stack["table"])
    table.add_trigger(StoredTrigger("lost", "sns", "crashed launcher", {}, "2026-01-01"), now())
    assert table.replace_lease(table.lease(), "sns-lost", ["lost"], now())  # then it died
    result = launch.handler(_sns("{}", ids=["next"]), ctx)
    assert "started recovered" in result["outcomes"][0]
    [execution] = _executions(machine)
    assert execution["name"] == "sns-lost" and _input(execution)["trigger_ids"] == ["lost"]
    assert result["outcomes"][1] == "queued next sns trigger waits behind sns-lost"


BAD_MESSAGES = {
    "deep nesting": "[" * 1000 + "]" * 1000,
    "Records not a list": json.dumps({"Records": 3}),
    "empty Records": json.dumps({"Records": []}),
    "S3 record without object": json.dumps({"Records": [{"eventSource": "aws:s3", "s3": {}}]}),
    "S3 record s3 not an object": json.dumps({"Records": [{"eventSource": "aws:s3", "s3": 1}]}),
    "CodeCommit without references": json.dumps(
        {"Records": [{"eventSource": "aws:codecommit", "codecommit": {"references": []}}]}
    ),
    "record not an object": json.dumps({"Records": ["x"]}),
}


@pytest.mark.parametrize("name", sorted(BAD_MESSAGES))
def test_a_bad_message_is_rejected_with_a_notification_and_kept_with_its_body(
    machine, stack, ctx, name
):
    from domain.run_table import RunTable
    from handlers.common import aws

    body = BAD_MESSAGES[name]
    result = launch.handler(_sns(body), ctx)
    assert result["outcomes"][0].startswith("rejected ")
    assert _executions(machine) == []
    [note] = notifications(stack["inbox"])
    assert note["Subject"] == "sagebuild demo: trigger rejected"
    reason = result["outcomes"][0].removeprefix("rejected ")
    assert reason in note["Message"] and "history --failed-triggers" in note["Message"]
    [kept] = RunTable(aws, stack["table"]).failed_triggers()
    assert kept["body"] == body and kept["reason"] == reason


def test_an_event_that_is_no_lambda_event_at_all_is_kept_and_raises_nothing(machine, stack, ctx):
    from domain.run_table import RunTable
    from handlers.common import aws

    for event in ({}, {"Records": [{"Sns": {"Message": 5}}]}, {"unexpected": [1, 2]}):
        assert launch.handler(event, ctx)["outcomes"][0].startswith("rejected ")
    assert len(RunTable(aws, stack["table"]).failed_triggers()) == 3
    assert _executions(machine) == []


def _config(sm, name: str, model: str) -> None:
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "v",
                "ModelName": model,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.t2.medium",
            }
        ],
    )


def test_rollback_to_a_missing_version_is_refused_with_a_notification(stack, ctx):
    sm = boto3.client("sagemaker")
    sm.create_model(
        ModelName="m",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
        PrimaryContainer={"Image": "i"},
    )
    _config(sm, "demo-v1-aaaaaa", "m")
    _config(sm, "demo-v2-bbbbbb", "m")
    sm.create_endpoint(EndpointName="demo", EndpointConfigName="demo-v2-bbbbbb")
    result = rollback.handler(_sns(json.dumps({"version": 7})), ctx)
    assert result["changed"] is False and "versions available: [1, 2]" in result["error"]
    [note] = notifications(stack["inbox"])
    assert note["Subject"] == "sagebuild demo: rollback refused"


@pytest.mark.parametrize(
    "message",
    [
        json.dumps({"version": "²"}),
        json.dumps({"version": 1.5}),
        json.dumps({"version": -2}),
        json.dumps({"version": True}),
        '{"version": 1e999}',
        "[" * 1000 + "]" * 1000,
        "not json",
    ],
)
def test_rollback_refuses_a_message_that_names_no_version_and_keeps_it(stack, ctx, message):
    from domain.run_table import RunTable
    from handlers.common import aws

    result = rollback.handler(_sns(message), ctx)
    assert result["changed"] is False
    [note] = notifications(stack["inbox"])
    assert note["Subject"] == "sagebuild demo: rollback refused"
    assert note["Message"] == result["error"]
    [kept] = RunTable(aws, stack["table"]).failed_triggers()
    assert kept["body"] == message and kept["source"] == "rollback"


def test_a_trigger_with_bad_overrides_is_rejected_on_arrival_and_not_run_with_good_ones(
    machine, stack, ctx
):
    from domain.run_table import RunTable
    from handlers.common import aws

    launch.handler(_sns("{}"), ctx)
    [first] = _executions(machine)
    bad = json.dumps({"traininstancecount": "two", "reason": "typo"})
    result = launch.handler(_sns(bad, json.dumps({"reason": "good"}), ids=["bad", "good"]), ctx)
    assert result["outcomes"][0].startswith("rejected bad overrides: traininstancecount")
    assert result["outcomes"][1] == "queued good sns trigger waits behind sns-m0"
    [kept] = RunTable(aws, stack["table"]).failed_triggers()
    assert kept["body"] == bad
    again = launch.handler(_sns(bad, ids=["bad"]), ctx)  # redelivered: not kept twice
    assert again["outcomes"][0].startswith("duplicate bad")
    assert len(RunTable(aws, stack["table"]).failed_triggers()) == 1
    _stop(first)
    run_ended.handler(_ended(first["executionArn"], "ABORTED"), ctx)
    [second] = [e for e in _executions(machine) if e["name"] != "sns-m0"]
    assert _input(second)["trigger_ids"] == ["good"]
    subjects = [n["Subject"] for n in notifications(stack["inbox"])]
    assert "sagebuild demo: trigger rejected" in subjects


def test_a_scheduled_event_starts_a_run_named_after_its_id(machine, ctx):
    event = {
        "version": "0",
        "id": "tick-1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/retrain"],
        "detail": {},
    }
    assert launch.handler(event, ctx)["outcomes"] == ["started tick-1"]
    [execution] = _executions(machine)
    assert execution["name"] == "schedule-tick-1"
    assert _input(execution)["trigger"] == {"source": "schedule", "detail": "retraining schedule"}


def test_a_launch_message_from_a_queue_starts_a_run_and_its_redelivery_nothing(machine, ctx):
    record = {
        "messageId": "q-1",
        "receiptHandle": "handle",
        "body": json.dumps({"hostinstancecount": 2, "reason": "queue"}),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1767225600000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1767225600001",
        },
        "messageAttributes": {},
        "md5OfBody": "0",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:launch",
        "awsRegion": "us-east-1",
    }
    assert launch.handler({"Records": [record]}, ctx)["outcomes"] == ["started q-1"]
    again = launch.handler({"Records": [record]}, ctx)["outcomes"]
    assert again == ["duplicate q-1 already received (run sqs-q-1)"]
    [execution] = _executions(machine)
    assert _input(execution)["overrides"] == {"hostinstancecount": 2}


def _endpoint_at_v2() -> None:
    sm = boto3.client("sagemaker")
    sm.create_model(
        ModelName="m",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
        PrimaryContainer={"Image": "i"},
    )
    _config(sm, "demo-v1-aaaaaa", "m")
    _config(sm, "demo-v2-bbbbbb", "m")
    sm.create_endpoint(EndpointName="demo", EndpointConfigName="demo-v2-bbbbbb")


@pytest.fixture
def updates(monkeypatch) -> list[str]:
    """UpdateEndpoint (moto has none): the endpoint configs asked for."""
    from moto.core.responses import ActionResult
    from moto.sagemaker.responses import SageMakerResponse

    calls: list[str] = []

    def update_endpoint(self):
        calls.append(self._get_param("EndpointConfigName"))
        name = self._get_param("EndpointName")
        return ActionResult({"EndpointArn": f"arn:aws:sagemaker:us-east-1:1:endpoint/{name}"})

    monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)
    return calls


def test_rollback_one_version_back_updates_the_endpoint_and_says_so(stack, ctx, updates):
    _endpoint_at_v2()
    result = rollback.handler(_sns("{}"), ctx)
    assert result == {
        "endpoint": "demo",
        "from": "demo-v2-bbbbbb",
        "to": "demo-v1-aaaaaa",
        "changed": True,
        "version": 1,
        "released_scaling": [],
    }
    assert updates == ["demo-v1-aaaaaa"]
    [note] = notifications(stack["inbox"])
    assert note["Subject"] == "sagebuild demo: rolled back to demo-v1-aaaaaa"
    assert json.loads(note["Message"]) == result
    assert note["MessageAttributes"]["outcome"]["Value"] == "rolled_back"


def test_rollback_to_the_version_served_changes_nothing_and_says_so(stack, ctx):
    _endpoint_at_v2()
    result = rollback.handler({"version": 2}, ctx)
    assert result == {
        "endpoint": "demo",
        "from": "demo-v2-bbbbbb",
        "to": "demo-v2-bbbbbb",
        "changed": False,
    }


def test_a_rollback_event_without_an_sns_message_rolls_nothing_back_and_is_kept(
    stack, ctx, updates
):
    from domain.run_table import RunTable
    from handlers.common import aws

    _endpoint_at_v2()
    result = rollback.handler({"Records": [{"Sns": {"Message": 5}}]}, ctx)
    assert result["changed"] is False and "not an SNS notification" in result["error"]
    assert updates == []
    [note] = notifications(stack["inbox"])
    assert note["MessageAttributes"]["outcome"]["Value"] == "rollback_refused"
    [kept] = RunTable(aws, stack["table"]).failed_triggers()
    assert kept["source"] == "rollback" and "Records" in kept["body"]
