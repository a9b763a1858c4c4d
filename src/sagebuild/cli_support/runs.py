"""Runs of the pipeline as the CLI shows them, read from Step Functions.

A run is one execution of the StateMachine output. Its path is the states it entered (the
StateEntered events of its history), its state document the latest JSON input/output in the
history that has a `run` key (see docs/architecture.md, "The state document").
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sagebuild.cli_support import domain
from sagebuild.cli_support.errors import UserError

_FAILURE_EVENTS = (
    "TaskFailed",
    "TaskTimedOut",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "LambdaFunctionScheduleFailed",
    "LambdaFunctionStartFailed",
    "ExecutionFailed",
    "ExecutionTimedOut",
    "ExecutionAborted",
)


@dataclass
class RunPath:
    """Where a run went: states entered in order, states that failed, the current state."""

    entered: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    current: str | None = None
    edges: list[tuple[str, str]] = field(default_factory=list)

    @property
    def visited(self) -> set[str]:
        return set(self.entered)


def list_runs(sfn: Any, state_machine: str, limit: int = 20) -> list[dict[str, Any]]:
    """Executions of the pipeline, newest first."""
    runs: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"stateMachineArn": state_machine, "maxResults": min(limit, 100)}
    while len(runs) < limit:
        page = sfn.list_executions(**kwargs)
        runs.extend(page.get("executions", []))
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    runs.sort(key=lambda e: e.get("startDate") or datetime.min.replace(tzinfo=UTC), reverse=True)
    return runs[:limit]


def resolve_run(sfn: Any, state_machine: str, run: str | None) -> str:
    """The execution ARN of `run` (a name or ARN), or of the current (else latest) run."""
    if run and run.startswith("arn:"):
        return run
    runs = list_runs(sfn, state_machine, limit=100)
    if run:
        for item in runs:
            if item["name"] == run:
                return str(item["executionArn"])
        raise UserError(f"no run named {run}")
    if not runs:
        raise UserError("no run yet: start one with: sagebuild start")
    running = [r for r in runs if r.get("status") == "RUNNING"]
    return str((running or runs)[0]["executionArn"])


def history_events(sfn: Any, execution: str) -> list[dict[str, Any]]:
    """Every event of an execution, oldest first."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page.get("events", []))
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def _details(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def path_of(events: list[dict[str, Any]], status: str = "RUNNING") -> RunPath:
    """The states a run entered, those that failed, and the current one (if still running)."""
    path = RunPath()
    open_state: str | None = None
    for event in events:
        kind = event.get("type", "")
        details = _details(event)
        if kind.endswith("StateEntered"):
            name = details.get("name", "")
            if path.entered:
                path.edges.append((path.entered[-1], name))
            path.entered.append(name)
            open_state = name
        elif kind.endswith("StateExited"):
            open_state = None
        elif kind in _FAILURE_EVENTS and path.entered:
            path.failed.add(open_state or path.entered[-1])
    if status == "RUNNING":
        path.current = open_state or (path.entered[-1] if path.entered else None)
    elif status in ("FAILED", "TIMED_OUT", "ABORTED") and path.entered:
        path.failed.add(path.entered[-1])
    return path


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def state_document(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest state document (a JSON object with a `run` key) in the history."""
    for event in reversed(events):
        details = _details(event)
        for key in ("output", "input"):
            value = _json(details.get(key))
            if isinstance(value, dict) and isinstance(value.get("run"), dict):
                return value
    return None


def numbers_text(events: list[dict[str, Any]]) -> str:
    """ " (run 3, version 2)" for a run's history ("" before Initialize ended)."""
    document = state_document(events) or {}
    number = (document.get("run") or {}).get("run_number")
    version = (document.get("deployment") or {}).get("version")
    parts = [f"run {number}"] if number else []
    parts += [f"version {version}"] if version else []
    return f" ({', '.join(parts)})" if parts else ""


def active_job(document: dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    """(loop key, job) of the start/poll loop in progress, if any."""
    for key in domain.loop_keys():
        job = (document or {}).get(key)
        if isinstance(job, dict) and job.get("status") == "InProgress":
            return key, job
    return None


def _seconds(start: Any, stop: Any) -> float | None:
    if not isinstance(start, datetime):
        return None
    stop = stop if isinstance(stop, datetime) else datetime.now(start.tzinfo or UTC)
    return max(0.0, (stop - start).total_seconds())


def run_row(sfn: Any, execution: dict[str, Any]) -> dict[str, Any]:
    """One line of `sagebuild history`: version, status, duration, trigger, metrics, config."""
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    document = _json(described.get("output"))
    if not (isinstance(document, dict) and isinstance(document.get("run"), dict)):
        page = sfn.get_execution_history(
            executionArn=execution["executionArn"], reverseOrder=True, maxResults=50
        )
        document = state_document(list(reversed(page.get("events", []))))
    document = document or {}
    run = document.get("run") or {}
    execution_input = _json(described.get("input")) or {}
    trigger = run.get("trigger") or execution_input.get("trigger") or {}
    training = document.get("training") or {}
    deployment = document.get("deployment") or {}
    error, cause = error_of(document, described)
    return {
        "run": described["name"],
        "execution_arn": described["executionArn"],
        "run_number": run.get("run_number"),
        "version": deployment.get("version") or None,
        "status": described["status"],
        "started_at": _iso(described.get("startDate")),
        "stopped_at": _iso(described.get("stopDate")),
        "duration_seconds": _seconds(described.get("startDate"), described.get("stopDate")),
        "trigger": f"{trigger.get('source', '?')}: {trigger.get('detail', '')}" if trigger else "",
        "metrics": latest_metric(document),
        "training_job": training.get("name", ""),
        "endpoint_config": deployment.get("endpoint_config", ""),
        "error": error,
        "cause": cause,
    }


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else ""


def job_status(target: Any, key: str, job: dict[str, Any]) -> dict[str, Any]:
    """The job's own status from its service (training SecondaryStatus, endpoint status...)."""
    name = str(job.get("name", ""))
    found: dict[str, Any] = {"kind": key, "name": name, "status": job.get("status", "")}
    if not name:
        return found
    try:
        if key == "training":
            found.update(_training_status(target.client("sagemaker"), name))
        elif key == "deployment":
            described = target.client("sagemaker").describe_endpoint(EndpointName=name)
            found["service_status"] = described.get("EndpointStatus", "")
            found["detail"] = described.get("FailureReason", "")
        elif key in ("training_image_build", "inference_image_build"):
            builds = target.client("codebuild").batch_get_builds(ids=[name]).get("builds", [])
            if builds:
                found["service_status"] = builds[0].get("buildStatus", "")
                found["detail"] = builds[0].get("currentPhase", "")
        elif key in ("etl", "postprocess"):
            described = target.client("stepfunctions").describe_execution(executionArn=name)
            found["service_status"] = described.get("status", "")
    except Exception as error:  # noqa: BLE001 - the status view shows what it can
        found["detail"] = f"(service status unavailable: {type(error).__name__})"
    return found


def _training_status(sagemaker: Any, name: str) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    try:
        described = sagemaker.describe_training_job(TrainingJobName=name)
    except ClientError:
        described = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        best = described.get("BestTrainingJob") or {}
        metric = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        counters = described.get("TrainingJobStatusCounters") or {}
        return {
            "service_status": described.get("HyperParameterTuningJobStatus", ""),
            "detail": ", ".join(f"{k} {v}" for k, v in counters.items() if v),
            "metric": {metric["MetricName"]: metric["Value"]} if metric else {},
        }
    metrics = described.get("FinalMetricDataList") or []
    latest = metrics[-1] if metrics else None
    return {
        "service_status": described.get("SecondaryStatus", "")
        or described.get("TrainingJobStatus", ""),
        "detail": described.get("FailureReason", ""),
        "metric": {latest["MetricName"]: latest["Value"]} if latest else {},
    }


def short_name(name: str, width: int = 16) -> str:
    """An execution name that fits a table column: `sns-<uuid>` → `sns-1a2b3c4d`."""
    source, _, rest = name.partition("-")
    if rest and source in ("sns", "sqs", "s3", "queued", "schedule", "codecommit", "manual"):
        name = f"{source}-{rest[:8]}"
    return name if len(name) <= width else name[: width - 1] + "…"


def cause_text(cause: Any) -> str:
    """The readable part of a Step Functions cause: a Lambda error's `errorMessage`."""
    text = str(cause or "").strip()
    parsed = _json(text)
    if isinstance(parsed, dict) and parsed.get("errorMessage") is not None:
        return str(parsed["errorMessage"]).strip()
    return text


def error_of(document: dict[str, Any] | None, described: dict[str, Any]) -> tuple[str, str]:
    """(error name, readable cause) of a run: the state document's `error`, else the
    execution's own error and cause (a Lambda error's cause is JSON: its errorMessage)."""
    error = (document or {}).get("error") or {}
    name = str(error.get("Error") or described.get("error") or "")
    cause = error.get("Cause") or described.get("cause") or ""
    parsed = _json(cause)
    if not name and isinstance(parsed, dict):
        name = str(parsed.get("errorType") or "")
    return name, cause_text(cause)


def finished_job(document: dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    """(loop key, job) of the last start/poll loop that ran (for a run that has ended)."""
    found = None
    for key in domain.loop_keys():
        job = (document or {}).get(key)
        if isinstance(job, dict) and job.get("name") and job.get("status") != "NotStarted":
            found = (key, job)
    return found


def latest_metric(document: dict[str, Any] | None) -> dict[str, Any]:
    """The training metrics recorded in the state document ({name: value})."""
    training = (document or {}).get("training") or {}
    return {
        m["MetricName"]: m["Value"]
        for m in training.get("metrics") or []
        if isinstance(m, dict) and "MetricName" in m and "Value" in m
    }


def approval_token(events: list[dict[str, Any]]) -> str | None:
    """The task token of a run that waits in Request Approval (None when it does not wait)."""
    waiting = None
    for event in events:
        kind = event["type"]
        if kind == "TaskStateEntered":
            waiting = event["stateEnteredEventDetails"]["name"] == "Request Approval" or None
        elif kind == "TaskScheduled" and waiting:
            parameters = _json(event["taskScheduledEventDetails"].get("parameters")) or {}
            waiting = (parameters.get("Payload") or {}).get("token")
        elif kind in ("TaskStateExited", "TaskSucceeded", "TaskFailed", "TaskTimedOut"):
            waiting = None
    return waiting if isinstance(waiting, str) else None


# --- stopping a run ----------------------------------------------------------------------
_WORK_WORDS = {
    "training": "training job",
    "training_image_build": "training image build",
    "inference_image_build": "inference image build",
    "etl": "ETL execution",
    "postprocess": "PostProcess execution",
}
_STILL_RUNNING = {"InProgress", "Stopping", "IN_PROGRESS", "RUNNING"}


def run_work(document: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(kind, name) of every job, build and hook execution the run has in progress."""
    found = []
    for key in _WORK_WORDS:
        job = (document or {}).get(key) or {}
        if job.get("name") and job.get("status") == "InProgress":
            found.append((key, str(job["name"])))
    return found


def _primary_status(target: Any, key: str, name: str) -> str:
    from botocore.exceptions import ClientError

    if key == "training":
        sagemaker = target.client("sagemaker")
        try:
            return str(sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"])
        except ClientError:
            described = sagemaker.describe_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=name
            )
            return str(described["HyperParameterTuningJobStatus"])
    if key in ("etl", "postprocess"):
        return str(target.client("stepfunctions").describe_execution(executionArn=name)["status"])
    builds = target.client("codebuild").batch_get_builds(ids=[name]).get("builds", [])
    return str(builds[0].get("buildStatus", "")) if builds else ""


def _label(key: str, name: str) -> str:
    return f"{_WORK_WORDS[key]} {name.split(':')[-1] if key in ('etl', 'postprocess') else name}"


def wait_stopped(
    target: Any, work: list[tuple[str, str]], timeout: float, poll_seconds: float = 2.0
) -> list[str]:
    """Wait until nothing in `work` runs (the Run Ended function stops it); what still runs."""
    deadline = time.monotonic() + timeout
    while True:
        left = [
            _label(key, name)
            for key, name in work
            if _primary_status(target, key, name) in _STILL_RUNNING
        ]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(poll_seconds)


def describe_work(target: Any, work: list[tuple[str, str]]) -> list[str]:
    """One line per job of `work` with its status now ("nothing else was running" if none)."""
    if not work:
        return ["nothing else was running"]
    return [f"{_label(key, name)}: {_primary_status(target, key, name)}" for key, name in work]


# --- triggers that started no run --------------------------------------------------------
def failed_triggers(target: Any, limit: int = 50) -> list[dict[str, Any]]:
    """Rejected triggers (run table) and dead-lettered events (queue, peeked), newest first."""
    table = domain.run_table().RunTable(target.client, target.output("RunTable"))
    found = [{**item, "kept_in": "run table"} for item in table.failed_triggers(limit)]
    queue = target.outputs().get("TriggerDeadLetterQueue", "")
    sqs, seen = target.client("sqs"), set[str]()
    while queue and len(seen) < limit:
        messages = sqs.receive_message(
            QueueUrl=queue,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            AttributeNames=["SentTimestamp"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            break
        for message in fresh:
            seen.add(message["MessageId"])
            attributes = message.get("MessageAttributes") or {}
            sent = int(message.get("Attributes", {}).get("SentTimestamp", "0")) / 1000
            found.append(
                {
                    "arrived_at": datetime.fromtimestamp(sent, UTC).isoformat(),
                    "source": "dead-letter queue",
                    "reason": (attributes.get("ErrorMessage") or {}).get("StringValue", "")
                    or "the function failed on it three times",
                    "body": message.get("Body", ""),
                    "kept_in": "dead-letter queue",
                }
            )
    found.sort(key=lambda item: item["arrived_at"], reverse=True)
    return found[:limit]
