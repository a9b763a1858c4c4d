"""The record a start/poll loop keeps in the state document, and how a poll moves it on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from domain import schedule, status
from domain.errors import PollBudgetExceeded


@dataclass(frozen=True)
class Job:
    name: str = ""
    status: str = status.NOT_STARTED
    reason: str = ""
    wait_seconds: int = 0
    polls: int = 0
    started_at: str = ""
    elapsed_seconds: int = 0
    extra: dict[str, Any] = field(default_factory=dict[str, Any])

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        return {**extra, **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Job:
        data = dict(data or {})
        known = {k: data.pop(k) for k in list(data) if k in cls.__dataclass_fields__}
        known.pop("extra", None)
        return cls(**known, extra=data)


def not_started() -> dict[str, Any]:
    return Job().to_dict()


def started(name: str, now: datetime, floor_seconds: int, **extra: object) -> Job:
    """A job that was just started: first poll after the floor."""
    return Job(
        name=name,
        status=status.IN_PROGRESS,
        wait_seconds=schedule.next_wait(0, floor_seconds),
        started_at=now.isoformat(),
        extra=dict(extra),
    )


def polled(
    job: Job,
    new_status: str,
    now: datetime,
    floor_seconds: int,
    reason: str = "",
    **extra: object,
) -> Job:
    """The job after one poll; raises PollBudgetExceeded when the loop ran too long."""
    polls = job.polls + 1
    if new_status == status.IN_PROGRESS and polls >= schedule.POLL_BUDGET:
        raise PollBudgetExceeded(f"{job.name}: still in progress after {polls} polls")
    started_at = datetime.fromisoformat(job.started_at) if job.started_at else now
    elapsed = max(0, int((now - started_at).total_seconds()))
    return replace(
        job,
        status=new_status,
        reason=reason,
        polls=polls,
        elapsed_seconds=elapsed,
        wait_seconds=schedule.next_wait(elapsed, floor_seconds),
        extra={**job.extra, **extra},
    )
