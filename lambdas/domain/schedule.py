"""How long a start/poll loop waits before its next poll.

The rule: poll every `floor` seconds at first, then every 10% of the time the job has been
running, capped at six hours. A job that finishes is noticed within max(floor, 10% of its
elapsed time), and the number of polls grows with the logarithm of the job's length instead of
linearly (see `docs/performance.md` and `make bench`).
"""

from __future__ import annotations

DEFAULT_FLOOR_SECONDS = 30
FRACTION = 0.10
CEILING_SECONDS = 6 * 3600
POLL_BUDGET = 2000  # no loop of a run polls more often than this


def next_wait(elapsed_seconds: float, floor_seconds: int = DEFAULT_FLOOR_SECONDS) -> int:
    """Seconds to wait before the next poll of a job that has run for `elapsed_seconds`."""
    floor = max(1, int(floor_seconds))
    return int(max(floor, min(CEILING_SECONDS, FRACTION * max(0.0, elapsed_seconds))))


def polls_until(duration_seconds: float, floor_seconds: int = DEFAULT_FLOOR_SECONDS) -> int:
    """How many polls the schedule makes for a job that takes `duration_seconds`."""
    elapsed, polls = 0.0, 0
    while True:
        elapsed += next_wait(elapsed, floor_seconds)
        polls += 1
        if elapsed >= duration_seconds:
            return polls


def detection_delay(duration_seconds: float, floor_seconds: int = DEFAULT_FLOOR_SECONDS) -> float:
    """Seconds between a job's end and the poll that notices it."""
    elapsed = 0.0
    while elapsed < duration_seconds:
        elapsed += next_wait(elapsed, floor_seconds)
    return elapsed - duration_seconds
