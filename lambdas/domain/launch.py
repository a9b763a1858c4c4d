"""Turn run requests into runs: exactly once per trigger, one run at a time, nothing lost.

Triggers: a launch message on the LaunchTopic (see `domain.launch_message`), an S3 upload or a
CodeCommit push relayed by the LaunchTopic, and the retraining schedule; the Launch function's
`handlers.envelopes` reads them out of their Lambda events. Each has an id that a redelivery
repeats (SNS MessageId; S3 bucket, key and sequencer; commit id; schedule event id). Arrival is
one conditional write of that id to the run table, so a redelivery is a duplicate and starts
nothing. Then `advance()` starts the next run if the lease is free: every waiting trigger
becomes ONE run (coalesced, later overrides win). A trigger that arrives while a run holds the
lease waits; the run's end (the RunEnded function, on the Step Functions status event) calls
`advance()` again. See docs/architecture.md, "Launch: one run at a time".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from domain.aws import ClientFactory, read_json_parameter
from domain.errors import InvalidParameters
from domain.launch_message import Drain, Rejected, Trigger, decode
from domain.naming import execution_name
from domain.run_table import REJECTED, Lease, RunTable, StoredTrigger

__all__ = [
    "Drain",
    "Kind",
    "LaunchContention",
    "OverrideCheck",
    "stored_override_check",
    "Outcome",
    "Rejected",
    "Trigger",
    "advance",
    "coalesce",
    "launch",
    "parse_message",
]

_CONTENTION_ATTEMPTS = 10


class Kind(StrEnum):
    """What became of a trigger (or of the queue, for `advance`)."""

    STARTED = "started"  # a run started for it
    QUEUED = "queued"  # it waits behind the run holding the lease
    DUPLICATE = "duplicate"  # a redelivery: it was already received
    REJECTED = "rejected"  # it cannot become a run (kept, the user is told why)
    IDLE = "idle"  # nothing waits
    HELD = "held"  # a run holds the lease: what waits starts when it ends


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    trigger_id: str = ""
    execution: str = ""
    detail: str = ""  # for QUEUED and REJECTED: the sentence the notification carries
    started: tuple[str, ...] = ()  # for STARTED by `advance`: the trigger ids of the run
    recovered: bool = False  # STARTED: a lease whose run never started was started again

    def line(self) -> str:
        return " ".join(part for part in (self.kind.value, self.trigger_id, self.detail) if part)


class LaunchContention(Exception):
    """The lease kept changing under this invocation (Lambda retries the event)."""


def parse_message(text: str, message_id: str) -> Trigger | Drain | Rejected:
    """A launch message's text → what it asks for (`launch_message.decode`). Never raises."""
    return decode(text, message_id)


# --- runs --------------------------------------------------------------------------------
def coalesce(triggers: list[Trigger]) -> Trigger:
    """Many waiting triggers → one run; later overrides win, every trigger is named."""
    if len(triggers) == 1:
        return triggers[0]
    overrides: dict[str, Any] = {}
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
                return Outcome(Kind.HELD, execution=lease.holder)
            if status is None:  # the lease was taken but its run never started
                _start_planned(table, aws, state_machine, lease)
                return Outcome(
                    Kind.STARTED,
                    execution=lease.holder,
                    detail="recovered",
                    started=tuple(lease.plan),
                    recovered=True,
                )
        pending = table.pending_triggers()
        if not pending:
            if not lease.holder or table.replace_lease(lease, "", [], now):
                return Outcome(Kind.IDLE)
            continue
        holder = execution_name(pending[0].source, pending[0].trigger_id)
        taken = Lease(holder, [t.trigger_id for t in pending], now.isoformat(), lease.seq + 1)
        if table.replace_lease(lease, taken.holder, taken.plan, now):
            _start_planned(table, aws, state_machine, taken)
            return Outcome(
                Kind.STARTED,
                execution=holder,
                detail=", ".join(taken.plan),
                started=tuple(taken.plan),
            )
    raise LaunchContention(f"the launch lease changed {_CONTENTION_ATTEMPTS} times in a row")


OverrideCheck = Callable[[dict[str, Any]], list[str]]


def stored_override_check(aws: ClientFactory, parameter: str, framework: str) -> OverrideCheck:
    """Overrides against the schema, merged over the stored parameter document (read once,
    when a trigger first carries overrides). A stored document that cannot be read checks
    nothing here: Initialize names what is wrong with it."""
    stored: list[dict[str, Any] | None] = []

    def check(overrides: dict[str, Any]) -> list[str]:
        from domain.config import override_problems

        if not overrides:
            return []
        if not stored:
            try:
                stored.append(read_json_parameter(aws, parameter))
            except (ValueError, InvalidParameters):
                stored.append(None)
        document = stored[0]
        if document is None:
            return []
        return override_problems(document, overrides, framework)

    return check


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
                outcomes.append(Outcome(Kind.REJECTED, item.trigger_id, detail=reason))
            else:
                outcomes.append(Outcome(Kind.DUPLICATE, item.trigger_id, detail="already received"))
        elif isinstance(item, Rejected):
            table.add_failed(item.source, item.body, item.reason, now)
            outcomes.append(Outcome(Kind.REJECTED, detail=item.reason))
        elif isinstance(item, Trigger):
            if table.add_trigger(_stored(item, now), now):
                new.append(item)
            else:
                known = table.get_trigger(item.trigger_id)
                where = f"run {known.execution}" if known and known.execution else "waiting"
                outcomes.append(
                    Outcome(Kind.DUPLICATE, item.trigger_id, detail=f"already received ({where})")
                )
    step = advance(table, aws, state_machine, now)
    if step.recovered:
        outcomes.append(step)
    started = set(step.started)
    for trigger in new:
        known = table.get_trigger(trigger.trigger_id) if trigger.trigger_id not in started else None
        if trigger.trigger_id in started:
            outcomes.append(Outcome(Kind.STARTED, trigger.trigger_id, step.execution))
        elif known and known.execution:  # a concurrent invocation started it
            outcomes.append(Outcome(Kind.STARTED, trigger.trigger_id, known.execution))
        else:
            behind = table.lease().holder
            outcomes.append(
                Outcome(
                    Kind.QUEUED,
                    trigger.trigger_id,
                    behind,
                    f"{trigger.source} trigger waits behind {behind}",
                )
            )
    if step.kind is Kind.STARTED and not step.recovered and not new:
        outcomes.append(step)
    return outcomes or [step]
