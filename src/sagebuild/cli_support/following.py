"""Following a run: finding the execution a trigger started, looking at it, following it until
it ends, its view and its timeline. The one place the CLI (`sagebuild start --wait`, `status`,
`logs --kind steps`) and `sagebuild.session.Stack` (notebooks, demo, end-to-end tests) do this.

A look is one DescribeExecution and the whole GetExecutionHistory; everything else (the path,
the state document, the view) is read from looks by `sagebuild.cli_support.runs`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sagebuild.cli_support import domain, runs
from sagebuild.cli_support.errors import UserError
from sagebuild.cli_support.render import elapsed_since

#: The statuses of an execution that has ended.
FINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


# --- finding the run a trigger started -------------------------------------------------------


def find_run(
    sfn: Any,
    machine: str,
    message_id: str,
    since: datetime,
    timeout: float = 120.0,
    poll: float = 0.5,
    on_queued: Callable[[str], None] | None = None,
) -> str:
    """The execution the Launch function started for the LaunchTopic message `message_id`
    (sent at `since`).

    Launch names it `sns-<message id>`, or `queued-<message id of the last trigger>` when it
    coalesced the triggers that waited behind a run; a `queued-` run that starts after the
    message was sent includes ours. While an older run is still running the message waits in
    the queue, so the timeout only counts once nothing older runs; `on_queued` is told the
    older run's name once.
    """
    marker = domain.naming().sanitise(message_id)
    earliest = since - timedelta(seconds=2)
    deadline = time.monotonic() + timeout
    told = False
    while True:
        listed = runs.list_runs(sfn, machine, limit=20)
        for item in listed:
            if marker and marker[:40] in item["name"]:
                return str(item["executionArn"])
        for item in listed:
            start_date = item.get("startDate")
            if (
                item["name"].startswith("queued-")
                and isinstance(start_date, datetime)
                and start_date >= earliest
            ):
                return str(item["executionArn"])
        older = [
            item
            for item in listed
            if item.get("status") == "RUNNING"
            and isinstance(item.get("startDate"), datetime)
            and item["startDate"] < earliest
        ]
        if older:
            deadline = time.monotonic() + timeout
            if not told and on_queued is not None:
                on_queued(str(older[0]["name"]))
                told = True
        elif time.monotonic() > deadline:
            raise UserError(
                f"no run started for message {message_id} within {timeout:.0f} s "
                "(see the notifications on the TrainStatusTopic, or: sagebuild history)"
            )
        time.sleep(poll)


def first_new_run(
    sfn: Any, machine: str, known: set[str], timeout: float = 30.0, poll: float = 0.1
) -> str:
    """The ARN of the newest execution not in `known` (one a trigger started); TimeoutError
    when none starts within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for item in runs.list_runs(sfn, machine, limit=100):
            if item["executionArn"] not in known:
                return str(item["executionArn"])
        time.sleep(poll)
    raise TimeoutError("no run started within the timeout")


# --- looking at a run and following it -------------------------------------------------------


@dataclass(frozen=True)
class Look:
    """One look at a run: DescribeExecution, then every history event so far (in that order,
    so an ended status comes with the whole history)."""

    described: dict[str, Any]
    events: list[dict[str, Any]]

    @property
    def status(self) -> str:
        return str(self.described["status"])

    @property
    def ended(self) -> bool:
        return self.status in FINAL

    @property
    def path(self) -> runs.RunPath:
        return runs.path_of(self.events, self.status)


def look(sfn: Any, execution: str) -> Look:
    """Look at the run now."""
    described = sfn.describe_execution(executionArn=execution)
    return Look(described, runs.history_events(sfn, execution))


def follow(
    sfn: Any, execution: str, interval: float = 1.0, timeout: float | None = None
) -> Iterator[Look]:
    """Look at the run now and every `interval` seconds until it ends, yielding each look (the
    last one has ended). TimeoutError when it still runs after `timeout` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        now = look(sfn, execution)
        yield now
        if now.ended:
            return
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"run still {now.status} after {timeout:.0f} s")
        time.sleep(interval)


def states_entered(looks: Iterable[Look]) -> Iterator[tuple[str, Look]]:
    """Each state the run enters, once and in order, with the look that first saw it."""
    shown = 0
    for seen in looks:
        entered = seen.path.entered
        for name in entered[shown:]:
            yield name, seen
        shown = len(entered)


# --- what `sagebuild status` shows -----------------------------------------------------------


def view_of(target: Any, seen: Look) -> dict[str, Any]:
    """The view of a run (state, current step, version, job, metric, error) from one look;
    a running run's job status is asked of its service through `target`."""
    described, status = seen.described, seen.status
    path = seen.path
    document = runs.state_document(seen.events) or {}
    run = document.get("run") or {}
    trigger = run.get("trigger") or {}
    view: dict[str, Any] = {
        "run": described["name"],
        "execution_arn": described.get("executionArn", ""),
        "status": status,
        "run_number": run.get("run_number"),
        "version": (document.get("deployment") or {}).get("version") or None,
        "elapsed_seconds": elapsed_since(described.get("startDate"), described.get("stopDate")),
        "trigger": f"{trigger.get('source', '')}: {trigger.get('detail', '')}" if trigger else "",
        "current_state": path.current,
        "path": path.entered,
        "failed_states": sorted(path.failed),
        "job": None,
        "metric": runs.latest_metric(document),
        "error": "",
        "cause": "",
    }
    active = runs.active_job(document)
    if status == "RUNNING":
        if active:
            view["job"] = runs.job_status(target, *active)
            view["metric"] = view["job"].get("metric") or view["metric"]
    else:
        last = runs.finished_job(document)
        if last:
            key, job = last
            view["job"] = {
                "kind": key,
                "name": job.get("name", ""),
                "status": job.get("status", ""),
                "detail": _first_line(job.get("reason", "")),
            }
        if status != "SUCCEEDED":
            view["error"], cause = runs.error_of(document, described)
            view["cause"] = cause[:4000]
    return view


def run_view(target: Any, execution: str) -> dict[str, Any]:
    """What `sagebuild status` shows about one run, now."""
    view = view_of(target, look(target.client("stepfunctions"), execution))
    view["execution_arn"] = execution
    return view


def _first_line(text: Any, width: int = 100) -> str:
    lines = str(text or "").strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def timeline(events: list[dict[str, Any]]) -> str:
    """A run's history as lines: each state entered, each failure with its cause, the end."""
    lines = []
    for event in events:
        kind = event.get("type", "")
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {}) or {}
        when = (
            event["timestamp"].strftime("%H:%M:%S")
            if isinstance(event.get("timestamp"), datetime)
            else ""
        )
        if kind.endswith("StateEntered"):
            lines.append(f"{when} → {details.get('name', '')}")
        elif "Failed" in kind or "TimedOut" in kind or kind == "ExecutionAborted":
            cause = str(details.get("cause", ""))[:300]
            lines.append(f"{when} ✗ {kind}: {details.get('error', '')} {cause}".rstrip())
        elif kind in ("ExecutionSucceeded",):
            lines.append(f"{when} ✓ {kind}")
    return "\n".join(lines)
