"""The Alexa skill: every intent through the Lambda entry point, with real request envelopes
(tests/events/alexa) against moto Step Functions and SNS, plus the skill id check, the speech
builders, the settings and the interaction model."""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from ask_sdk_core.exceptions import AskSdkException
from helpers import load_event
from moto import mock_aws
from moto.stepfunctions.models import stepfunctions_backends
from skill import handler as skill_entry
from skill import intents, pipeline, speech
from skill.pipeline import Execution, Metric, Outcome, Progress
from skill.settings import MissingSetting, get_settings

MODEL = Path(__file__).resolve().parents[2] / "alexa" / "interaction_model.json"
SKILL_ID = "amzn1.ask.skill.11111111-2222-4333-8444-555555555555"
REGION = "us-east-1"
NOW = datetime(2025, 11, 26, 10, 12, 0, tzinfo=UTC)
STARTED = datetime(2025, 11, 26, 10, 0, 0)  # moto keeps naive UTC datetimes
ENDPOINT = "demo"
DEFINITION = json.dumps({"StartAt": "Initialize", "States": {"Initialize": {"Type": "Succeed"}}})


@dataclass
class FakeLambdaContext:
    function_name: str = "AlexaFunction"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:AlexaFunction"
    aws_request_id: str = "5f3c1a2b-0000-4000-8000-000000000001"


@dataclass
class Stack:
    sfn: Any
    sqs: Any
    state_machine_arn: str
    launch_queue: str
    rollback_queue: str

    def start(
        self,
        name: str,
        *,
        status: str = "RUNNING",
        started: datetime = STARTED,
        stopped: datetime | None = None,
        output: dict | None = None,
        error: str | None = None,
        cause: str | None = None,
        history: list[dict] | None = None,
    ) -> str:
        """Start an execution in moto, then give it the status and data a test needs."""
        arn = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn,
            name=name,
            input=json.dumps({"trigger": {"source": "sns"}, "overrides": {}}),
        )["executionArn"]
        execution = _backend_execution(arn)
        execution.start_date = started
        execution.status = status
        execution.stop_date = stopped
        execution.output = json.dumps(output) if output is not None else None
        execution.error = error
        execution.cause = cause
        if history is not None:
            execution.get_execution_history = lambda role_arn: history
        return arn

    def deploy(self, *versions: int, serving: int | None = None) -> None:
        """Endpoint configs `demo-v<N>-<suffix>` for `versions`, the endpoint on `serving`."""
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        sagemaker.create_model(
            ModelName="demo-r1-abc123",
            PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"},
            ExecutionRoleArn="arn:aws:iam::123456789012:role/model",
        )
        for version in versions:
            sagemaker.create_endpoint_config(
                EndpointConfigName=f"demo-v{version}-abc{version}",
                ProductionVariants=[
                    {
                        "VariantName": f"v{version}",
                        "ModelName": "demo-r1-abc123",
                        "InitialInstanceCount": 1,
                        "InstanceType": "ml.t2.medium",
                    }
                ],
            )
        # Another stack's config, which the skill must not count.
        sagemaker.create_endpoint_config(
            EndpointConfigName="other-v9-fff999",
            ProductionVariants=[
                {
                    "VariantName": "v9",
                    "ModelName": "demo-r1-abc123",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.t2.medium",
                }
            ],
        )
        if serving is not None:
            sagemaker.create_endpoint(
                EndpointName=ENDPOINT, EndpointConfigName=f"demo-v{serving}-abc{serving}"
            )

    def status_of(self, arn: str) -> str:
        return self.sfn.describe_execution(executionArn=arn)["status"]

    def messages(self, queue_url: str) -> list[dict]:
        response = self.sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        )
        return [json.loads(m["Body"]) for m in response.get("Messages", [])]


def _backend_execution(arn: str) -> Any:
    account = arn.split(":")[4]
    backend = stepfunctions_backends[account][REGION]
    for machine in backend.state_machines:
        for execution in machine.executions:
            if execution.execution_arn == arn:
                return execution
    raise AssertionError(f"no execution {arn}")


def _initialize_history(
    run_number: int, current_state: str, training: str = "NotStarted"
) -> list[dict]:
    """An execution history as AWS returns it: Initialize's output carries run.run_number."""
    at = datetime(2025, 11, 26, 10, 0, 1, tzinfo=UTC)
    document = {
        "run": {"stack": "demo", "run_number": run_number, "execution": "x"},
        "flags": {},
        "training": {"name": "demo-r4-abc", "status": training},
    }
    return [
        {
            "timestamp": at,
            "type": "ExecutionStarted",
            "id": 1,
            "previousEventId": 0,
            "executionStartedEventDetails": {"input": "{}", "roleArn": "arn:aws:iam::1:role/r"},
        },
        {
            "timestamp": at,
            "type": "TaskStateEntered",
            "id": 2,
            "previousEventId": 1,
            "stateEnteredEventDetails": {"name": "Initialize", "input": "{}"},
        },
        {
            "timestamp": at,
            "type": "TaskStateExited",
            "id": 3,
            "previousEventId": 2,
            "stateExitedEventDetails": {"name": "Initialize", "output": json.dumps(document)},
        },
        {
            "timestamp": at,
            "type": "TaskStateEntered",
            "id": 4,
            "previousEventId": 3,
            "stateEnteredEventDetails": {"name": "Start Training Job", "input": "{}"},
        },
        {
            "timestamp": at,
            "type": "TaskStateExited",
            "id": 5,
            "previousEventId": 4,
            "stateExitedEventDetails": {"name": "Start Training Job", "output": "{}"},
        },
        {
            "timestamp": at,
            "type": "WaitStateEntered",
            "id": 6,
            "previousEventId": 5,
            "stateEnteredEventDetails": {"name": current_state, "input": "{}"},
        },
    ]


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto Step Functions + SNS topics, SQS queues subscribed to launch and rollback."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        machine = sfn.create_state_machine(
            name="demo-pipeline",
            definition=DEFINITION,
            roleArn="arn:aws:iam::123456789012:role/demo-pipeline",
        )["stateMachineArn"]
        topics = {n: sns.create_topic(Name=f"demo-{n}")["TopicArn"] for n in ("launch", "rollback")}
        queues = {}
        for name, topic in topics.items():
            url = sqs.create_queue(QueueName=f"demo-{name}-spy")["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            sns.subscribe(
                TopicArn=topic,
                Protocol="sqs",
                Endpoint=queue_arn["Attributes"]["QueueArn"],
                Attributes={"RawMessageDelivery": "true"},
            )
            queues[name] = url
        status_topic = sns.create_topic(Name="demo-status")["TopicArn"]
        monkeypatch.setenv("STATE_MACHINE_ARN", machine)
        monkeypatch.setenv("LAUNCH_TOPIC_ARN", topics["launch"])
        monkeypatch.setenv("ROLLBACK_TOPIC_ARN", topics["rollback"])
        monkeypatch.setenv("STATUS_TOPIC_ARN", status_topic)
        monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
        monkeypatch.setenv("STACK_NAME", "demo")
        monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
        monkeypatch.setattr(intents, "now", lambda: NOW)
        _reset_caches()
        yield Stack(sfn, sqs, machine, queues["launch"], queues["rollback"])
        _reset_caches()


def _reset_caches() -> None:
    get_settings.cache_clear()
    pipeline.reset_clients()
    skill_entry.skill_handler.cache_clear()


def invoke(name: str) -> dict[str, Any]:
    """Call the Lambda entry point with the fixture tests/events/alexa/<name>.json."""
    return skill_entry.handler(load_event(f"alexa/{name}.json"), FakeLambdaContext())


def spoken(reply: dict[str, Any]) -> str:
    ssml = reply["response"]["outputSpeech"]["ssml"]
    return re.sub(r"^<speak>|</speak>$", "", ssml)


def ends_session(reply: dict[str, Any]) -> bool:
    return bool(reply["response"].get("shouldEndSession"))


# --- welcome, help, info, navigation ---------------------------------------------------------


def test_launch_request_welcomes_and_keeps_the_session_open(stack: Stack) -> None:
    reply = invoke("launch_request")
    assert spoken(reply) == speech.WELCOME
    reprompt = reply["response"]["reprompt"]["outputSpeech"]["ssml"]
    assert reprompt == f"<speak>{speech.REPROMPT}</speak>"
    assert not ends_session(reply)


def test_navigate_home_intent_returns_the_welcome(stack: Stack) -> None:
    assert spoken(invoke("navigate_home_intent")) == speech.WELCOME


def test_help_intent_lists_the_phrases_and_reprompts(stack: Stack) -> None:
    reply = invoke("help_intent")
    assert "start a build" in spoken(reply) and "roll back to version 3" in spoken(reply)
    assert not ends_session(reply)


def test_info_intent_describes_the_skill_and_names_the_stack(stack: Stack) -> None:
    reply = invoke("info_intent")
    assert "for the stack demo" in spoken(reply)
    assert reply["response"]["card"]["title"] == "Sage build"
    assert ends_session(reply)


# --- start -----------------------------------------------------------------------------------


def test_start_build_publishes_a_launch_message_when_nothing_runs(stack: Stack) -> None:
    stack.start("old", status="SUCCEEDED", stopped=STARTED + timedelta(minutes=5))
    reply = invoke("start_build_intent")
    assert spoken(reply) == speech.LAUNCHED
    assert stack.messages(stack.launch_queue) == [
        {"train": True, "overrides": {}, "reason": "alexa"}
    ]
    assert ends_session(reply)


def test_start_build_with_no_runs_yet_publishes_a_launch_message(stack: Stack) -> None:
    invoke("start_build_intent")
    assert len(stack.messages(stack.launch_queue)) == 1


def test_start_build_while_a_build_runs_publishes_nothing(stack: Stack) -> None:
    stack.start("run-4", history=_initialize_history(4, "Wait For Training"))
    reply = invoke("start_build_intent")
    assert spoken(reply).startswith(
        "A build is already running. Your build, run 4, is training. It started 12 minutes ago."
    )
    assert stack.messages(stack.launch_queue) == []


# --- status ----------------------------------------------------------------------------------


def test_status_with_no_runs_says_there_are_none(stack: Stack) -> None:
    assert spoken(invoke("status_intent")) == speech.NO_RUNS


def test_status_of_a_running_build_says_version_activity_and_age(stack: Stack) -> None:
    stack.start("run-4", history=_initialize_history(4, "Wait For Training"))
    reply = invoke("status_intent")
    assert spoken(reply) == "Your build, run 4, is training. It started 12 minutes ago."
    assert ends_session(reply)


def _entered_history(state: str) -> list[dict]:
    """A history as AWS returns it while `state` runs and Initialize has not ended yet."""
    return _initialize_history(1, "Start Training Job")[:1] + [
        {
            "timestamp": datetime(2025, 11, 26, 10, 0, 1, tzinfo=UTC),
            "type": "TaskStateEntered",
            "id": 2,
            "previousEventId": 1,
            "stateEnteredEventDetails": {"name": state, "input": "{}"},
        }
    ]


def test_status_of_a_running_build_before_initialize_says_it_is_starting(stack: Stack) -> None:
    stack.start("run-new", history=_entered_history("Initialize"))
    assert spoken(invoke("status_intent")) == (
        "Your build is starting up. It started 12 minutes ago."
    )


def test_status_names_a_state_the_skill_does_not_know_yet_by_its_name(stack: Stack) -> None:
    # A newer ASL than this skill's table (tests/unit/test_alexa_speech.py keeps them equal).
    stack.start("run-new", history=_entered_history("Shadow Test?"))
    assert spoken(invoke("status_intent")) == (
        "Your build is at the step Shadow Test. It started 12 minutes ago."
    )


def test_status_of_a_finished_build_says_how_it_ended(stack: Stack) -> None:
    stack.start(
        "run-3",
        status="SUCCEEDED",
        stopped=STARTED + timedelta(minutes=10),
        output={"run": {"run_number": 5}, "deployment": {"version": 3}},
    )
    assert spoken(invoke("status_intent")) == (
        "No build is running. Your last build, run 5, version 3, succeeded 2 minutes ago."
    )


def test_status_reads_only_the_latest_execution(stack: Stack) -> None:
    stack.start(
        "run-1",
        status="FAILED",
        started=STARTED - timedelta(days=2),
        stopped=STARTED - timedelta(days=2),
    )
    stack.start(
        "run-2",
        status="ABORTED",
        started=STARTED - timedelta(hours=3),
        stopped=STARTED - timedelta(hours=2, minutes=55),
        output=None,
    )
    assert spoken(invoke("status_intent")) == (
        "No build is running. Your last build was stopped 3 hours and 7 minutes ago."
    )


# --- stop ------------------------------------------------------------------------------------


def test_stop_build_stops_the_running_execution_and_says_what_it_stopped(stack: Stack) -> None:
    arn = stack.start("run-4", history=_initialize_history(4, "Poll Training Job", "InProgress"))
    reply = invoke("stop_build_intent")
    assert spoken(reply) == (
        "OK. Your build, run 4, has been stopped, and so has its training job."
    )
    assert stack.status_of(arn) == "ABORTED"


def test_stop_build_with_nothing_running_says_so(stack: Stack) -> None:
    arn = stack.start("run-3", status="SUCCEEDED", stopped=STARTED)
    assert spoken(invoke("stop_build_intent")) == speech.NOTHING_TO_STOP
    assert stack.status_of(arn) == "SUCCEEDED"


def test_stop_build_with_no_runs_says_nothing_to_stop(stack: Stack) -> None:
    assert spoken(invoke("stop_build_intent")) == speech.NOTHING_TO_STOP


@pytest.mark.parametrize("fixture", ["amazon_stop_intent", "amazon_cancel_intent"])
def test_amazon_stop_and_cancel_end_the_session_and_leave_the_build_running(
    stack: Stack, fixture: str
) -> None:
    arn = stack.start("run-4")
    reply = invoke(fixture)
    assert spoken(reply) == speech.GOODBYE
    assert ends_session(reply)
    assert stack.status_of(arn) == "RUNNING"


# --- last build ------------------------------------------------------------------------------


def test_last_build_reports_version_outcome_main_metric_and_deployment(stack: Stack) -> None:
    output = {
        "run": {"run_number": 6},
        "training": {
            "status": "Completed",
            "metrics": [
                {"MetricName": "train:rmse", "Value": 0.1},
                {"MetricName": "validation:rmse", "Value": 0.21347},
            ],
        },
        "deployment": {"status": "Completed", "endpoint_config": "demo-config-4", "version": 4},
    }
    stack.start("run-4", status="SUCCEEDED", stopped=STARTED + timedelta(minutes=2), output=output)
    assert spoken(invoke("last_build_intent")) == (
        "Your last build, run 6, version 4, succeeded 10 minutes ago. "
        "Its validation rmse was 0.213. It is deployed to your endpoint."
    )


def test_last_build_reports_why_a_build_failed(stack: Stack) -> None:
    cause = json.dumps(
        {"errorMessage": "AlgorithmError: loss is NaN", "errorType": "TrainingFailed"}
    )
    stack.start(
        "run-5",
        status="FAILED",
        stopped=STARTED + timedelta(minutes=11),
        error="TrainingFailed",
        cause=cause,
        history=_initialize_history(5, "Notify Failed"),
    )
    assert spoken(invoke("last_build_intent")) == (
        "Your last build, run 5, failed 1 minute ago. "
        "The reason was training failed: AlgorithmError: loss is NaN."
    )


def test_last_build_escapes_text_that_would_break_ssml(stack: Stack) -> None:
    stack.start(
        "run-6", status="FAILED", stopped=STARTED, error="BuildFailed", cause="exit <1> & no image"
    )
    reply = invoke("last_build_intent")
    assert "exit &lt;1&gt; &amp; no image" in reply["response"]["outputSpeech"]["ssml"]
    assert "exit <1> & no image" in reply["response"]["card"]["content"]


def test_last_build_while_a_build_runs_reports_the_last_finished_one(stack: Stack) -> None:
    stack.start(
        "run-3",
        status="SUCCEEDED",
        started=STARTED - timedelta(hours=1),
        stopped=STARTED - timedelta(minutes=30),
        output={"run": {"run_number": 3}, "deployment": {"version": 3}},
    )
    stack.start("run-4")
    assert spoken(invoke("last_build_intent")) == (
        "A build is running right now. Your last build, run 3, version 3, succeeded 42 minutes ago."
    )


def test_last_build_with_no_runs_says_there_are_none(stack: Stack) -> None:
    assert spoken(invoke("last_build_intent")) == speech.NO_RUNS


def test_last_build_when_the_first_build_still_runs_reports_its_progress(stack: Stack) -> None:
    stack.start("run-1", history=_initialize_history(1, "Wait For Endpoint"))
    assert spoken(invoke("last_build_intent")) == (
        "Your build, run 1, is deploying to the endpoint. It started 12 minutes ago."
    )


# --- job details -----------------------------------------------------------------------------


def test_job_details_of_a_running_build_say_state_start_time_and_elapsed_time(stack: Stack) -> None:
    history = _initialize_history(4, "Wait For Training", "InProgress")
    started = {"started_at": "2025-11-26T10:01:00+00:00"}
    for event in history:
        details = event.get("stateExitedEventDetails")
        if details and details["name"] == "Initialize":
            document = json.loads(details["output"])
            document["training"].update(started)
            details["output"] = json.dumps(document)
    stack.start("run-4", history=history)
    reply = invoke("job_details_intent")
    assert spoken(reply) == (
        "Your build, run 4, is training. It started at 10:00 UTC and has been running for "
        "12 minutes. Its training job demo-r4-abc started at 10:01 UTC and has run for "
        "11 minutes."
    )
    assert ends_session(reply)


def test_job_details_of_a_finished_build_say_how_it_ended_when_it_started_and_ran(
    stack: Stack,
) -> None:
    stack.start(
        "run-5",
        status="FAILED",
        started=STARTED - timedelta(days=1),
        stopped=STARTED - timedelta(days=1) + timedelta(minutes=75),
        history=_initialize_history(5, "Notify Failed"),
    )
    assert spoken(invoke("job_details_intent")) == (
        "No build is running. Your last build, run 5, failed 22 hours and 57 minutes ago. "
        "It started at 10:00 UTC on November 25 and ran for 1 hour and 15 minutes."
    )


def test_job_details_with_no_runs_say_there_are_none(stack: Stack) -> None:
    assert spoken(invoke("job_details_intent")) == speech.NO_RUNS


# --- rollback --------------------------------------------------------------------------------


def test_rollback_without_a_version_asks_for_one_version_back(stack: Stack) -> None:
    stack.deploy(1, 2, 3, serving=3)
    reply = invoke("rollback_intent")
    assert spoken(reply) == (
        "OK, I've asked sage build to roll the endpoint back to version 2. "
        "You'll get a notification when it's done."
    )
    assert stack.messages(stack.rollback_queue) == [{}]


def test_rollback_with_no_endpoint_says_so_at_once_and_publishes_nothing(stack: Stack) -> None:
    reply = invoke("rollback_intent")
    assert spoken(reply) == (
        "There is no endpoint yet, so there is nothing to roll back. Say start a build to "
        "train and deploy your first version."
    )
    assert ends_session(reply)
    assert stack.messages(stack.rollback_queue) == []


def test_rollback_with_only_one_deployed_version_says_so_and_publishes_nothing(
    stack: Stack,
) -> None:
    stack.deploy(1, serving=1)
    assert spoken(invoke("rollback_intent")) == (
        "Version 1 is the only version deployed, so there is nothing to roll back to yet."
    )
    assert spoken(invoke("rollback_to_version_intent")) == (
        "There is no version 3 to roll back to. The endpoint has no other version to roll back to."
    )
    assert stack.messages(stack.rollback_queue) == []


def test_rollback_when_the_endpoint_serves_the_earliest_version_names_the_others(
    stack: Stack,
) -> None:
    stack.deploy(1, 2, serving=1)  # already rolled back to version 1
    assert spoken(invoke("rollback_intent")) == (
        "The endpoint serves version 1, the earliest there is, so there is nothing to roll "
        "back to. You can roll back to version 2."
    )
    assert stack.messages(stack.rollback_queue) == []


def test_rollback_to_a_version_publishes_that_version(stack: Stack) -> None:
    stack.start("run-4", status="SUCCEEDED", stopped=STARTED)
    stack.deploy(2, 3, 4, serving=4)
    reply = invoke("rollback_to_version_intent")
    assert "roll the endpoint back to version 3" in spoken(reply)
    assert stack.messages(stack.rollback_queue) == [{"version": 3}]


def test_rollback_to_a_version_without_a_config_names_the_versions_there_are(
    stack: Stack,
) -> None:
    stack.deploy(1, 2, 4, 5, serving=5)
    assert spoken(invoke("rollback_to_version_intent")) == (
        "There is no version 3 to roll back to. You can roll back to version 1, 2 or 4."
    )
    assert stack.messages(stack.rollback_queue) == []


def test_rollback_to_the_version_the_endpoint_serves_publishes_nothing(stack: Stack) -> None:
    stack.deploy(2, 3, serving=3)
    assert spoken(invoke("rollback_to_version_intent")) == (
        "The endpoint already serves version 3, so there is nothing to roll back."
    )
    assert stack.messages(stack.rollback_queue) == []


@pytest.mark.parametrize(
    "fixture", ["rollback_unrecognised_version_intent", "rollback_superscript_version_intent"]
)
def test_rollback_with_an_unrecognised_version_publishes_nothing(
    stack: Stack, fixture: str
) -> None:
    # "²" passes str.isdigit() and then fails int(): it gets the same polite answer.
    stack.deploy(1, 2, serving=2)
    assert spoken(invoke(fixture)) == speech.ROLLBACK_BAD_VERSION
    assert stack.messages(stack.rollback_queue) == []


def test_rollback_while_a_build_runs_publishes_nothing(stack: Stack) -> None:
    stack.start("run-4", history=_initialize_history(4, "Deploy Endpoint"))
    reply = invoke("rollback_to_version_intent")
    assert spoken(reply).startswith("Your build, run 4, is deploying to the endpoint.")
    assert "before rolling back" in spoken(reply)
    assert stack.messages(stack.rollback_queue) == []


# --- fallback, session end, errors, skill id -------------------------------------------------


@pytest.mark.parametrize("fixture", ["fallback_intent", "unknown_intent"])
def test_fallback_and_unknown_intents_answer_politely(stack: Stack, fixture: str) -> None:
    reply = invoke(fixture)
    assert spoken(reply) == speech.FALLBACK
    assert not ends_session(reply)


def test_session_ended_request_gets_an_empty_response(stack: Stack) -> None:
    reply = invoke("session_ended_request")
    assert reply["version"] == "1.0"
    assert "outputSpeech" not in reply["response"]


def test_wrong_skill_id_is_rejected_before_any_intent_runs(stack: Stack) -> None:
    with pytest.raises(skill_entry.SkillVerificationFailed):
        invoke("wrong_skill_id")
    assert stack.messages(stack.launch_queue) == []


def test_request_without_an_application_id_is_rejected(stack: Stack) -> None:
    with pytest.raises(skill_entry.SkillVerificationFailed):
        skill_entry.handler({"version": "1.0", "request": {}}, FakeLambdaContext())


def test_skill_builder_also_verifies_the_skill_id(stack: Stack) -> None:
    with pytest.raises(AskSdkException, match="Skill ID Verification failed"):
        skill_entry.skill_handler()(load_event("alexa/wrong_skill_id.json"), None)
    assert stack.messages(stack.launch_queue) == []


def test_aws_error_is_answered_with_an_apology_and_logged(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.sfn.delete_state_machine(stateMachineArn=stack.state_machine_arn)
    logged: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        intents.logger, "exception", lambda msg, **kw: logged.append((msg, kw["extra"]))
    )
    reply = invoke("status_intent")
    assert spoken(reply) == speech.ERROR
    assert logged == [("alexa request failed", {"error_type": "StateMachineDoesNotExist"})]


def test_missing_setting_fails_the_invocation_naming_the_variable(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAUNCH_TOPIC_ARN")
    get_settings.cache_clear()
    with pytest.raises(MissingSetting, match="LAUNCH_TOPIC_ARN"):
        invoke("start_build_intent")
    assert stack.messages(stack.launch_queue) == []


# --- settings and clients --------------------------------------------------------------------


def test_missing_skill_id_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "STATE_MACHINE_ARN",
        "LAUNCH_TOPIC_ARN",
        "ROLLBACK_TOPIC_ARN",
        "STATUS_TOPIC_ARN",
        "STACK_NAME",
        "ENDPOINT_NAME",
    ):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("ALEXA_SKILL_ID", "  ")
    get_settings.cache_clear()
    with pytest.raises(MissingSetting, match="ALEXA_SKILL_ID"):
        get_settings()
    get_settings.cache_clear()


def test_importing_the_skill_reads_no_environment_and_creates_no_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("STATE_MACHINE_ARN", "ALEXA_SKILL_ID", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    pipeline.reset_clients()
    importlib.reload(importlib.import_module("skill.handler"))
    assert pipeline.client.cache_info().currsize == 0
    _reset_caches()


# --- speech ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (20, "less than a minute ago"),
        (60, "1 minute ago"),
        (12 * 60 + 30, "12 minutes ago"),
        (3600, "1 hour ago"),
        (2 * 3600 + 5 * 60, "2 hours and 5 minutes ago"),
        (3 * 86400 + 100, "3 days ago"),
        (-5, "less than a minute ago"),
    ],
)
def test_ago_speaks_elapsed_time_in_words(seconds: int, words: str) -> None:
    assert speech.ago(NOW - timedelta(seconds=seconds), NOW) == words


def test_clock_says_the_utc_time_and_the_day_when_it_is_not_today() -> None:
    assert speech.clock(datetime(2025, 11, 26, 9, 5), NOW) == "09:05 UTC"
    assert speech.clock(NOW - timedelta(days=2), NOW) == "10:12 UTC on November 24"
    assert speech.duration(NOW - timedelta(minutes=61), NOW) == "1 hour and 1 minute"


@pytest.mark.parametrize(
    ("state", "phrase"),
    [
        ("Initialize", "starting up"),
        ("Wait For Training Image Build", "building the training image"),
        ("Poll Inference Image Build", "building the inference image"),
        ("Training Done?", "training"),
        ("Poll Tuning Job", "tuning the model"),
        ("Start ETL", "preparing the data"),
        ("Create Model", "creating the model"),
        ("Create Endpoint Config", "deploying to the endpoint"),
        ("Verify Endpoint", "checking the endpoint"),
        ("Clean Up Deploy", "cleaning up after a failed deployment"),
        ("Record Version", "finishing up"),
        ("Something New?", "at the step Something New"),
        (None, "running"),
    ],
)
def test_activity_turns_a_state_name_into_words(state: str | None, phrase: str) -> None:
    assert speech.activity(state) == phrase


def test_main_metric_prefers_validation_then_test_then_first() -> None:
    metrics = [
        {"MetricName": "train:loss", "Value": 1.0},
        {"MetricName": "test:acc", "Value": 0.8},
        {"MetricName": "validation:auc", "Value": 0.9},
    ]
    assert pipeline.main_metric(metrics) == Metric("validation:auc", 0.9)
    assert pipeline.main_metric(metrics[:2]) == Metric("test:acc", 0.8)
    assert pipeline.main_metric(metrics[:1]) == Metric("train:loss", 1.0)
    assert pipeline.main_metric([{"MetricName": "x", "Value": "NaN"}]) is None
    assert pipeline.main_metric(None) is None


def test_failure_reason_is_cut_at_a_word_when_long() -> None:
    text = speech.failure("TrainingFailed", "word " * 100)
    assert text.startswith("The reason was training failed: word word")
    assert text.endswith(" word...")
    assert len(text) < 220


def test_speech_without_a_version_omits_it() -> None:
    execution = Execution("arn", "n", "TIMED_OUT", STARTED.replace(tzinfo=UTC), None)
    outcome = Outcome(execution, version=None)
    assert speech.finished(outcome, NOW) == "Your last build timed out 12 minutes ago."
    progress = Progress(Execution("arn", "n", "RUNNING", NOW), None, None)
    assert speech.running(progress, NOW) == (
        "Your build is running. It started less than a minute ago."
    )


# --- interaction model -----------------------------------------------------------------------


def _model() -> dict[str, Any]:
    return json.loads(MODEL.read_text())["interactionModel"]["languageModel"]


def test_interaction_model_has_the_invocation_name_and_every_intent() -> None:
    model = _model()
    assert model["invocationName"] == "sage build"
    names = {intent["name"] for intent in model["intents"]}
    assert names == {
        "StartBuildIntent",
        "StopBuildIntent",
        "StatusIntent",
        "InfoIntent",
        "JobDetailsIntent",
        "RollbackIntent",
        "LastBuildIntent",
        "AMAZON.HelpIntent",
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.FallbackIntent",
        "AMAZON.NavigateHomeIntent",
    }


def test_interaction_model_slots_are_declared_and_samples_unique() -> None:
    seen: dict[str, str] = {}
    for intent in _model()["intents"]:
        declared = {slot["name"]: slot["type"] for slot in intent["slots"]}
        for sample in intent["samples"]:
            for slot in re.findall(r"{(\w+)}", sample):
                assert slot in declared, f"{intent['name']}: {{{slot}}} is not declared"
            assert sample not in seen, f"{sample!r} in {seen.get(sample)} and {intent['name']}"
            seen[sample] = intent["name"]
        if intent["name"] == "RollbackIntent":
            assert declared == {"Version": "AMAZON.NUMBER"}
    assert "roll back to version {Version}" in seen
    assert seen["give me details on the current job"] == "JobDetailsIntent"
    assert seen["give me details"] == "JobDetailsIntent"


def test_every_custom_intent_of_the_model_has_its_own_handler(stack: Stack) -> None:
    custom = [i["name"] for i in _model()["intents"] if not i["name"].startswith("AMAZON.")]
    for name in custom:
        event = load_event("alexa/info_intent.json")
        event["request"]["intent"] = {"name": name, "confirmationStatus": "NONE", "slots": {}}
        assert spoken(skill_entry.handler(event, FakeLambdaContext())) != speech.FALLBACK, name
