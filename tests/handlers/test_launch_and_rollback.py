"""Launch and rollback handlers against moto: start, queue and coalesce; roll back by version."""

from __future__ import annotations

import json

import boto3
import pytest
from conftest import notifications
from handlers import launch, rollback

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


def _sns(*messages: str) -> dict:
    return {
        "Records": [{"Sns": {"Message": m, "MessageId": f"m{i}"}} for i, m in enumerate(messages)]
    }


def _executions(arn: str) -> list[dict]:
    return boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]


def test_launch_starts_a_run_with_the_overrides_as_input(machine, ctx):
    result = launch.handler(_sns(json.dumps({"train": False, "reason": "cli"})), ctx)
    [execution] = _executions(machine)
    assert result["outcomes"] == [f"started {execution['executionArn']}"]
    described = boto3.client("stepfunctions").describe_execution(
        executionArn=execution["executionArn"]
    )
    assert json.loads(described["input"]) == {
        "trigger": {"source": "sns", "detail": "cli"},
        "overrides": {"train": False},
    }


def test_launch_never_crashes_on_a_message_that_is_not_json(machine, ctx):
    result = launch.handler(_sns("{not json"), ctx)
    assert result["outcomes"][0].startswith("started")


def test_triggers_during_a_run_are_queued_then_coalesced_into_one_run(machine, ctx):
    launch.handler(_sns("{}"), ctx)
    [first] = _executions(machine)
    queued = launch.handler(
        _sns(json.dumps({"traininstancecount": 2}), json.dumps({"reason": "second"})), ctx
    )
    assert len(queued["outcomes"]) == 2 and all(o.startswith("queued") for o in queued["outcomes"])
    assert len(_executions(machine)) == 1
    drained = launch.handler(
        _sns(json.dumps({"sagebuild": "drain", "finished_execution": first["executionArn"]})), ctx
    )
    assert drained["outcomes"][0].startswith("started")
    newest = [e for e in _executions(machine) if e["executionArn"] != first["executionArn"]]
    described = boto3.client("stepfunctions").describe_execution(
        executionArn=newest[0]["executionArn"]
    )
    run_input = json.loads(described["input"])
    assert run_input["trigger"]["source"] == "queued"
    assert run_input["overrides"] == {"traininstancecount": 2}
    [outcome] = launch.handler(_sns(json.dumps({"sagebuild": "drain"})), ctx)["outcomes"]
    assert outcome.startswith("nothing to start") and len(_executions(machine)) == 2


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


def test_a_trigger_after_a_stopped_run_also_starts_what_that_run_left_queued(machine, stack, ctx):
    launch.handler(_sns("{}"), ctx)
    [first] = _executions(machine)
    launch.handler(_sns(json.dumps({"hostinstancecount": 2})), ctx)  # queued
    [queued_note] = notifications(stack["inbox"])
    assert queued_note["Subject"] == "sagebuild demo: trigger queued"
    boto3.client("stepfunctions").stop_execution(executionArn=first["executionArn"])
    result = launch.handler(_sns(json.dumps({"reason": "after stop"})), ctx)
    assert result["outcomes"][0].startswith("started")
    newest = [e for e in _executions(machine) if e["status"] == "RUNNING"]
    run_input = json.loads(
        boto3.client("stepfunctions").describe_execution(executionArn=newest[0]["executionArn"])[
            "input"
        ]
    )
    assert run_input["overrides"] == {"hostinstancecount": 2}
    assert "2 triggers" in run_input["trigger"]["detail"]
