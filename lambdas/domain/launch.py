"""Turn trigger events into runs: one at a time, the others queued and coalesced (never dropped).

Triggers: a message on the LaunchTopic (JSON with per-run overrides, or anything else), an S3
upload or a CodeCommit push relayed by the LaunchTopic, and the retraining schedule. While a run
is in progress new triggers wait in the pending-runs queue; when the run ends its last step
publishes a `drain` message and all waiting triggers start ONE run together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from domain.aws import ClientFactory
from domain.naming import execution_name

DRAIN = "drain"
_RESERVED = {"train", "build", "overrides", "reason", "sagebuild"}


@dataclass(frozen=True)
class Trigger:
    source: str  # sns | s3 | codecommit | schedule | queued
    detail: str
    message_id: str
    overrides: dict = field(default_factory=dict)

    def execution_input(self) -> dict:
        return {
            "trigger": {"source": self.source, "detail": self.detail},
            "overrides": self.overrides,
        }


@dataclass(frozen=True)
class Drain:
    finished_execution: str


def _from_s3(records: list[dict], message_id: str) -> Trigger | None:
    keys = [r["s3"]["object"]["key"] for r in records if "s3" in r]
    if not keys:
        return None
    bucket = records[0]["s3"]["bucket"]["name"]
    shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
    return Trigger("s3", f"new data in s3://{bucket}: {shown}", message_id)


def _from_codecommit(records: list[dict], message_id: str) -> Trigger:
    record = records[0]
    ref = record.get("codecommit", {}).get("references", [{}])[0]
    repo = record.get("eventSourceARN", "").split(":")[-1]
    detail = f"push to {repo} {ref.get('ref', '')} at {ref.get('commit', '')[:12]}".strip()
    return Trigger("codecommit", detail, message_id)


def _from_custom(message: dict, message_id: str) -> Trigger | Drain:
    if message.get("sagebuild") == DRAIN:
        return Drain(str(message.get("finished_execution", "")))
    overrides = (
        dict(message.get("overrides") or {}) if isinstance(message.get("overrides"), dict) else {}
    )
    if "overrides" in message and not isinstance(message["overrides"], dict):
        overrides["overrides"] = message["overrides"]  # Initialize names it as a bad key
    for key, value in message.items():
        if key in ("train", "build") or key not in _RESERVED:
            overrides[key] = value
    reason = str(message.get("reason") or "message on the launch topic")
    return Trigger("sns", reason, message_id, overrides)


def parse_message(text: str, message_id: str) -> Trigger | Drain | None:
    """One LaunchTopic message → a trigger (None for S3's test event)."""
    try:
        message = json.loads(text)
    except (ValueError, TypeError):
        message = None
    if not isinstance(message, dict):
        shown = (text or "")[:80]
        return Trigger(
            "sns",
            f"message was not a JSON object ({shown!r}); started with the stored parameters",
            message_id,
        )
    if message.get("Event") == "s3:TestEvent":
        return None
    records = message.get("Records")
    if isinstance(records, list) and records:
        source = records[0].get("eventSource", "")
        if source == "aws:s3":
            return _from_s3(records, message_id)
        if source == "aws:codecommit":
            return _from_codecommit(records, message_id)
    return _from_custom(message, message_id)


def parse_event(event: dict) -> list[Trigger | Drain]:
    """Every trigger in a Lambda event (SNS records, a schedule event or a direct S3 event)."""
    if event.get("detail-type") == "Scheduled Event" or event.get("source") == "aws.events":
        return [Trigger("schedule", "retraining schedule", str(event.get("id", "schedule")))]
    found: list[Trigger | Drain | None] = []
    for record in event.get("Records", []):
        if "Sns" in record:
            sns = record["Sns"]
            found.append(parse_message(sns.get("Message", ""), sns.get("MessageId", "sns")))
        elif record.get("eventSource") == "aws:s3":
            found.append(
                _from_s3([record], record.get("responseElements", {}).get("x-amz-request-id", "s3"))
            )
    return [item for item in found if item is not None]


def coalesce(triggers: list[Trigger]) -> Trigger:
    """Many waiting triggers → one run; later overrides win, every trigger is named."""
    if len(triggers) == 1:
        return triggers[0]
    overrides: dict = {}
    for trigger in triggers:
        overrides.update(trigger.overrides)
    detail = f"{len(triggers)} triggers while a run was in progress: " + "; ".join(
        f"{t.source}: {t.detail}" for t in triggers
    )
    return Trigger("queued", detail[:1000], triggers[-1].message_id, overrides)


def running_executions(aws: ClientFactory, state_machine: str, ignore: str = "") -> list[str]:
    listed = aws("stepfunctions").list_executions(
        stateMachineArn=state_machine, statusFilter="RUNNING", maxResults=10
    )["executions"]
    return [e["executionArn"] for e in listed if e["executionArn"] != ignore]


def start_run(aws: ClientFactory, state_machine: str, trigger: Trigger) -> str:
    response = aws("stepfunctions").start_execution(
        stateMachineArn=state_machine,
        name=execution_name(trigger.source, trigger.message_id),
        input=json.dumps(trigger.execution_input()),
    )
    return response["executionArn"]


def queue_trigger(aws: ClientFactory, queue_url: str, trigger: Trigger) -> None:
    aws("sqs").send_message(
        QueueUrl=queue_url,
        MessageBody=json.dumps(
            {
                "source": trigger.source,
                "detail": trigger.detail,
                "message_id": trigger.message_id,
                "overrides": trigger.overrides,
            }
        ),
    )


def take_queued(aws: ClientFactory, queue_url: str) -> list[Trigger]:
    """Receive and delete every waiting trigger, oldest first."""
    sqs, taken = aws("sqs"), list[Trigger]()
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            return taken
        for message in messages:
            body = json.loads(message["Body"])
            taken.append(
                Trigger(
                    body["source"], body["detail"], body["message_id"], body.get("overrides", {})
                )
            )
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def launch(
    items: list[Trigger | Drain], aws: ClientFactory, state_machine: str, queue_url: str
) -> list[str]:
    """Start one run for the triggers and everything queued, or queue them while a run is on.

    Returns what happened, one line per decision.
    """
    drains = [item for item in items if isinstance(item, Drain)]
    triggers = [item for item in items if isinstance(item, Trigger)]
    ignore = drains[0].finished_execution if drains else ""
    if not triggers and not drains:
        return ["nothing to start"]
    running = running_executions(aws, state_machine, ignore)
    if running:
        behind = running[0].split(":")[-1]
        for trigger in triggers:
            queue_trigger(aws, queue_url, trigger)
        if not triggers:
            return [f"nothing to start: {behind} is running"]
        return [f"queued {trigger.source} trigger behind {behind}" for trigger in triggers]
    # Nothing runs: start one run for everything waiting (also what a stopped or timed-out
    # run left in the queue, since such a run never sent its drain message).
    waiting = take_queued(aws, queue_url) if queue_url else []
    if not waiting + triggers:
        return ["nothing to start"]
    arn = start_run(aws, state_machine, coalesce(waiting + triggers))
    return [f"started {arn}"]
