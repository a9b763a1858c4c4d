"""Turn trigger events into runs: exactly once per trigger, one run at a time, nothing lost.

Triggers: a message on the LaunchTopic (JSON with per-run overrides, or anything else), an S3
upload or a CodeCommit push relayed by the LaunchTopic, and the retraining schedule. Each has
an id that a redelivery repeats (SNS MessageId; S3 bucket, key and sequencer; commit id;
schedule event id). Arrival is one conditional write of that id to the run table, so a
redelivery is a duplicate and starts nothing. Then `advance()` starts the next run if the
lease is free: every waiting trigger becomes ONE run (coalesced, later overrides win).
A trigger that arrives while a run holds the lease waits; the run's end (the RunEnded
function, on the Step Functions status event) calls `advance()` again.
See docs/architecture.md, "Launch: one run at a time".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from domain.aws import ClientFactory
from domain.naming import execution_name
from domain.run_table import REJECTED, Lease, RunTable, StoredTrigger

DRAIN = "drain"
_RESERVED = {"train", "build", "overrides", "reason", "sagebuild"}
_CONTENTION_ATTEMPTS = 10


@dataclass(frozen=True)
class Trigger:
    source: str  # sns | s3 | codecommit | schedule | queued
    detail: str
    trigger_id: str
    overrides: dict = field(default_factory=dict)
    body: str = field(default="", compare=False)  # the message as it arrived

    def execution_input(self) -> dict:
        return {
            "trigger": {"source": self.source, "detail": self.detail},
            "overrides": self.overrides,
        }


@dataclass(frozen=True)
class Drain:
    """A run ended: start what waits (also the old `{"sagebuild": "drain"}` message)."""

    finished_execution: str


@dataclass(frozen=True)
class Rejected:
    """A message that cannot become a run: kept with its body, the user is told why."""

    source: str
    reason: str
    body: str


@dataclass(frozen=True)
class Outcome:
    kind: str  # started | queued | duplicate | rejected | idle | held
    trigger_id: str = ""
    execution: str = ""
    detail: str = ""

    def line(self) -> str:
        return " ".join(part for part in (self.kind, self.trigger_id, self.detail) if part)


class LaunchContention(Exception):
    """The lease kept changing under this invocation (Lambda retries the event)."""


# --- parsing: never raises -------------------------------------------------------------
def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _s3_trigger(records: list[Any], fallback_id: str) -> Trigger | Rejected:
    keys, ids, bucket = [], [], ""
    for index, record in enumerate(records):
        s3 = record.get("s3") if isinstance(record, dict) else None
        obj = s3.get("object") if isinstance(s3, dict) else None
        bucket_doc = s3.get("bucket") if isinstance(s3, dict) else None
        key = obj.get("key") if isinstance(obj, dict) else None
        name = bucket_doc.get("name") if isinstance(bucket_doc, dict) else None
        if not isinstance(key, str) or not isinstance(name, str) or not key or not name:
            return Rejected(
                "s3",
                f"S3 event record {index} has no s3.bucket.name or s3.object.key; "
                "send S3 event notifications unchanged (Amazon S3 event message structure)",
                "",
            )
        bucket = name
        keys.append(key)
        found = obj if isinstance(obj, dict) else {}  # a dict: it holds the key
        sequencer = _text(found.get("sequencer")) or _text(found.get("versionId"))
        ids.append(f"{name}/{key}/{sequencer or fallback_id}")
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:20]
    shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
    return Trigger("s3", f"new data in s3://{bucket}: {shown}", digest)


def _codecommit_trigger(records: list[Any], fallback_id: str) -> Trigger | Rejected:
    record = records[0]
    codecommit = record.get("codecommit") if isinstance(record, dict) else None
    references = codecommit.get("references") if isinstance(codecommit, dict) else None
    ref = references[0] if isinstance(references, list) and references else None
    if not isinstance(ref, dict) or not _text(ref.get("commit")):
        return Rejected(
            "codecommit",
            "CodeCommit event has no codecommit.references[0].commit; "
            "send repository trigger events unchanged",
            "",
        )
    commit = _text(ref.get("commit"))
    repo = _text(record.get("eventSourceARN")).split(":")[-1]
    detail = f"push to {repo} {_text(ref.get('ref'))} at {commit[:12]}".strip()
    return Trigger("codecommit", detail, commit or fallback_id)


def _custom(message: dict, message_id: str, text: str) -> Trigger | Drain:
    if message.get("sagebuild") == DRAIN:
        return Drain(str(message.get("finished_execution", "")))
    given = message.get("overrides")
    overrides = dict(given) if isinstance(given, dict) else {}
    if "overrides" in message and not isinstance(given, dict):
        overrides["overrides"] = given  # Initialize names it as a bad key
    for key, value in message.items():
        if key in ("train", "build") or key not in _RESERVED:
            overrides[key] = value
    reason = str(message.get("reason") or "message on the launch topic")[:500]
    return Trigger("sns", reason, message_id, overrides, text)


def parse_message(text: str, message_id: str) -> Trigger | Drain | Rejected | None:
    """One LaunchTopic message → a trigger (None for S3's test event)."""
    try:
        message = json.loads(text)
    except RecursionError:
        return Rejected("sns", "the message nests JSON too deeply to read", text)
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
    if "Records" in message:
        first = records[0] if isinstance(records, list) and records else None
        source = first.get("eventSource") if isinstance(first, dict) else None
        found: Trigger | Rejected
        if not isinstance(records, list):
            found = Rejected("sns", "Records must be a list of event records", text)
        elif source == "aws:s3":
            found = _s3_trigger(records, message_id)
        elif source == "aws:codecommit":
            found = _codecommit_trigger(records, message_id)
        else:
            found = Rejected(
                "sns",
                "Records must be a non-empty list of S3 or CodeCommit event records "
                "(eventSource aws:s3 or aws:codecommit); to start a run with overrides, "
                "send a JSON object without Records",
                text,
            )
        return Rejected(found.source, found.reason, text) if isinstance(found, Rejected) else found
    return _custom(message, message_id, text)


def _parse_record(record: Any) -> Trigger | Drain | Rejected | None:
    if not isinstance(record, dict):
        return Rejected("lambda", "an event record is not a JSON object", json.dumps(record))
    sns = record.get("Sns")
    if isinstance(sns, dict):
        message = sns.get("Message")
        message_id = _text(sns.get("MessageId"))
        if not isinstance(message, str) or not message_id:
            return Rejected(
                "sns", "SNS record without a Message string or MessageId", json.dumps(record)
            )
        return parse_message(message, message_id)
    if record.get("eventSource") == "aws:s3":
        found = _s3_trigger([record], "")
        if isinstance(found, Rejected):
            return Rejected("s3", found.reason, json.dumps(record))
        return found
    return Rejected(
        "lambda",
        "event record is neither an SNS record nor an S3 event record",
        json.dumps(record),
    )


def parse_event(event: Any) -> list[Trigger | Drain | Rejected]:
    """Every trigger in a Lambda event (SNS records, a schedule event or a direct S3 event).

    Never raises: what cannot be read becomes a `Rejected` naming why.
    """
    try:
        return _parse_event(event)
    except Exception as error:  # noqa: BLE001 - the launch function must never raise
        try:
            body = json.dumps(event)[:100_000]
        except Exception:  # noqa: BLE001
            body = repr(event)[:100_000]
        return [Rejected("lambda", f"the event could not be read ({type(error).__name__})", body)]


def _parse_event(event: Any) -> list[Trigger | Drain | Rejected]:
    if not isinstance(event, dict):
        return [Rejected("lambda", "the event is not a JSON object", json.dumps(event))]
    if event.get("detail-type") == "Scheduled Event" or event.get("source") == "aws.events":
        event_id = _text(event.get("id"))
        if not event_id:
            return [Rejected("schedule", "scheduled event without an id", json.dumps(event))]
        return [Trigger("schedule", "retraining schedule", event_id)]
    if event.get("source") == "aws.states":
        detail = event.get("detail")
        arn = detail.get("executionArn") if isinstance(detail, dict) else None
        return [Drain(_text(arn))]
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return [
            Rejected(
                "lambda",
                "the event has no Records list and is not a scheduled event",
                json.dumps(event),
            )
        ]
    found = [_parse_record(record) for record in records]
    return [item for item in found if item is not None]


# --- runs --------------------------------------------------------------------------------
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
    return Trigger("queued", detail[:1000], triggers[0].trigger_id, overrides)


def _stored(trigger: Trigger, now: datetime) -> StoredTrigger:
    return StoredTrigger(
        trigger.trigger_id, trigger.source, trigger.detail, trigger.overrides, now.isoformat()
    )


def _as_trigger(stored: StoredTrigger) -> Trigger:
    return Trigger(stored.source, stored.detail, stored.trigger_id, stored.overrides)


def _execution_arn(state_machine: str, name: str) -> str:
    return f"{state_machine.replace(':stateMachine:', ':execution:')}:{name}"


def _status(aws: ClientFactory, state_machine: str, name: str) -> str | None:
    """RUNNING, SUCCEEDED, ... of the lease holder; None when it was never started."""
    try:
        return str(
            aws("stepfunctions").describe_execution(
                executionArn=_execution_arn(state_machine, name)
            )["status"]
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
            return None
        raise


def _start_planned(table: RunTable, aws: ClientFactory, state_machine: str, lease: Lease) -> str:
    """Start the lease holder's run (again, when a launcher died before starting it).

    The name and input derive only from the stored plan, so a second start of the same plan is
    Step Functions' idempotent StartExecution, or ExecutionAlreadyExists once it has ended.
    """
    triggers = [table.get_trigger(trigger_id) for trigger_id in lease.plan]
    plan = [_as_trigger(t) for t in triggers if t is not None]
    for trigger in plan:
        table.take_trigger(trigger.trigger_id, lease.holder)
    run = coalesce(plan) if plan else Trigger("queued", "recovered run", lease.holder)
    execution_input = {**run.execution_input(), "trigger_ids": lease.plan}
    try:
        aws("stepfunctions").start_execution(
            stateMachineArn=state_machine,
            name=lease.holder,
            input=json.dumps(execution_input, sort_keys=True),
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
            raise
    return _execution_arn(state_machine, lease.holder)


def advance(table: RunTable, aws: ClientFactory, state_machine: str, now: datetime) -> Outcome:
    """Start the next run if no run holds the lease: every waiting trigger in one run."""
    for _ in range(_CONTENTION_ATTEMPTS):
        lease = table.lease()
        if lease.holder:
            status = _status(aws, state_machine, lease.holder)
            if status == "RUNNING":
                return Outcome("held", execution=lease.holder)
            if status is None:  # the lease was taken but its run never started
                _start_planned(table, aws, state_machine, lease)
                return Outcome("started", execution=lease.holder, detail="recovered")
        pending = table.pending_triggers()
        if not pending:
            if not lease.holder or table.replace_lease(lease, "", [], now):
                return Outcome("idle")
            continue
        holder = execution_name(pending[0].source, pending[0].trigger_id)
        taken = Lease(holder, [t.trigger_id for t in pending], now.isoformat(), lease.seq + 1)
        if table.replace_lease(lease, taken.holder, taken.plan, now):
            _start_planned(table, aws, state_machine, taken)
            return Outcome("started", execution=holder, detail=", ".join(taken.plan))
    raise LaunchContention(f"the launch lease changed {_CONTENTION_ATTEMPTS} times in a row")


OverrideCheck = Callable[[dict], list[str]]


def launch(
    items: list[Trigger | Drain | Rejected],
    table: RunTable,
    aws: ClientFactory,
    state_machine: str,
    now: datetime,
    check: OverrideCheck | None = None,
) -> list[Outcome]:
    """Record each new trigger once, keep the rejected ones, then start what may start.

    `check` names what is wrong with a trigger's overrides: such a trigger is kept and
    rejected on arrival, so it cannot fail the run it would be coalesced into.
    """
    outcomes: list[Outcome] = []
    new: list[Trigger] = []
    for item in items:
        problems = check(item.overrides) if check and isinstance(item, Trigger) else []
        if isinstance(item, Trigger) and problems:
            if table.add_trigger(_stored(item, now), now, state=REJECTED):
                reason = "overrides: " + "; ".join(problems)
                table.add_failed(item.source, item.body or json.dumps(item.overrides), reason, now)
                outcomes.append(Outcome("rejected", item.trigger_id, detail=reason))
            else:
                outcomes.append(Outcome("duplicate", item.trigger_id, detail="already received"))
        elif isinstance(item, Rejected):
            table.add_failed(item.source, item.body, item.reason, now)
            outcomes.append(Outcome("rejected", detail=item.reason))
        elif isinstance(item, Trigger):
            if table.add_trigger(_stored(item, now), now):
                new.append(item)
            else:
                known = table.get_trigger(item.trigger_id)
                where = f"run {known.execution}" if known and known.execution else "waiting"
                outcomes.append(
                    Outcome("duplicate", item.trigger_id, detail=f"already received ({where})")
                )
    step = advance(table, aws, state_machine, now)
    if step.kind == "started" and step.detail == "recovered":
        outcomes.append(step)
    started = set(step.detail.split(", ")) if step.kind == "started" else set()
    for trigger in new:
        known = table.get_trigger(trigger.trigger_id) if trigger.trigger_id not in started else None
        if trigger.trigger_id in started:
            outcomes.append(Outcome("started", trigger.trigger_id, step.execution))
        elif known and known.execution:  # a concurrent invocation started it
            outcomes.append(Outcome("started", trigger.trigger_id, known.execution))
        else:
            behind = table.lease().holder
            outcomes.append(
                Outcome(
                    "queued",
                    trigger.trigger_id,
                    behind,
                    f"{trigger.source} trigger waits behind {behind}",
                )
            )
    if step.kind == "started" and not new:
        outcomes.append(step)
    return outcomes or [step]
