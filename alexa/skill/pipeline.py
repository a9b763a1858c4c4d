"""The skill's view of the pipeline: the latest execution, its progress and outcome, stop, launch
and rollback messages, and the versions the endpoint could be rolled back to.

Reads Step Functions (ListExecutions, DescribeExecution, GetExecutionHistory) and SageMaker
(DescribeEndpoint, ListEndpointConfigs), stops an execution (StopExecution) and publishes to
the launch and rollback topics (SNS Publish). Never
sees the Alexa request: it takes ARNs and returns typed results for `skill.intents`.
boto3 clients come from one cached factory, created on first use (never at import); boto3 honours
``AWS_ENDPOINT_URL``, so the local stack and moto can point them elsewhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from skill import launch_message

RUNNING = "RUNNING"
STOP_ERROR = "StoppedByAlexa"
STOP_CAUSE = "Stopped by voice request through the sage build Alexa skill."
REASON = "alexa"  # the launch message's reason: notifications say who started the run
HISTORY_PAGE = 20  # events read from either end of an execution history
RECENT_EXECUTIONS = 20  # executions searched for the last finished one
# Endpoint configs are named `<stack>-v<N>-<suffix>` (lambdas/domain/naming.py); the skill
# reads the version back as the rollback function does (lambdas/domain/rollback.py).
_VERSION_IN_NAME = re.compile(r"-v(\d+)-[0-9a-z]+$")


@cache
def client(service: str) -> Any:
    """The boto3 client for ``service``, created on first use and then reused.

    boto3 itself is imported here, so a welcome or help request never pays for it. A session of
    its own reads the credentials the function runs with (its execution role's), not those a
    process-wide default session cached first.
    """
    import boto3

    return boto3.session.Session().client(service)


def reset_clients() -> None:
    """Forget every cached client (tests, or after the environment changed)."""
    client.cache_clear()


@dataclass(frozen=True)
class Execution:
    """One execution of the pipeline state machine."""

    arn: str
    name: str
    status: str  # RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE
    started_at: datetime
    stopped_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> Execution:
        return cls(
            arn=item["executionArn"],
            name=item.get("name", ""),
            status=item["status"],
            started_at=item["startDate"],
            stopped_at=item.get("stopDate"),
        )


@dataclass(frozen=True)
class Work:
    """One job a run has in progress: "training job", its name and when it started."""

    words: str
    name: str = ""
    started_at: datetime | None = None


@dataclass(frozen=True)
class Progress:
    """Where a running execution is: run number, version (once it deploys), current state."""

    execution: Execution
    version: int | None
    state: str | None
    run_number: int | None = None
    work: tuple[str, ...] = ()  # what it has in progress: "training job", "image build", ...
    jobs: tuple[Work, ...] = ()  # the same, with names and start times


@dataclass(frozen=True)
class Deployed:
    """The endpoint and the versions the stack has endpoint configs for."""

    endpoint_exists: bool
    current: int | None = None  # the version the endpoint serves (None: unknown or none)
    versions: tuple[int, ...] = ()  # every version with an endpoint config, ascending

    def rollback_target(self, version: int | None) -> int | None:
        """The version a rollback would serve (None: nothing to roll back to).

        Mirrors the rollback function's choice: the named version if it has a config, else
        the newest version below the current one.
        """
        if not self.endpoint_exists:
            return None
        if version is not None:
            return version if version in self.versions else None
        earlier = [v for v in self.versions if self.current is None or v < self.current]
        return max(earlier) if earlier else None


@dataclass(frozen=True)
class Metric:
    name: str
    value: float


@dataclass(frozen=True)
class Outcome:
    """How a finished execution ended."""

    execution: Execution
    version: int | None
    metric: Metric | None = None
    endpoint_config: str = ""
    error: str = ""
    cause: str = ""
    run_number: int | None = None


class Pipeline:
    """The state machine and topics of one stack, reached through cached boto3 clients."""

    def __init__(
        self,
        state_machine_arn: str,
        launch_topic_arn: str,
        rollback_topic_arn: str,
        clients: Callable[[str], Any] = client,
        *,
        stack_name: str = "",
        endpoint_name: str = "",
    ) -> None:
        self.state_machine_arn = state_machine_arn
        self.launch_topic_arn = launch_topic_arn
        self.rollback_topic_arn = rollback_topic_arn
        self.stack_name = stack_name
        self.endpoint_name = endpoint_name
        self._clients = clients

    @property
    def sfn(self) -> Any:
        return self._clients("stepfunctions")

    @property
    def sns(self) -> Any:
        return self._clients("sns")

    @property
    def sagemaker(self) -> Any:
        return self._clients("sagemaker")

    # --- reading -------------------------------------------------------------------------

    def latest_execution(self) -> Execution | None:
        """The newest execution, or None when the pipeline never ran.

        https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
        """
        items = self._recent_executions(1)
        return items[0] if items else None

    def last_finished_execution(self) -> Execution | None:
        """The newest execution that is no longer running, or None."""
        return next((e for e in self._recent_executions(RECENT_EXECUTIONS) if not e.running), None)

    def _recent_executions(self, count: int) -> list[Execution]:
        response = self.sfn.list_executions(
            stateMachineArn=self.state_machine_arn, maxResults=count
        )
        executions = [Execution.from_api(item) for item in response.get("executions", [])]
        return sorted(executions, key=lambda e: e.started_at, reverse=True)[:count]

    def current_state(self, execution: Execution) -> str | None:
        """The name of the state the execution entered last (from the end of its history).

        https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
        """
        events = self._history(execution, newest_first=True, with_data=False)
        for event in events:
            details = event.get("stateEnteredEventDetails")
            if details and details.get("name"):
                return str(details["name"])
        return None

    def last_document(self, execution: Execution) -> dict[str, Any]:
        """The newest state document in the history ({} before Initialize ended)."""
        for event in self._history(execution, newest_first=True, with_data=True):
            details = event.get("stateExitedEventDetails")
            document = _json_or_none(details.get("output")) if details else None
            if isinstance(document, dict) and isinstance(document.get("run"), dict):
                return document
        return {}

    def progress(self, execution: Execution) -> Progress:
        """Run number, version, current state and work in progress of a running execution."""
        document = self.last_document(execution)
        return Progress(
            execution,
            _version_of(document),
            self.current_state(execution),
            run_number=_run_number_of(document),
            work=work_in_progress(document),
            jobs=jobs_in_progress(document),
        )

    def outcome(self, execution: Execution) -> Outcome:
        """How a finished execution ended: version, main metric and endpoint config, or error.

        https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
        """
        described = self.sfn.describe_execution(executionArn=execution.arn)
        execution = Execution.from_api(described)
        document = _json_or_none(described.get("output"))
        if not isinstance(document, dict) or "run" not in document:
            document = self.last_document(execution)
        version = _version_of(document)
        state: dict[str, Any] = document if isinstance(document, dict) else {}
        training = _section(state, "training")
        deployment = _section(state, "deployment")
        return Outcome(
            execution=execution,
            version=version,
            metric=main_metric(training.get("metrics")),
            endpoint_config=str(deployment.get("endpoint_config") or ""),
            error=str(described.get("error") or ""),
            cause=str(described.get("cause") or ""),
            run_number=_run_number_of(state),
        )

    def deployed(self) -> Deployed:
        """The endpoint's version and every version the stack has an endpoint config for.

        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html
        https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpointConfigs.html
        """
        from botocore.exceptions import ClientError

        try:
            endpoint = self.sagemaker.describe_endpoint(EndpointName=self.endpoint_name)
        except ClientError as error:
            message = str(error.response.get("Error", {}).get("Message", "")).lower()
            if "could not find" in message or "does not exist" in message:
                return Deployed(endpoint_exists=False)
            raise
        versions = set()
        paginator = self.sagemaker.get_paginator("list_endpoint_configs")
        for page in paginator.paginate(NameContains=_sanitise(self.stack_name)):
            for item in page.get("EndpointConfigs", []):
                version = version_of(str(item.get("EndpointConfigName", "")))
                if version is not None:
                    versions.add(version)
        return Deployed(
            endpoint_exists=True,
            current=version_of(str(endpoint.get("EndpointConfigName", ""))),
            versions=tuple(sorted(versions)),
        )

    def _history(
        self, execution: Execution, *, newest_first: bool, with_data: bool
    ) -> list[dict[str, Any]]:
        response = self.sfn.get_execution_history(
            executionArn=execution.arn,
            maxResults=HISTORY_PAGE,
            reverseOrder=newest_first,
            includeExecutionData=with_data,
        )
        events = sorted(response.get("events", []), key=lambda e: e["id"], reverse=newest_first)
        return events[:HISTORY_PAGE]

    # --- acting --------------------------------------------------------------------------

    def stop(self, execution: Execution) -> None:
        """Stop a running execution.

        https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html
        """
        self.sfn.stop_execution(executionArn=execution.arn, error=STOP_ERROR, cause=STOP_CAUSE)

    def publish_launch(self, *, train: bool = True, overrides: dict[str, Any] | None = None) -> str:
        """Ask the launch function for a new run; returns the SNS message id.

        https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
        """
        message = launch_message.encode(train=train, overrides=dict(overrides or {}), reason=REASON)
        response = self.sns.publish(TopicArn=self.launch_topic_arn, Message=message)
        return str(response["MessageId"])

    def publish_rollback(self, version: int | None = None) -> str:
        """Ask the rollback function to redeploy ``version`` (None: the one before the current)."""
        message = rollback_message(version)
        response = self.sns.publish(TopicArn=self.rollback_topic_arn, Message=json.dumps(message))
        return str(response["MessageId"])


def rollback_message(version: int | None = None) -> dict[str, Any]:
    """The rollback topic message: ``{"version": N}``, or ``{}`` for one version back."""
    return {} if version is None else {"version": version}


def main_metric(metrics: Any) -> Metric | None:
    """The metric worth speaking: a validation metric first, then a test metric, else the first.

    ``metrics`` is SageMaker's FinalMetricDataList shape, ``[{"MetricName", "Value"}]``.
    """
    if not isinstance(metrics, list):
        return None
    valid = [
        Metric(str(m["MetricName"]), float(m["Value"]))
        for m in metrics
        if isinstance(m, dict) and m.get("MetricName") and _is_number(m.get("Value"))
    ]
    for prefix in ("validation", "test"):
        for metric in valid:
            if metric.name.lower().startswith(prefix):
                return metric
    return valid[0] if valid else None


def _section(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _json_or_none(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


_WORK = (
    ("training", "training job"),
    ("training_image_build", "training image build"),
    ("inference_image_build", "inference image build"),
    ("etl", "ETL step"),
    ("postprocess", "post-processing step"),
)


def version_of(name: str) -> int | None:
    """The version in an endpoint config name (`<stack>-v<N>-<suffix>`), if any."""
    match = _VERSION_IN_NAME.search(name)
    return int(match.group(1)) if match else None


def _sanitise(text: str) -> str:
    """The stack name as the pipeline puts it in names (lambdas/domain/naming.py sanitise)."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower())
    return re.sub(r"-{2,}", "-", cleaned).strip("-") or "sagebuild"


def jobs_in_progress(document: dict[str, Any]) -> tuple[Work, ...]:
    """What a run has in progress, with each job's name and start time."""
    found = []
    for key, words in _WORK:
        record = _section(document, key)
        if record.get("status") != "InProgress":
            continue
        found.append(
            Work(
                "tuning job" if record.get("kind") == "tuning" else words,
                str(record.get("name") or ""),
                _datetime_or_none(record.get("started_at")),
            )
        )
    return tuple(found)


def _datetime_or_none(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def work_in_progress(document: dict[str, Any]) -> tuple[str, ...]:
    """What a run has in progress, in words (the Run Ended function stops these)."""
    found = []
    for key, words in _WORK:
        record = _section(document, key)
        if record.get("status") == "InProgress":
            found.append("tuning job" if record.get("kind") == "tuning" else words)
    return tuple(found)


def _run_number_of(document: Any) -> int | None:
    run = document.get("run") if isinstance(document, dict) else None
    number = run.get("run_number") if isinstance(run, dict) else None
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def _version_of(document: Any) -> int | None:
    if not isinstance(document, dict):
        return None
    deployment = document.get("deployment")
    version = deployment.get("version") if isinstance(deployment, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None
