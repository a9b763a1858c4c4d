"""Local EventBridge: patterns match, targets get events, schedules fire, services emit."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from helpers import wait_until
from local_support import queue, recording_function
from moto.events.models import EventPattern

from sagebuild.local.moto_ext import events_delivery
from sagebuild.local.moto_ext.events_delivery import (
    json_path,
    parse_schedule,
    render_template,
    target_input,
)
from sagebuild.local.stack import LocalStack

ACCOUNT = "123456789012"
REGION = "us-east-1"
UTC = datetime.UTC
PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
WAIT_MACHINE = json.dumps(
    {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 120, "End": True}}}
)
# Long enough that moto's worker thread is still parsing it when StopExecution arrives.
LONG_MACHINE = json.dumps(
    {
        "StartAt": "P0",
        "States": {
            **{f"P{i}": {"Type": "Pass", "Next": f"P{i + 1}"} for i in range(150)},
            "P150": {"Type": "Wait", "Seconds": 120, "End": True},
        },
    }
)
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {
                "Service": ["lambda.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com"]
            },
        }
    ],
}
# EventBridge starts a state machine target as the target's role.
START_EXECUTION = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "states:StartExecution", "Resource": "*"}],
}


class _Rule:
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/r"
    name = "r"


EVENT = {
    "version": "0",
    "id": "e-1",
    "detail-type": "Thing Happened",
    "source": "app.test",
    "account": ACCOUNT,
    "time": "2026-01-02T03:04:05Z",
    "region": REGION,
    "resources": ["arn:aws:app:thing/1"],
    "detail": {"name": 'a "quoted" name', "n": 5, "tags": ["x", "y"], "nested": {"ok": True}},
}


# --------------------------------------------------------------------------- patterns


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ({"source": ["app.test"]}, True),
        ({"source": ["other"]}, False),
        ({"detail": {"tags": ["y"]}}, True),  # an array matches when one element does
        ({"source": [{"prefix": "app."}]}, True),
        ({"detail-type": [{"anything-but": ["Thing Happened"]}]}, False),
        ({"detail-type": [{"anything-but": {"prefix": "Other"}}]}, True),
        ({"detail": {"n": [{"numeric": [">", 1, "<=", 5]}]}}, True),
        ({"detail": {"n": [{"numeric": [">", 5]}]}}, False),
        ({"detail": {"missing": [{"exists": False}]}}, True),
        ({"detail": {"nested": {"ok": [{"exists": True}]}}}, True),
        ({"detail": {"n": ["5"]}}, False),  # a string never equals a number
        ({"account": [ACCOUNT], "detail": {"nested": {"ok": [True]}}}, True),
    ],
)
def test_event_patterns_match_with_awss_semantics(pattern, matches):
    assert EventPattern.load(json.dumps(pattern)).matches_event(EVENT) is matches


# --------------------------------------------------------------------------- target input


def test_a_target_without_input_settings_gets_the_whole_event():
    assert json.loads(target_input({"Arn": "x"}, EVENT, _Rule())) == EVENT


def test_input_is_sent_as_given_and_input_path_selects_part_of_the_event():
    assert target_input({"Input": '{"constant": 1}'}, EVENT, _Rule()) == '{"constant": 1}'
    assert json.loads(target_input({"InputPath": "$.detail.nested"}, EVENT, _Rule())) == {
        "ok": True
    }
    assert json_path(EVENT, "$.detail.tags[1]") == "y"
    assert json_path(EVENT, "$.detail-type") == "Thing Happened"
    assert json_path(EVENT, "$.detail.tags[*]") == ["x", "y"]


def test_input_transformer_escapes_values_in_strings_and_inserts_json_outside():
    target = {
        "InputTransformer": {
            "InputPathsMap": {"name": "$.detail.name", "n": "$.detail.n", "tags": "$.detail.tags"},
            "InputTemplate": '{"text": "<name> has <n>", "n": <n>, "tags": <tags>, '
            '"rule": "<aws.events.rule-name>", "event": <aws.events.event.json>}',
        }
    }
    rendered = json.loads(target_input(target, EVENT, _Rule()))
    assert rendered == {
        "text": 'a "quoted" name has 5',
        "n": 5,
        "tags": ["x", "y"],
        "rule": "r",
        "event": EVENT,
    }


def test_the_ended_run_rules_transformer_makes_the_drain_message():
    target = {
        "InputTransformer": {
            "InputPathsMap": {"execution": "$.detail.executionArn"},
            "InputTemplate": '{"sagebuild": "drain", "finished_execution": "<execution>"}',
        }
    }
    event = dict(EVENT, detail={"executionArn": "arn:aws:states:x:execution:m:e"})
    assert json.loads(target_input(target, event, _Rule())) == {
        "sagebuild": "drain",
        "finished_execution": "arn:aws:states:x:execution:m:e",
    }


def test_a_text_template_inserts_plain_values():
    assert render_template("<a> is in state <b>", {"a": "i-1", "b": "RUNNING"}, {}) == (
        "i-1 is in state RUNNING"
    )


# --------------------------------------------------------------------------- schedule syntax


@pytest.mark.parametrize(
    "expression",
    ["rate(1 minutes)", "rate(5 minute)", "rate(0 days)", "rate(1 week)", "cron(0 12 * * * *)"]
    + ["cron(0 12 ? * ? *)", "cron(0 12 * *)", "cron(60 12 * * ? *)", "cron(0 12 ? * 8 *)"]
    + ["cron(0 12 32 * ? *)", "cron(0 12 ? * MON#6 *)", "every day"],
)
def test_schedule_expressions_aws_refuses_are_refused(expression):
    with pytest.raises(ValueError):
        parse_schedule(expression)


def _at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0 12 * * ? *)", "2026-03-02T13:00", "2026-03-03T12:00"),
        ("cron(0/15 * * * ? *)", "2026-03-02T13:07", "2026-03-02T13:15"),
        ("cron(0 18 ? * MON-FRI *)", "2026-03-07T10:00", "2026-03-09T18:00"),  # Sat → Mon
        ("cron(0 8 1 * ? *)", "2026-03-02T00:00", "2026-04-01T08:00"),
        ("cron(0 10 ? * 6#3 *)", "2026-03-01T00:00", "2026-03-20T10:00"),  # third Friday
        ("cron(0 0 L * ? *)", "2026-02-03T00:00", "2026-02-28T00:00"),
        ("cron(0 0 ? * 6L *)", "2026-03-01T00:00", "2026-03-27T00:00"),  # last Friday
        ("cron(0 9 14W * ? *)", "2026-03-01T00:00", "2026-03-13T09:00"),  # 14th is a Saturday
        ("cron(30 2 ? JAN,JUL SUN 2027)", "2026-03-01T00:00", "2027-01-03T02:30"),
    ],
)
def test_cron_schedules_fire_at_the_next_matching_minute_in_utc(expression, after, expected):
    assert parse_schedule(expression).first(_at(after)) == _at(expected)


def test_a_rate_schedule_fires_one_period_after_it_starts_and_skips_missed_ticks():
    schedule = parse_schedule("rate(2 hours)")
    start = _at("2026-03-02T10:00")
    assert schedule.first(start) == _at("2026-03-02T12:00")
    assert schedule.following(_at("2026-03-02T12:00"), _at("2026-03-02T17:30")) == _at(
        "2026-03-02T18:00"
    )


# --------------------------------------------------------------------------- on a stack


@pytest.fixture(scope="module")
def local() -> Iterator[LocalStack]:
    with LocalStack(None, schedule_time_scale=86400) as stack:
        iam = stack.client("iam")
        iam.create_role(RoleName="events-test", AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.put_role_policy(
            RoleName="events-test", PolicyName="start", PolicyDocument=json.dumps(START_EXECUTION)
        )
        iam.create_role(RoleName="events-mute", AssumeRolePolicyDocument=json.dumps(TRUST))
        yield stack


def _role(local: LocalStack) -> str:
    return f"arn:aws:iam::{local.account_id}:role/events-test"


def _recorder(local: LocalStack, name: str) -> tuple[str, Callable[[], list[dict]]]:
    """A function that appends each event it gets to a file; (its ARN, the events so far)."""
    return recording_function(local, name, _role(local))


def _machine(local: LocalStack, name: str, definition: str = PASS_MACHINE) -> str:
    return local.client("stepfunctions").create_state_machine(
        name=name, definition=definition, roleArn=_role(local)
    )["stateMachineArn"]


def _received(local: LocalStack, url: str, count: int, timeout: float = 60.0) -> list[dict]:
    sqs, bodies = local.client("sqs"), []

    def enough() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(bodies) >= count

    wait_until(enough, timeout, f"{count} messages on {url}")
    return bodies


def _rule(
    local: LocalStack, name: str, targets: list[dict], source: str | None = None, **rule: Any
) -> str:
    """Rule `name` with these targets; `source` gives it the pattern matching that source."""
    if source is not None:
        rule["EventPattern"] = json.dumps({"source": [source]})
    events = local.client("events")
    arn = events.put_rule(Name=name, **rule)["RuleArn"]
    events.put_targets(Rule=name, Targets=targets)
    return arn


def _put(local: LocalStack, detail: dict, source: str = "app.test") -> None:
    response = local.client("events").put_events(
        Entries=[{"Source": source, "DetailType": "Thing Happened", "Detail": json.dumps(detail)}]
    )
    assert response["FailedEntryCount"] == 0


def _event_through_rule(
    local: LocalStack, rule: str, source: str, target: dict, detail: dict
) -> None:
    """Rule `rule` sends the events of `source` to `target`; then one such event is put."""
    _rule(local, rule, [target], source=source)
    _put(local, detail, source=source)


def test_deliveries_work_in_server_mode_too():
    # Before the module's in-process stack starts (one local stack at a time per process).
    with LocalStack(None, mode="server", local_services=False) as server:
        server.client("iam").create_role(
            RoleName="events-test", AssumeRolePolicyDocument=json.dumps(TRUST)
        )
        arn, events = _recorder(server, "server-target")
        _event_through_rule(server, "server-rule", "app.server", {"Id": "fn", "Arn": arn}, {"n": 1})
        [event] = wait_until(events, what="the event in server mode")
    assert (event["source"], event["detail"]) == ("app.server", {"n": 1})


def test_put_events_invokes_a_lambda_target_with_the_aws_envelope(local):
    arn, events = _recorder(local, "lambda-target")
    _rule(
        local,
        "to-lambda",
        [{"Id": "fn", "Arn": arn}],
        EventPattern=json.dumps({"source": ["app.test"], "detail": {"n": [{"numeric": [">", 1]}]}}),
    )
    _put(local, {"n": 1})
    _put(local, {"n": 2})
    events_delivery.flush()

    [event] = wait_until(events, what="the Lambda target's event")
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert (event["account"], event["region"], event["detail"]) == (ACCOUNT, REGION, {"n": 2})
    assert datetime.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")


def test_a_disabled_rule_and_a_schedule_only_rule_get_no_events(local):
    arn, events = _recorder(local, "never-called")
    _rule(local, "disabled", [{"Id": "fn", "Arn": arn}], source="app.test", State="DISABLED")
    _rule(local, "schedule-only", [{"Id": "fn", "Arn": arn}], ScheduleExpression="rate(365 days)")
    _put(local, {"n": 3})
    events_delivery.flush()

    assert [d for d in events_delivery.deliveries() if d["target"] == arn] == []
    local.client("events").disable_rule(Name="schedule-only")


def test_a_state_machine_target_starts_an_execution_with_the_input_path(local):
    sfn = local.client("stepfunctions")
    machine = _machine(local, "target-machine")
    target = {"Id": "sm", "Arn": machine, "RoleArn": _role(local), "InputPath": "$.detail"}
    _event_through_rule(local, "to-machine", "app.machine", target, {"order": 7})

    [execution] = wait_until(
        lambda: sfn.list_executions(stateMachineArn=machine)["executions"], what="an execution"
    )
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == {"order": 7}


def test_a_state_machine_target_whose_role_may_not_start_it_is_a_failed_delivery(local):
    sfn = local.client("stepfunctions")
    machine = _machine(local, "guarded-machine")
    mute = f"arn:aws:iam::{local.account_id}:role/events-mute"
    target = {"Id": "sm", "Arn": machine, "RoleArn": mute}
    _event_through_rule(local, "to-guarded", "app.guarded", target, {"order": 8})
    events_delivery.flush()

    failures = [f for f in events_delivery.delivery_failures() if f.get("target") == machine]
    assert failures and "states:StartExecution" in json.dumps(failures[-1])
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []
    assert any(d["role"].endswith("/events-mute") for d in local.iam_denials())


def test_an_sns_target_publishes_the_transformed_input(local):
    sns = local.client("sns")
    topic = sns.create_topic(Name="events-topic")["TopicArn"]
    url, queue_arn = queue(local, "from-topic")
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    transformer = {
        "InputPathsMap": {"n": "$.detail.n"},
        "InputTemplate": '{"count": <n>, "rule": "<aws.events.rule-name>"}',
    }
    target = {"Id": "topic", "Arn": topic, "InputTransformer": transformer}
    _event_through_rule(local, "to-topic", "app.topic", target, {"n": 4})

    assert _received(local, url, 1) == [{"count": 4, "rule": "to-topic"}]


def test_an_sqs_target_receives_the_whole_event_with_its_account(local):
    url, queue_arn = queue(local, "events-queue")
    target = {"Id": "queue", "Arn": queue_arn}
    _event_through_rule(local, "to-queue", "app.queue", target, {"n": 5})

    [event] = _received(local, url, 1)
    assert (event["source"], event["account"], event["detail"]) == ("app.queue", ACCOUNT, {"n": 5})


def test_a_target_kind_not_emulated_is_a_recorded_failure_not_a_put_events_error(local):
    stream = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/nowhere"
    target = {"Id": "stream", "Arn": stream}
    _event_through_rule(local, "to-kinesis", "app.kinesis", target, {"n": 6})
    events_delivery.flush()

    [failure] = [f for f in events_delivery.delivery_failures() if f["target"] == stream]
    assert "not emulated" in failure["error"]


def test_put_rule_refuses_a_schedule_expression_aws_refuses(local):
    with pytest.raises(ClientError, match="Parameter ScheduleExpression is not valid"):
        local.client("events").put_rule(Name="bad", ScheduleExpression="rate(1 minutes)")


def test_a_rate_schedule_fires_by_itself_on_the_scaled_clock(local):
    arn, events = _recorder(local, "scheduled")
    rule = _rule(local, "daily", [{"Id": "fn", "Arn": arn}], ScheduleExpression="rate(1 day)")
    try:
        ticks = wait_until(lambda: events() if len(events()) >= 2 else [], what="two ticks")
    finally:
        local.client("events").disable_rule(Name="daily")
    first, second = ticks[:2]
    assert (first["detail-type"], first["source"], first["resources"]) == (
        "Scheduled Event",
        "aws.events",
        [rule],
    )
    assert first["detail"] == {} and first["id"] != second["id"]
    gap = datetime.datetime.fromisoformat(second["time"]) - datetime.datetime.fromisoformat(
        first["time"]
    )
    assert gap >= datetime.timedelta(days=1)  # emulated times, whole periods apart
    assert gap % datetime.timedelta(days=1) == datetime.timedelta(0)


def test_a_cron_schedule_fires_on_the_scaled_clock_with_its_input(local):
    arn, events = _recorder(local, "hourly")
    events_delivery.set_schedule_time_scale(3600)  # an emulated hour per real second
    try:
        _rule(
            local,
            "hourly",
            [{"Id": "fn", "Arn": arn, "Input": '{"from": "cron"}'}],
            ScheduleExpression="cron(0 * * * ? *)",
        )
        [tick] = wait_until(lambda: events()[:1], what="a cron tick")
    finally:
        local.client("events").disable_rule(Name="hourly")
        events_delivery.set_schedule_time_scale(local.schedule_time_scale)
    assert tick == {"from": "cron"}


def _status_queue(local: LocalStack, name: str, pattern: dict) -> str:
    url, queue_arn = queue(local, name)
    _rule(local, name, [{"Id": "queue", "Arn": queue_arn}], EventPattern=json.dumps(pattern))
    return url


def _watched_machine(
    local: LocalStack, name: str, definition: str, pattern: dict | None = None
) -> tuple[str, str]:
    """State machine `name` and a queue for its Step Functions events that also match
    `pattern`; (the machine's ARN, the queue's URL)."""
    machine = _machine(local, name, definition)
    pattern = pattern or {}
    detail = {"stateMachineArn": [machine], **pattern.get("detail", {})}
    url = _status_queue(
        local, f"{name}-status", {**pattern, "source": ["aws.states"], "detail": detail}
    )
    return machine, url


def test_an_execution_emits_running_then_succeeded_with_the_aws_detail(local):
    sfn = local.client("stepfunctions")
    machine, url = _watched_machine(
        local,
        "emitting",
        PASS_MACHINE,
        {"detail-type": ["Step Functions Execution Status Change"]},
    )
    execution = sfn.start_execution(stateMachineArn=machine, input='{"a": 1}')["executionArn"]

    running, succeeded = _received(local, url, 2)
    assert running["resources"] == [execution]
    assert running["detail"] == {
        "executionArn": execution,
        "stateMachineArn": machine,
        "name": execution.split(":")[-1],
        "status": "RUNNING",
        "startDate": running["detail"]["startDate"],
        "stopDate": None,
        "input": '{"a":1}',
        "output": None,
        "inputDetails": {"included": True},
        "outputDetails": None,
        "error": None,
        "cause": None,
    }
    assert isinstance(running["detail"]["startDate"], int)
    assert succeeded["detail"]["status"] == "SUCCEEDED"
    assert succeeded["detail"]["output"] == '{"a":1}'
    assert succeeded["detail"]["stopDate"] >= succeeded["detail"]["startDate"]


def test_a_stopped_execution_emits_aborted_with_the_stops_error_and_cause(local):
    sfn = local.client("stepfunctions")
    machine, url = _watched_machine(
        local, "stopped", WAIT_MACHINE, {"detail": {"status": ["ABORTED", "TIMED_OUT"]}}
    )
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    sfn.stop_execution(executionArn=execution, error="Stopped.ByTest", cause="no longer needed")

    [aborted] = _received(local, url, 1)
    assert aborted["detail"]["executionArn"] == execution
    assert (aborted["detail"]["error"], aborted["detail"]["cause"]) == (
        "Stopped.ByTest",
        "no longer needed",
    )


def test_executions_stopped_right_after_they_start_end_aborted_and_say_so(local):
    sfn = local.client("stepfunctions")
    machine, url = _watched_machine(local, "stopped-at-once", LONG_MACHINE)
    executions = []
    for _ in range(5):
        execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        sfn.stop_execution(executionArn=execution)
        executions.append(execution)

    events = _received(local, url, 10)
    ended = {e["detail"]["executionArn"]: e["detail"]["status"] for e in events}
    assert ended == {execution: "ABORTED" for execution in executions}
    assert [e["detail"]["status"] for e in events].count("RUNNING") == 5


def _training_settings(local: LocalStack) -> dict[str, Any]:
    """The role, output, resources and time limit of a training job on this stack."""
    return {
        "RoleArn": _role(local),
        "OutputDataConfig": {"S3OutputPath": "s3://nowhere/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
    }


def test_local_sagemaker_and_codebuild_emit_their_state_changes(local):
    url = _status_queue(local, "service-status", {"source": ["aws.sagemaker", "aws.codebuild"]})
    sm = local.client("sagemaker")
    sm.create_training_job(
        TrainingJobName="emits",
        AlgorithmSpecification={"TrainingImage": "unknown:1", "TrainingInputMode": "File"},
        **_training_settings(local),
        Tags=[{"Key": "team", "Value": "ml"}],
    )
    codebuild = local.client("codebuild")
    codebuild.create_project(
        name="emits",
        source={"type": "S3", "location": "nowhere/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=_role(local),
    )
    build = codebuild.start_build(projectName="emits")["build"]

    events = _received(local, url, 4)
    by_type: dict[str, list[dict]] = {}
    for event in events:
        by_type.setdefault(event["detail-type"], []).append(event)
    training = [e["detail"] for e in by_type["SageMaker Training Job State Change"]]
    assert [d["TrainingJobStatus"] for d in training] == ["InProgress", "Failed"]
    assert training[-1]["TrainingJobName"] == "emits"
    assert training[-1]["FailureReason"] and training[-1]["Tags"] == {"team": "ml"}
    assert isinstance(training[-1]["CreationTime"], int)
    [arn] = {e["resources"][0] for e in by_type["SageMaker Training Job State Change"]}
    assert arn == training[-1]["TrainingJobArn"]
    builds = [e["detail"] for e in by_type["CodeBuild Build State Change"]]
    assert [d["build-status"] for d in builds] == ["IN_PROGRESS", "FAILED"]
    assert (builds[-1]["project-name"], builds[-1]["build-id"]) == ("emits", build["arn"])
    assert builds[-1]["current-phase"] == "COMPLETED" and builds[-1]["version"] == "1"
    information = builds[-1]["additional-information"]
    assert information["build-complete"] is True
    assert {p["phase-type"] for p in information["phases"]} >= {"SUBMITTED", "COMPLETED"}


def test_a_local_endpoint_emits_creating_then_failed(local):
    url = _status_queue(
        local,
        "endpoint-status",
        {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Endpoint State Change"]},
    )
    sm = local.client("sagemaker")
    sm.create_model(
        ModelName="unservable",
        PrimaryContainer={"Image": "unknown:1"},
        ExecutionRoleArn=_role(local),
    )
    sm.create_endpoint_config(
        EndpointConfigName="unservable",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "unservable",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sm.create_endpoint(EndpointName="unservable", EndpointConfigName="unservable")

    creating, failed = (e["detail"] for e in _received(local, url, 2))
    assert (creating["EndpointStatus"], failed["EndpointStatus"]) == ("Creating", "Failed")
    assert failed["EndpointName"] == "unservable" and failed["FailureReason"]
    assert failed["EndpointConfigName"] == "unservable"
    assert isinstance(failed["LastModifiedTime"], int)


def test_stopping_the_local_stack_stops_the_delivery_and_schedule_threads():
    with LocalStack(None, local_services=False, iam=False):
        dispatcher = events_delivery.active()
        assert dispatcher is not None
        threads = [dispatcher.worker, dispatcher.scheduler]
        assert all(thread.is_alive() for thread in threads)

    assert not any(thread.is_alive() for thread in threads)
    assert events_delivery.active() is not dispatcher


def test_a_time_scale_that_is_not_positive_is_refused():
    with pytest.raises(ValueError, match="schedule_time_scale must be positive"):
        LocalStack(None, schedule_time_scale=0)


def test_a_local_tuning_job_emits_in_progress_then_failed(local):
    url = _status_queue(
        local,
        "tuning-status",
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker HyperParameter Tuning Job State Change"],
        },
    )
    local.client("sagemaker").create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="emits-tuning",
        HyperParameterTuningJobConfig={
            "Strategy": "Random",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1},
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "accuracy"},
        },
        TrainingJobDefinition={
            "AlgorithmSpecification": {
                "TrainingImage": "unknown:1",
                "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "accuracy", "Regex": "accuracy=([0-9.]+)"}],
            },
            **_training_settings(local),
        },
    )

    started, ended = (e["detail"] for e in _received(local, url, 2))
    assert (started["HyperParameterTuningJobStatus"], ended["HyperParameterTuningJobStatus"]) == (
        "InProgress",
        "Failed",
    )
    assert ended["HyperParameterTuningJobName"] == "emits-tuning"
    assert ended["TrainingJobStatusCounters"]["NonRetryableError"] == 1
    assert isinstance(ended["HyperParameterTuningEndTime"], int)
