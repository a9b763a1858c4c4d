"""EventBridge schedules: `rate(...)` and `cron(...)` expressions, the emulated clock, the event.

EventBridge User Guide, "Schedule expressions for rules". A rate rule first fires one period
after it appears; a cron rule at each minute its six fields (Minutes Hours Day-of-month Month
Day-of-week Year, with `, - * ? / L W #`) match, in UTC. `ScheduleClock` runs
`schedule_time_scale` times faster than real time (see the package docstring).
"""

from __future__ import annotations

import calendar
import datetime
import math
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from .envelope import iso_time

UTC = datetime.UTC


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    n: i
    for i, n in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
_WEEKDAYS = {n: i for i, n in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_NUMBER = re.compile(r"^\d+$")


class RateSchedule:
    """`rate(value unit)`: every value minutes, hours or days (1 takes the singular unit)."""

    def __init__(self, seconds: int) -> None:
        self.period = datetime.timedelta(seconds=seconds)

    def first(self, now: datetime.datetime) -> datetime.datetime | None:
        return now + self.period

    def following(
        self, fired: datetime.datetime, now: datetime.datetime
    ) -> datetime.datetime | None:
        missed = max(0, math.floor((now - fired) / self.period))
        return fired + self.period * (missed + 1)


def _weekday(day: datetime.date) -> int:
    """EventBridge's day of week: 1 = SUN … 7 = SAT."""
    return (day.weekday() + 1) % 7 + 1


def _values(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    """One cron field of numbers/names with `,` `-` `*` `/` as a set of values."""

    def value(token: str) -> int:
        number = names.get(token.upper()) if names else None
        if number is None:
            if not _NUMBER.match(token):
                raise ValueError(token)
            number = int(token)
        if not low <= number <= high:
            raise ValueError(token)
        return number

    found: set[int] = set()
    for part in text.split(","):
        step, stepped = 1, "/" in part
        if stepped:
            part, step_text = part.split("/", 1)
            if not _NUMBER.match(step_text) or int(step_text) < 1:
                raise ValueError(step_text)
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = value(first), value(last)
        else:
            start = value(part)
            end = high if stepped else start
        span = (
            list(range(start, end + 1))
            if start <= end
            else [
                *range(start, high + 1),
                *range(low, end + 1),
            ]
        )
        found.update(span[::step])
    return frozenset(found)


class CronSchedule:
    """`cron(Minutes Hours Day-of-month Month Day-of-week Year)`, UTC (EventBridge's syntax)."""

    def __init__(self, fields: list[str]) -> None:
        minutes, hours, dom, months, dow, years = fields
        if (dom == "?") == (dow == "?"):
            raise ValueError("exactly one of Day-of-month and Day-of-week must be ?")
        self.minutes = sorted(_values(minutes, 0, 59, {}))
        self.hours = sorted(_values(hours, 0, 23, {}))
        self.months = _values(months, 1, 12, _MONTHS)
        self.years = _values(years, 1970, 2199, {})
        self.day = self._day_of_month(dom) if dow == "?" else self._day_of_week(dow)

    @staticmethod
    def _day_of_month(text: str) -> Callable[[datetime.date], bool]:
        def last(day: datetime.date) -> int:
            return calendar.monthrange(day.year, day.month)[1]

        def nearest_weekday(day: datetime.date, wanted: int) -> bool:
            length = last(day)
            if wanted > length:
                return False
            target = day.replace(day=wanted)
            if target.weekday() == 5:  # Saturday → Friday, or Monday if that leaves the month
                target = (
                    target - datetime.timedelta(days=1)
                    if wanted > 1
                    else target.replace(day=wanted + 2)
                )
            elif target.weekday() == 6:  # Sunday → Monday, or Friday at the month's end
                target = (
                    target + datetime.timedelta(days=1)
                    if wanted < length
                    else target.replace(day=wanted - 2)
                )
            return day == target

        if text == "L":
            return lambda day: day.day == last(day)
        if text == "LW":
            return lambda day: nearest_weekday(day, last(day))
        if text.endswith("W") and _NUMBER.match(text[:-1]):
            wanted = int(text[:-1])
            if not 1 <= wanted <= 31:
                raise ValueError(text)
            return lambda day: nearest_weekday(day, wanted)
        days = _values(text, 1, 31, {})
        return lambda day: day.day in days

    @staticmethod
    def _day_of_week(text: str) -> Callable[[datetime.date], bool]:
        def number(token: str) -> int:
            found = _WEEKDAYS.get(token.upper())
            if found is None and _NUMBER.match(token) and 1 <= int(token) <= 7:
                found = int(token)
            if found is None:
                raise ValueError(token)
            return found

        if text == "L":
            return lambda day: _weekday(day) == 7
        if text.endswith("L"):
            wanted = number(text[:-1])
            return lambda day: (
                _weekday(day) == wanted
                and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
            )
        if "#" in text:
            weekday, nth = text.split("#", 1)
            wanted = number(weekday)
            if not _NUMBER.match(nth) or not 1 <= int(nth) <= 5:
                raise ValueError(text)
            return lambda day: _weekday(day) == wanted and (day.day - 1) // 7 + 1 == int(nth)
        days = _values(text, 1, 7, _WEEKDAYS)
        return lambda day: _weekday(day) in days

    def _next(self, after: datetime.datetime) -> datetime.datetime | None:
        start = after.astimezone(UTC).replace(second=0, microsecond=0) + datetime.timedelta(
            minutes=1
        )
        day = start.date()
        while day.year <= max(self.years):
            if day.year not in self.years:
                day = datetime.date(day.year + 1, 1, 1)
                continue
            if day.month not in self.months:
                day = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
                continue
            if self.day(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        moment = datetime.datetime(
                            day.year, day.month, day.day, hour, minute, tzinfo=UTC
                        )
                        if moment >= start:
                            return moment
            day += datetime.timedelta(days=1)
        return None

    def first(self, now: datetime.datetime) -> datetime.datetime | None:
        return self._next(now)

    def following(
        self, fired: datetime.datetime, now: datetime.datetime
    ) -> datetime.datetime | None:
        return self._next(max(fired, now))


Schedule = RateSchedule | CronSchedule


def parse_schedule(expression: str) -> Schedule:
    """A ScheduleExpression as EventBridge reads it; ValueError when EventBridge refuses it.

    EventBridge User Guide, "Schedule expressions for rules": `rate(value unit)` with a
    positive value and a singular unit for 1 (minute, hour, day), plural otherwise; `cron()`
    with six fields, one of Day-of-month / Day-of-week being `?`.
    """
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise ValueError(expression)
        return RateSchedule(value * _UNITS[unit.rstrip("s")])
    cron = _CRON.match(expression)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            raise ValueError(expression)
        try:
            return CronSchedule(fields)
        except (ValueError, IndexError) as error:
            raise ValueError(expression) from error
    raise ValueError(expression)


class ScheduleClock:
    """The emulated clock of schedules: `scale` times faster than real time."""

    def __init__(self, scale: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._origin = datetime.datetime.now(UTC)
        self._started = time.monotonic()
        self.scale = float(scale)

    def now(self) -> datetime.datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._started) * self.scale
            return self._origin + datetime.timedelta(seconds=elapsed)

    def set_scale(self, scale: float) -> None:
        if not scale > 0:
            raise ValueError(f"schedule time scale must be positive, not {scale!r}")
        now = self.now()
        with self._lock:
            self._origin, self._started, self.scale = now, time.monotonic(), float(scale)

    def real_seconds_until(self, moment: datetime.datetime) -> float:
        return max(0.0, (moment - self.now()).total_seconds() / self.scale)


def scheduled_event(rule: Any, moment: datetime.datetime) -> dict[str, Any]:
    """The event a schedule rule sends (EventBridge User Guide, "Scheduled Event")."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule.account_id,
        "time": iso_time(moment),
        "region": rule.region_name,
        "resources": [rule.arn],
        "detail": {},
    }
