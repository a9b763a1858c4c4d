"""What the TrainStatusTopic says: a short subject, plain words, bounded size, attributes.

The original attached the whole state to every message; here the body is a few lines that a
person reads and the attributes are what a machine filters on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from domain.aws import ClientFactory
from domain.rollback import Refused, RolledBack
from domain.state import ErrorInfo, LaunchInput, RunState

MAX_SUBJECT = 100  # SNS limit
MAX_BODY = 8 * 1024
KINDS = ("started", "succeeded", "failed", "rolled_back", "queued", "approval", "stopped")


@dataclass(frozen=True)
class Notification:
    subject: str
    body: str
    attributes: dict[str, str]


def _cause_text(error: ErrorInfo) -> str:
    """The human part of a Step Functions error object {Error, Cause}."""
    cause = error.Cause
    try:
        parsed = json.loads(cause)
        if isinstance(parsed, dict) and "errorMessage" in parsed:
            cause = parsed["errorMessage"]
    except (ValueError, TypeError):
        pass
    return str(cause)


_STEP_OF_ERROR = {
    "QualityGateFailed": "the deploy gate",
    "InvalidParameters": "initialize",
    "ApprovalRejected": "approval (rejected)",
}
_STEP_OF_LOOP = (
    ("deployment", "deploy"),
    ("inference_image_build", "inference image build"),
    ("training", "training"),
    ("training_image_build", "training image build"),
    ("etl", "ETL hook"),
    ("postprocess", "PostProcess hook"),
)


def _failed_step(state: RunState | LaunchInput) -> str:
    error = state.error.Error
    if error in _STEP_OF_ERROR:
        return _STEP_OF_ERROR[error]
    if not isinstance(state, RunState):
        return "initialize"
    waiting = state.deployment.status == "NotStarted"
    if error == "States.Timeout" and state.flags.approval and waiting:
        return "approval (nobody answered in time)"
    for key, label in _STEP_OF_LOOP:
        if state.job(key).status in {"Failed", "Stopped", "InProgress"}:
            return label
    return "pipeline"


def _duration(state: RunState, now: datetime) -> str:
    if not state.run.started_at:
        return ""
    seconds = int((now - datetime.fromisoformat(state.run.started_at)).total_seconds())
    minutes, seconds = divmod(max(0, seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def _console(region: str, service_path: str) -> str:
    return f"https://{region}.console.aws.amazon.com/{service_path}"


_OUTCOME = {
    "started": "started",
    "succeeded": "succeeded",
    "failed": "FAILED",
    "rolled_back": "rolled back",
    "queued": "queued",
    "approval": "waiting for approval",
}


def _run_lines(kind: str, state: RunState) -> list[str]:
    """What the run did so far: its training, model and endpoint."""
    lines: list[str] = []
    training = state.training
    if training.name:
        lines.append(f"Training job: {training.name}")
    for metric in state.metrics[:10]:
        lines.append(f"Metric {metric['MetricName']}: {metric['Value']:g}")
    if state.model.name:
        lines.append(f"Model: {state.model.name}")
    endpoint = state.context.resources.endpoint
    if endpoint and kind != "started":
        config = state.deployment.extra.get("endpoint_config") or "unchanged"
        lines.append(f"Endpoint: {endpoint} (config {config})")
    return lines


def _kind_lines(kind: str, state: RunState | LaunchInput, stack: str, lines: list[str]) -> None:
    """The lines that say what this notification is about (first) and what to do (last)."""
    run = state if isinstance(state, RunState) else None
    if kind == "failed":
        lines.insert(0, f"The run failed at {_failed_step(state)}: {_cause_text(state.error)}")
        lines.append(f"Error: {state.error.Error or 'unknown'}")
        cleanup = run.cleanup.get("deleted") if run else None
        if cleanup:
            lines.append("Cleaned up: " + ", ".join(cleanup))
        if run and run.context.resources.endpoint:
            lines.append("The endpoint keeps serving the previous version (if it had one).")
    elif kind == "approval" and run:
        hours = run.approval.timeout_seconds / 3600
        lines.insert(
            0,
            f"The model of run {run.run.run_number} is trained and waits for your approval "
            f"before it is deployed (the request times out in {hours:g} h).",
        )
        lines.append(f"Approve: sagebuild approve --stack {stack}")
        lines.append(f'Reject:  sagebuild reject --stack {stack} --reason "..."')
    elif kind == "succeeded" and run:
        lines.insert(
            0,
            f"Version {run.version} is live."
            if run.flags.deploy
            else f"Run {run.run.run_number} built its model (deploy was off).",
        )
        if run.approval.by:
            lines.append(f"Approved by: {run.approval.by}")


def build_notification(
    kind: str, state: RunState | LaunchInput, stack: str, region: str, now: datetime
) -> Notification:
    """The notification of a run's step (`kind`); a LaunchInput is a run Initialize refused."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    run = state if isinstance(state, RunState) else None
    version = run.version if run else 0
    number = run.run.run_number if run else 0
    label = (f"run {number}" if number else "run") + (f" v{version}" if version else "")
    subject = f"sagebuild {stack} {label}: {_OUTCOME[kind]}"[:MAX_SUBJECT]
    lines = [
        f"Stack: {stack}",
        f"Run: {number or 'not assigned'}",
        f"Version: {version or 'none (a version is assigned when the run deploys)'}",
    ]
    trigger = state.run.trigger if isinstance(state, RunState) else state.trigger
    if run:
        lines.append(f"Execution: {run.run.execution}")
    if trigger:
        lines.append(f"Trigger: {trigger.get('source', '?')} ({trigger.get('detail', '')})")
    if run:
        lines.extend(_run_lines(kind, run))
    _kind_lines(kind, state, stack, lines)
    if run:
        duration = _duration(run, now)
        if duration and kind != "started":
            lines.append(f"Duration: {duration}")
        if region:
            lines.append(
                "Console: "
                + _console(region, "states/home#/v2/executions/details/")
                + (run.run.execution_arn or run.run.execution)
            )
    body = "\n".join(lines)
    if len(body.encode()) > MAX_BODY:
        body = body.encode()[: MAX_BODY - 20].decode(errors="ignore") + "\n[truncated]"
    attributes = {
        "stack": stack,
        "outcome": kind,
        "run": str(number or ""),
        "version": str(version or ""),
        "execution": run.run.execution if run else "",
    }
    if kind == "failed":
        attributes["error"] = state.error.Error[:256]
    return Notification(
        subject=subject, body=body, attributes={k: v for k, v in attributes.items() if v}
    )


def queued_notification(lines: list[str], stack: str) -> Notification:
    """Triggers that wait for the run in progress."""
    return Notification(
        f"sagebuild {stack}: trigger queued"[:MAX_SUBJECT],
        "\n".join(lines) + "\nIt starts when the current run ends.",
        {"stack": stack, "outcome": "queued"},
    )


def rejected_notification(reasons: list[str], stack: str) -> Notification:
    """Messages that could not start a run: what was wrong, and where they are kept."""
    body = (
        "\n".join(f"A trigger was rejected: {reason}" for reason in reasons)
        + "\nNo run started for it. The message is kept with its original body: "
        + f"sagebuild history --failed-triggers --stack {stack}"
    )
    return Notification(
        f"sagebuild {stack}: trigger rejected"[:MAX_SUBJECT],
        body[:MAX_BODY],
        {"stack": stack, "outcome": "trigger_rejected"},
    )


def rollback_notification(outcome: RolledBack | Refused, stack: str) -> Notification:
    """The Rollback function's answer: `rolled_back` (the result as JSON) or `rollback_refused`
    (the reason); `sagebuild rollback` waits for it."""
    if isinstance(outcome, Refused):
        return Notification(
            f"sagebuild {stack}: rollback refused"[:MAX_SUBJECT],
            outcome.reason[:MAX_BODY],
            {"stack": stack, "outcome": "rollback_refused"},
        )
    return Notification(
        f"sagebuild {stack}: rolled back to {outcome.to_config}"[:MAX_SUBJECT],
        json.dumps(outcome.as_dict(), indent=1),
        {"stack": stack, "outcome": "rolled_back"},
    )


def stopped_notification(
    execution: str, status: str, state: RunState | None, stopped: list[str], stack: str
) -> Notification:
    """A run that ended without succeeding, and what was stopped with it."""
    label = f"run {state.run.run_number}" if state is not None else "run"
    words = {"ABORTED": "was stopped", "TIMED_OUT": "timed out", "FAILED": "failed"}
    lines = [
        f"The {label} ({execution}) {words.get(status, status.lower())}.",
        "Stopped with it: " + ", ".join(stopped)
        if stopped
        else "Nothing it started was still running.",
        "The endpoint keeps serving the version it served before this run.",
    ]
    return Notification(
        f"sagebuild {stack} {label}: stopped"[:MAX_SUBJECT],
        "\n".join(lines)[:MAX_BODY],
        {
            "stack": stack,
            "outcome": "stopped",
            "execution": execution,
            "status": status,
            "stopped": str(len(stopped)),
        },
    )


def publish(topic_arn: str, notification: Notification, aws: ClientFactory) -> str:
    response = aws("sns").publish(
        TopicArn=topic_arn,
        Subject=notification.subject,
        Message=notification.body,
        MessageAttributes={
            key: {"DataType": "String", "StringValue": value}
            for key, value in notification.attributes.items()
        },
    )
    return str(response["MessageId"])
