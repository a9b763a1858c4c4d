"""What the TrainStatusTopic says: a short subject, plain words, bounded size, attributes.

The original attached the whole state to every message; here the body is a few lines that a
person reads and the attributes are what a machine filters on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from domain.aws import ClientFactory
from domain.versions import deployed_version

MAX_SUBJECT = 100  # SNS limit
MAX_BODY = 8 * 1024
KINDS = ("started", "succeeded", "failed", "rolled_back", "queued", "approval", "stopped")


@dataclass(frozen=True)
class Notification:
    subject: str
    body: str
    attributes: dict[str, str]


def _cause_text(error: dict) -> str:
    """The human part of a Step Functions error object {Error, Cause}."""
    cause = error.get("Cause") or ""
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


def _failed_step(state: dict) -> str:
    error = (state.get("error") or {}).get("Error", "")
    if error in _STEP_OF_ERROR:
        return _STEP_OF_ERROR[error]
    waiting = (state.get("deployment") or {}).get("status") == "NotStarted"
    if error == "States.Timeout" and (state.get("flags") or {}).get("approval") and waiting:
        return "approval (nobody answered in time)"
    for key, label in (
        ("deployment", "deploy"),
        ("inference_image_build", "inference image build"),
        ("training", "training"),
        ("training_image_build", "training image build"),
        ("etl", "ETL hook"),
        ("postprocess", "PostProcess hook"),
    ):
        if (state.get(key) or {}).get("status") in {"Failed", "Stopped", "InProgress"}:
            return label
    return "initialize" if "context" not in state else "pipeline"


def _duration(state: dict, now: datetime) -> str:
    started = (state.get("run") or {}).get("started_at")
    if not started:
        return ""
    seconds = int((now - datetime.fromisoformat(started)).total_seconds())
    minutes, seconds = divmod(max(0, seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def _console(region: str, service_path: str) -> str:
    return f"https://{region}.console.aws.amazon.com/{service_path}"


def build_notification(
    kind: str, state: dict, stack: str, region: str, now: datetime
) -> Notification:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    run = state.get("run") or {}
    version = deployed_version(state) or ""
    number = run.get("run_number") or ""
    label = " ".join(
        part
        for part in (f"run {number}" if number else "run", f"v{version}" if version else "")
        if part
    )
    outcome = {
        "started": "started",
        "succeeded": "succeeded",
        "failed": "FAILED",
        "rolled_back": "rolled back",
        "queued": "queued",
        "approval": "waiting for approval",
    }[kind]
    subject = f"sagebuild {stack} {label}: {outcome}"[:MAX_SUBJECT]
    lines = [
        f"Stack: {stack}",
        f"Run: {number or 'not assigned'}",
        f"Version: {version or 'none (a version is assigned when the run deploys)'}",
    ]
    if run.get("execution"):
        lines.append(f"Execution: {run['execution']}")
    trigger = run.get("trigger") or state.get("trigger") or {}
    if trigger:
        lines.append(f"Trigger: {trigger.get('source', '?')} ({trigger.get('detail', '')})")
    training = state.get("training") or {}
    if training.get("name"):
        lines.append(f"Training job: {training['name']}")
    for metric in training.get("metrics", [])[:10]:
        lines.append(f"Metric {metric['MetricName']}: {metric['Value']:g}")
    model = (state.get("model") or {}).get("name")
    if model:
        lines.append(f"Model: {model}")
    endpoint = (state.get("context") or {}).get("resources", {}).get("endpoint", "")
    deployment = state.get("deployment") or {}
    if endpoint and kind != "started":
        lines.append(
            f"Endpoint: {endpoint} (config {deployment.get('endpoint_config') or 'unchanged'})"
        )
    if kind == "failed":
        error = state.get("error") or {}
        lines.insert(0, f"The run failed at {_failed_step(state)}: {_cause_text(error)}")
        lines.append(f"Error: {error.get('Error', 'unknown')}")
        cleanup = (state.get("cleanup") or {}).get("deleted")
        if cleanup:
            lines.append("Cleaned up: " + ", ".join(cleanup))
        if endpoint:
            lines.append("The endpoint keeps serving the previous version (if it had one).")
    elif kind == "approval":
        hours = (state.get("approval") or {}).get("timeout_seconds", 0) / 3600
        lines.insert(
            0,
            f"The model of run {number} is trained and waits for your approval before it "
            f"is deployed (the request times out in {hours:g} h).",
        )
        lines.append(f"Approve: sagebuild approve --stack {stack}")
        lines.append(f'Reject:  sagebuild reject --stack {stack} --reason "..."')
    elif kind == "succeeded":
        lines.insert(
            0,
            f"Version {version} is live."
            if state.get("flags", {}).get("deploy")
            else f"Run {number} built its model (deploy was off).",
        )
    approved_by = (state.get("approval") or {}).get("by")
    if approved_by and kind == "succeeded":
        lines.append(f"Approved by: {approved_by}")
    duration = _duration(state, now)
    if duration and kind != "started":
        lines.append(f"Duration: {duration}")
    if run.get("execution") and region:
        lines.append(
            "Console: "
            + _console(region, "states/home#/v2/executions/details/")
            + str(run.get("execution_arn", run["execution"]))
        )
    body = "\n".join(lines)
    if len(body.encode()) > MAX_BODY:
        body = body.encode()[: MAX_BODY - 20].decode(errors="ignore") + "\n[truncated]"
    attributes = {
        "stack": stack,
        "outcome": kind,
        "run": str(number),
        "version": str(version),
        "execution": str(run.get("execution", "")),
    }
    if kind == "failed":
        attributes["error"] = str((state.get("error") or {}).get("Error", ""))[:256]
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


def stopped_notification(
    execution: str, status: str, state: dict, stopped: list[str], stack: str
) -> Notification:
    """A run that ended without succeeding, and what was stopped with it."""
    run = state.get("run") or {}
    label = f"run {run['run_number']}" if run.get("run_number") else "run"
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
    return response["MessageId"]
