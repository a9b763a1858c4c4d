"""EventBridge in the local stack: rules deliver to their targets and schedules fire, as on AWS.

moto 5.2.5 stores rules and targets, but `Rule.send_to_targets` delivers only to SQS (an event
without `account`, Input and InputPath ignored), log groups, archives, buses and API
destinations; any other target raises NotImplementedError inside PutEvents. It also sends
events to DISABLED rules and to schedule-only rules (an empty pattern matches everything), and
no schedule ever fires. Replaced here:

- `Rule.send_to_targets`: an ENABLED rule with an EventPattern, matched by moto's own matcher
  (`EventPattern.matches_event`) against the AWS envelope (version, id, detail-type, source,
  account, time, region, resources, detail), queues one delivery per target. One background
  thread delivers the queue in order, after PutEvents has answered (EventBridge delivers
  asynchronously). The target receives its `Input` (constant JSON text), its `InputPath` (a
  JSONPath of the event), its `InputTransformer` (`InputPathsMap` + `InputTemplate`, with the
  predefined `aws.events.*` variables) or else the whole event. Lambda, Step Functions, SNS
  and SQS targets are delivered here, each kind by one small function (`_deliver_lambda`,
  `_deliver_state_machine`, `_deliver_sns`, `_deliver_sqs`: where IAM checks belong — the
  function's resource policy for events.amazonaws.com, the target's RoleArn, the topic or
  queue policy); log groups, archives, buses and API destinations stay with moto; any other
  kind is a recorded delivery failure, never a crash of PutEvents.
- `EventsBackend.put_rule`: a ScheduleExpression AWS refuses is refused ("Parameter
  ScheduleExpression is not valid."); moto accepts `rate(1 minutes)` and any `cron(...)`.
- Schedules: a thread fires every ENABLED `rate(...)` / `cron(...)` rule of a default bus with
  the "Scheduled Event" event. A rate rule first fires one period after it appears; a cron rule
  at each minute its six fields (Minutes Hours Day-of-month Month Day-of-week Year, with
  `, - * ? / L W #`) match, in UTC. Missed ticks are skipped, not caught up.
- Service events: `emit()` puts an AWS service's event on the default bus. Standard Step
  Functions executions emit "Step Functions Execution Status Change" when they start and end
  (patched here: `Execution.start` and the worker's `terminated`, after moto_ext.stepfunctions
  has settled ABORTED); the local SageMaker and CodeBuild call `emit_sagemaker` /
  `emit_codebuild` where their statuses change.

Time scale (for tests and demos): schedules run on an emulated clock that advances
`schedule_time_scale` times faster than real time (`set_schedule_time_scale`; the local stack's
`LocalStack(schedule_time_scale=...)` or `SAGEBUILD_SCHEDULE_TIME_SCALE`). With 86400, a
`rate(1 day)` rule fires about every real second and cron rules see one emulated day per real
second; "Scheduled Event" times are emulated times. A rule fires at most every 0.1 real
seconds (ticks in between are skipped): pick a scale that keeps its period above that. Only
schedules use this clock: executions, Wait states and jobs keep real time. 1 (the default)
is AWS's pace.

Not emulated: retries of failed deliveries and dead-letter queues (a failure is logged and
kept in `delivery_failures()`; a Lambda target's own asynchronous retries and dead-letter
queue are emulated by `lambda_async`), IAM on deliveries (see the
four functions above), event buses other than the default one for service events, and the
PutEvents refusal of `aws.*` sources.
"""

from __future__ import annotations

import calendar
import collections
import copy
import datetime
import json
import logging
import math
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sagebuild.local import patching

LOG = logging.getLogger(__name__)
UTC = datetime.UTC

#: Step Functions leaves input or output out of the event above this size (cw-events.html).
_PAYLOAD_LIMIT = 248 * 1024
_HISTORY = 1000
#: A schedule rule fires at most once per this many real seconds (a high time scale).
_MIN_TICK = 0.1

# --------------------------------------------------------------------------- the envelope


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch_ms(value: Any) -> int | None:
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    return None


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    """The event as AWS delivers it, from moto's internal form (float time, ingestion-time)."""
    moment = event.get("time")
    if isinstance(moment, (int, float)):
        moment = _iso(datetime.datetime.fromtimestamp(float(moment), UTC))
    shaped = {
        "version": event.get("version", "0"),
        "id": event.get("id") or str(uuid.uuid4()),
        "detail-type": event.get("detail-type", ""),
        "source": event.get("source", ""),
        "account": event.get("account", ""),
        "time": moment or _iso(datetime.datetime.now(UTC)),
        "region": event.get("region", ""),
        "resources": list(event.get("resources") or []),
        "detail": event.get("detail", {}),
    }
    if "replay-name" in event:
        shaped["replay-name"] = event["replay-name"]
    return shaped


def _internal(shaped: dict[str, Any], moment: datetime.datetime) -> dict[str, Any]:
    """moto's internal form of an envelope (what moto's own target code expects)."""
    return {**shaped, "time": moment.timestamp(), "ingestion-time": time.time()}


# --------------------------------------------------------------------------- target input

_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")
_PLACEHOLDER = re.compile(r"<([^<>\s]+)>")
_MISSING = object()


def json_path(document: Any, path: str) -> Any:
    """The value at an EventBridge JSONPath (`$`, `.name`, `[n]`, `*`); _MISSING if none.

    EventBridge supports dot notation, dashes, underscores, array indices and wildcards
    (EventBridge User Guide, "Amazon EventBridge input transformation"); a wildcard gives the
    list of the values it matched.
    """
    if not path.startswith("$"):
        raise ValueError(f"JSONPath {path!r} must start with $")
    nodes, position, wildcard = [document], 1, False
    while position < len(path):
        match = _PATH_STEP.match(path, position)
        if match is None:
            raise ValueError(f"unsupported JSONPath {path!r}")
        position = match.end()
        name, index = match.group(1), match.group(2)
        found: list[Any] = []
        for node in nodes:
            if name == "*" or index == "*":
                wildcard = True
                if isinstance(node, dict):
                    found.extend(node.values())
                elif isinstance(node, list):
                    found.extend(node)
            elif name is not None:
                if isinstance(node, dict) and name in node:
                    found.append(node[name])
            elif isinstance(node, list) and int(index) < len(node):
                found.append(node[int(index)])
        nodes = found
    if wildcard:
        return nodes
    return nodes[0] if nodes else _MISSING


def _inserted(value: Any, in_string: bool, json_template: bool) -> str:
    if not json_template:  # a text template: values as text
        if value is _MISSING:
            return ""
        return value if isinstance(value, str) else json.dumps(value)
    if in_string:
        if value is _MISSING:
            return ""
        text = value if isinstance(value, str) else json.dumps(value)
        return json.dumps(text)[1:-1]
    return "null" if value is _MISSING else json.dumps(value)


def render_template(template: str, values: dict[str, Any], raw: dict[str, str]) -> str:
    """An InputTemplate with its `<name>` placeholders filled (EventBridge's rules).

    In a JSON template a placeholder inside a string gets the value's text, escaped; outside a
    string it gets the value as JSON. In a text template it gets the value's text. `raw`
    values (`aws.events.event`, `aws.events.event.json`) are inserted as they are.
    """
    json_template = template.lstrip()[:1] in ("{", "[", '"')
    out: list[str] = []
    in_string = escaped = False
    position = 0
    while position < len(template):
        char = template[position]
        if char == "<":
            match = _PLACEHOLDER.match(template, position)
            if match and (match.group(1) in values or match.group(1) in raw):
                name = match.group(1)
                if name in raw:
                    out.append(raw[name])
                else:
                    out.append(_inserted(values[name], in_string, json_template))
                position = match.end()
                continue
        if json_template:
            if escaped:
                escaped = False
            elif char == "\\" and in_string:
                escaped = True
            elif char == '"':
                in_string = not in_string
        out.append(char)
        position += 1
    return "".join(out)


def target_input(target: dict[str, Any], event: dict[str, Any], rule: Any) -> str:
    """The text a target receives for an event: Input, InputPath, InputTransformer or the event.

    EventBridge API Reference, `Target` and `InputTransformer`; the predefined variables are
    those of the EventBridge User Guide, "Amazon EventBridge input transformation".
    """
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        value = json_path(event, str(target["InputPath"]))
        return "null" if value is _MISSING else json.dumps(value)
    transformer = target.get("InputTransformer")
    if transformer:
        values: dict[str, Any] = {
            name: json_path(event, path)
            for name, path in (transformer.get("InputPathsMap") or {}).items()
        }
        values["aws.events.rule-arn"] = rule.arn
        values["aws.events.rule-name"] = rule.name
        values["aws.events.event.ingestion-time"] = event.get("time")
        raw = {
            "aws.events.event": json.dumps({k: v for k, v in event.items() if k != "detail"}),
            "aws.events.event.json": json.dumps(event),
        }
        return render_template(str(transformer.get("InputTemplate", "")), values, raw)
    return json.dumps(event)


# --------------------------------------------------------------------------- deliveries


@dataclass
class Delivery:
    """One event sent to one target of one rule."""

    rule: str
    rule_arn: str
    target_id: str
    target: str
    kind: str
    payload: str
    event_id: str
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)
    rule_object: Any = field(default=None, repr=False)
    target_object: dict[str, Any] = field(default_factory=dict, repr=False)

    def record(self) -> dict[str, Any]:
        try:
            parsed: Any = json.loads(self.payload)
        except ValueError:
            parsed = self.payload
        return {
            "rule": self.rule,
            "rule_arn": self.rule_arn,
            "target_id": self.target_id,
            "target": self.target,
            "kind": self.kind,
            "input": parsed,
            "event_id": self.event_id,
            "error": self.error,
        }


def target_kind(arn: str) -> str:
    """lambda | states | sns | sqs (delivered here), moto (moto's own code) or unsupported."""
    parts = arn.split(":")
    service = parts[2] if len(parts) > 2 else ""
    resource = ":".join(parts[5:])
    if service == "lambda" and resource.startswith("function:"):
        return "lambda"
    if service == "states" and resource.startswith("stateMachine:"):
        return "states"
    if service in ("sns", "sqs"):
        return service
    if service == "logs" or service == "events":
        return "moto"
    return "unsupported"


def _region_account(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return parts[3], parts[4]


def _deliver_lambda(rule: Any, target: dict[str, Any], payload: str) -> None:
    """Asynchronous Invoke of the target function (InvocationType Event).

    Lambda accepts the event, so a function error is not a failed delivery: Lambda retries
    it and then sends it to the function's dead-letter queue or drops it (`lambda_async`).
    An unknown function is a failed delivery. On AWS this needs the function's resource-based
    policy to allow events.amazonaws.com (AWS::Lambda::Permission) for the rule: the IAM
    check belongs here.
    """
    from sagebuild.local.moto_ext import lambda_async

    try:
        json.loads(payload)
        body = payload
    except ValueError:
        body = json.dumps(payload)  # a text template: the function gets a JSON string
    lambda_async.invoke_async(target["Arn"], body)


def _deliver_state_machine(rule: Any, target: dict[str, Any], payload: str) -> None:
    """StartExecution of the target state machine with the payload as input.

    EventBridge starts it as the target's RoleArn, which must trust events.amazonaws.com and
    allow states:StartExecution on the machine (EventBridge User Guide, "Using resource-based
    policies": Step Functions targets need an IAM role); with the local stack's IAM on, both
    are checked and a refusal is a failed delivery.
    """
    from moto.stepfunctions.responses import get_backend

    from sagebuild.local.iam import principals
    from sagebuild.local.iam.enforcer import ENFORCER

    if ENFORCER.enabled:
        role_arn = str(target.get("RoleArn") or "")
        if not role_arn:
            raise PermissionError(f"target {target['Arn']} has no RoleArn to start it with")
        principals.assume(role_arn, "events.amazonaws.com", "EventBridge")
        ENFORCER.authorize_as_role(role_arn, "EventBridge", "states:StartExecution", target["Arn"])
    region, account = _region_account(target["Arn"])
    backend: Any = get_backend(account, region)
    backend.start_execution(target["Arn"], None, payload)  # nameless: a UUID (stepfunctions)


def _deliver_sns(rule: Any, target: dict[str, Any], payload: str) -> None:
    """Publish the payload on the target topic.

    On AWS the topic policy must allow events.amazonaws.com sns:Publish: the check belongs here.
    """
    from moto.sns.models import sns_backends

    region, account = _region_account(target["Arn"])
    sns_backends[account][region].publish(payload, arn=target["Arn"])


def _deliver_sqs(rule: Any, target: dict[str, Any], payload: str) -> None:
    """SendMessage of the payload to the target queue (MessageGroupId from SqsParameters).

    On AWS the queue policy must allow events.amazonaws.com sqs:SendMessage: the check belongs
    here. A FIFO queue without content-based deduplication refuses EventBridge's messages.
    """
    from moto.sqs.models import sqs_backends

    region, account = _region_account(target["Arn"])
    name = target["Arn"].split(":")[5]
    backend = sqs_backends[account][region]
    group_id = (target.get("SqsParameters") or {}).get("MessageGroupId")
    if name.endswith(".fifo"):
        queue_ = backend.get_queue(name)
        if str(getattr(queue_, "content_based_deduplication", "false")).lower() != "true":
            raise RuntimeError(
                f"queue {name} is FIFO without content-based deduplication: EventBridge "
                "cannot send to it"
            )
        if not group_id:
            raise RuntimeError(f"FIFO queue {name} needs SqsParameters.MessageGroupId")
    backend.send_message(name, payload, group_id=group_id)


DELIVER: dict[str, Callable[[Any, dict[str, Any], str], None]] = {
    "lambda": _deliver_lambda,
    "states": _deliver_state_machine,
    "sns": _deliver_sns,
    "sqs": _deliver_sqs,
}


# --------------------------------------------------------------------------- schedules

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
        "time": _iso(moment),
        "region": rule.region_name,
        "resources": [rule.arn],
        "detail": {},
    }


# --------------------------------------------------------------------------- the dispatcher


def _default_rules() -> Iterator[Any]:
    from moto.events.models import events_backends

    for _, regions in list(events_backends.items()):
        for _, backend in list(regions.items()):
            bus = backend.event_buses.get("default")
            if bus is not None:
                yield from list(bus.rules.values())


class _Dispatcher:
    """The delivery queue and its thread, the schedule thread, the delivery history."""

    def __init__(self, scale: float) -> None:
        self.queue: queue.Queue[Delivery | None] = queue.Queue()
        self.history: collections.deque[Delivery] = collections.deque(maxlen=_HISTORY)
        self.failures: collections.deque[Delivery] = collections.deque(maxlen=_HISTORY)
        self.clock = ScheduleClock(scale)
        self.closing = threading.Event()
        self.wake = threading.Event()
        self.next_fire: dict[tuple[str, str], tuple[Schedule | None, Any]] = {}
        self.original_send: Callable[..., None] | None = None
        # daemon threads, so a stack never stopped cannot keep the interpreter alive; `close`
        # (the uninstall, run by LocalStack.stop) ends and joins them.
        self.worker = threading.Thread(
            target=self._deliver_all, name="eventbridge-delivery", daemon=True
        )
        self.scheduler = threading.Thread(
            target=self._schedule_all, name="eventbridge-schedule", daemon=True
        )

    def start(self) -> None:
        self.worker.start()
        self.scheduler.start()

    def close(self) -> None:
        self.closing.set()
        self.wake.set()
        self.queue.put(None)
        self.scheduler.join(timeout=10)
        self.worker.join(timeout=30)
        if self.worker.is_alive():
            LOG.warning("an EventBridge delivery did not finish within 30 s of the stop")

    # -- delivering
    def dispatch(
        self, rule: Any, shaped: dict[str, Any], internal: dict[str, Any]
    ) -> list[Delivery]:
        """Queue the event for each of the rule's targets (moto's own kinds are sent at once)."""
        queued: list[Delivery] = []
        for target in list(rule.targets):
            kind = target_kind(str(target.get("Arn", "")))
            if kind == "moto":
                if self.original_send is not None:
                    clone = copy.copy(rule)
                    clone.targets = [target]
                    try:
                        self.original_send(clone, copy.deepcopy(internal))
                    except Exception as error:  # noqa: BLE001 - a failed delivery, recorded
                        LOG.warning("EventBridge delivery to %s failed: %s", target["Arn"], error)
                continue
            delivery = Delivery(
                rule=rule.name,
                rule_arn=rule.arn,
                target_id=str(target.get("Id", "")),
                target=str(target.get("Arn", "")),
                kind=kind,
                payload="",
                event_id=str(shaped.get("id", "")),
                rule_object=rule,
                target_object=dict(target),
            )
            try:
                delivery.payload = target_input(target, shaped, rule)
            except Exception as error:  # noqa: BLE001 - a bad transformer fails this target
                delivery.error = f"input: {error}"
            if kind == "unsupported" and delivery.error is None:
                delivery.error = f"target {delivery.target} is not emulated by the local stack"
            self.queue.put(delivery)
            queued.append(delivery)
        return queued

    def _deliver_all(self) -> None:
        while True:
            delivery = self.queue.get()
            if delivery is None:
                return
            if delivery.kind == "flush":
                delivery.done.set()
                continue
            try:
                if self.closing.is_set():
                    delivery.error = delivery.error or "not delivered: the local stack stopped"
                elif delivery.error is None:
                    self._deliver(delivery)
            finally:
                self.history.append(delivery)
                if delivery.error is not None:
                    self.failures.append(delivery)
                delivery.done.set()

    def _deliver(self, delivery: Delivery) -> None:
        try:
            DELIVER[delivery.kind](delivery.rule_object, delivery.target_object, delivery.payload)
        except Exception as error:  # noqa: BLE001 - EventBridge records and moves on
            delivery.error = f"{type(error).__name__}: {error}"
            LOG.warning(
                "EventBridge delivery of rule %s to %s failed: %s",
                delivery.rule,
                delivery.target,
                delivery.error,
            )

    # -- schedules
    def fire(self, rule: Any, moment: datetime.datetime) -> list[Delivery]:
        shaped = scheduled_event(rule, moment)
        return self.dispatch(rule, shaped, _internal(shaped, moment))

    def _schedule_all(self) -> None:
        while not self.closing.is_set():
            try:
                wait = self._tick()
            except Exception:  # noqa: BLE001 - a broken tick must not end the schedules
                LOG.exception("EventBridge schedule tick failed")
                wait = 0.5
            self.wake.wait(wait)
            self.wake.clear()

    def _tick(self) -> float:
        now = self.clock.now()
        seen: set[tuple[str, str]] = set()
        wait = 0.5
        for rule in _default_rules():
            expression = rule.scheduled_expression
            if rule.state != "ENABLED" or not expression:
                continue
            key = (rule.arn, expression)
            seen.add(key)
            if key not in self.next_fire:
                try:
                    schedule: Schedule | None = parse_schedule(expression)
                except ValueError:
                    LOG.warning(
                        "rule %s: schedule %s is not valid; it never fires", rule.arn, expression
                    )
                    schedule = None
                self.next_fire[key] = (schedule, schedule.first(now) if schedule else None)
            schedule, moment = self.next_fire[key]
            if schedule is None or moment is None:
                continue
            if moment <= now:
                self.fire(rule, moment)
                # at most one tick per rule every _MIN_TICK real seconds, whatever the scale
                floor = now + datetime.timedelta(seconds=_MIN_TICK * self.clock.scale)
                moment = schedule.following(moment, floor)
                self.next_fire[key] = (schedule, moment)
            if moment is not None:
                wait = min(wait, self.clock.real_seconds_until(moment))
        for key in set(self.next_fire) - seen:
            del self.next_fire[key]
        return max(wait, 0.01)


_ACTIVE: _Dispatcher | None = None
_INSTALL_LOCK = threading.Lock()


# --------------------------------------------------------------------------- public API


def set_schedule_time_scale(scale: float) -> None:
    """Schedules run `scale` times faster than real time from now on (1 = AWS's pace)."""
    if _ACTIVE is None:
        raise RuntimeError("events_delivery is not installed")
    _ACTIVE.clock.set_scale(scale)
    _ACTIVE.wake.set()


def schedule_now() -> datetime.datetime:
    """The schedules' emulated time."""
    if _ACTIVE is None:
        raise RuntimeError("events_delivery is not installed")
    return _ACTIVE.clock.now()


def emit(
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: list[str],
    *,
    account_id: str,
    region: str,
) -> str | None:
    """Put an AWS service's event on the default bus of `account_id`/`region` (never raises).

    Returns the event id, or None when delivery is not installed (the event goes nowhere, as
    on a bus without rules).
    """
    dispatcher = _ACTIVE
    if dispatcher is None:
        return None
    try:
        from moto.events.models import events_backends

        bus = events_backends[account_id][region].event_buses.get("default")
        moment = datetime.datetime.now(UTC)
        shaped = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": source,
            "account": account_id,
            "time": _iso(moment),
            "region": region,
            "resources": list(resources),
            "detail": _jsonable(detail, drop_none=False),
        }
        internal = _internal(shaped, moment)
        rules: list[Any] = list(bus.rules.values()) if bus is not None else []
        for rule in rules:
            rule.send_to_targets(internal)
        return str(shaped["id"])
    except Exception:  # noqa: BLE001 - a service's status change never fails on its event
        LOG.exception("could not emit %s event %s", source, detail_type)
        return None


def _jsonable(value: Any, drop_none: bool = True) -> Any:
    """A JSON copy of a service description: timestamps as epoch milliseconds (AWS's events)."""
    if isinstance(value, datetime.datetime):
        return _epoch_ms(value)
    if isinstance(value, dict):
        return {
            str(k): _jsonable(v, drop_none)
            for k, v in value.items()
            if v is not None or not drop_none
        }
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, drop_none) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(getattr(value, "value", value))


# SageMaker Developer Guide, "Events that Amazon SageMaker AI sends to Amazon EventBridge"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
# the detail is the Describe* response, times in epoch milliseconds, Tags as a {key: value} map.
_SAGEMAKER_EVENTS = {
    "FakeTrainingJob": "SageMaker Training Job State Change",
    "HyperParameterTuningJob": "SageMaker HyperParameter Tuning Job State Change",
    "FakeEndpoint": "SageMaker Endpoint State Change",
}


def sagemaker_detail(resource: Any) -> dict[str, Any]:
    """The detail of the state change event of a moto training job, tuning job or endpoint."""
    kind = type(resource).__name__
    if kind == "HyperParameterTuningJob":
        described = dict(resource.describe())
    else:
        described = dict(resource.response_object)
    tags = getattr(resource, "tags", None) or []
    described["Tags"] = {t["Key"]: t.get("Value", "") for t in tags if isinstance(t, dict)}
    return dict(_jsonable(described))


def emit_sagemaker(resource: Any) -> str | None:
    """Emit the state change event of a SageMaker training job, tuning job or endpoint."""
    try:
        detail_type = _SAGEMAKER_EVENTS[type(resource).__name__]
        arn = str(resource.arn)
        region, account = _region_account(arn)
        detail = sagemaker_detail(resource)
    except Exception:  # noqa: BLE001 - never fail the service on its event
        LOG.exception("could not describe %r for its SageMaker event", resource)
        return None
    return emit("aws.sagemaker", detail_type, detail, [arn], account_id=account, region=region)


def _codebuild_time(value: Any) -> str | None:
    """CodeBuild's event time format, e.g. "Sep 1, 2017 4:12:29 PM"."""
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return moment.strftime("%b %-d, %Y %-I:%M:%S %p")


def codebuild_detail(build: dict[str, Any]) -> dict[str, Any]:
    """The detail of "CodeBuild Build State Change" for a build's BatchGetBuilds metadata.

    CodeBuild User Guide, "Build notifications input format reference"
    (https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications-ref.html).
    """
    environment = build.get("environment") or {}
    source = build.get("source") or {}
    logs = build.get("logs") or {}
    phases = [
        {
            "phase-context": [
                f"{c.get('statusCode', '')}: {c.get('message', '')}" for c in p.get("contexts", [])
            ],
            "start-time": _codebuild_time(p.get("startTime")),
            **({"end-time": _codebuild_time(p["endTime"])} if p.get("endTime") else {}),
            **({"duration-in-seconds": p["durationInSeconds"]} if "durationInSeconds" in p else {}),
            "phase-type": p.get("phaseType"),
            **({"phase-status": p["phaseStatus"]} if p.get("phaseStatus") else {}),
        }
        for p in build.get("phases") or []
    ]
    information: dict[str, Any] = {
        "artifact": {"location": (build.get("artifacts") or {}).get("location", "")},
        "environment": {
            "image": environment.get("image"),
            "privileged-mode": bool(environment.get("privilegedMode")),
            "compute-type": environment.get("computeType"),
            "type": environment.get("type"),
            "environment-variables": [
                {"name": v.get("name"), "type": v.get("type", "PLAINTEXT"), "value": v.get("value")}
                for v in environment.get("environmentVariables") or []
            ],
        },
        "timeout-in-minutes": build.get("timeoutInMinutes"),
        "build-complete": bool(build.get("buildComplete")),
        "initiator": build.get("initiator"),
        "build-start-time": _codebuild_time(build.get("startTime")),
        "source": {k: v for k, v in source.items() if k in ("location", "type", "buildspec")},
        "logs": {
            "group-name": logs.get("groupName"),
            "stream-name": logs.get("streamName"),
            "deep-link": logs.get("deepLink"),
        },
        "phases": phases,
    }
    if build.get("sourceVersion"):
        information["source-version"] = build["sourceVersion"]
    current = build.get("currentPhase")
    contexts = (build.get("phases") or [{}])[-1].get("contexts", []) if phases else []
    return {
        "build-status": build.get("buildStatus"),
        "project-name": build.get("projectName"),
        "build-id": build.get("arn"),
        "additional-information": information,
        "current-phase": current,
        "current-phase-context": json.dumps([c.get("message", "") for c in contexts]),
        "version": "1",
    }


def emit_codebuild(build: dict[str, Any]) -> str | None:
    """Emit "CodeBuild Build State Change" for a build (its BatchGetBuilds metadata)."""
    try:
        arn = str(build["arn"])
        region, account = _region_account(arn)
        detail = codebuild_detail(build)
    except Exception:  # noqa: BLE001 - never fail the build on its event
        LOG.exception("could not describe build %r for its CodeBuild event", build.get("id"))
        return None
    return emit(
        "aws.codebuild",
        "CodeBuild Build State Change",
        detail,
        [arn],
        account_id=account,
        region=region,
    )


def execution_detail(execution: Any, status: str) -> dict[str, Any]:
    """The detail of "Step Functions Execution Status Change" for a moto parser execution.

    Step Functions Developer Guide, "EventBridge (CloudWatch Events) for Step Functions
    execution status changes" (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html):
    dates in epoch milliseconds, output only when SUCCEEDED, input or output left out (and
    `included: false`) above 248 KB.
    """
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    text_input: str | None = to_json_str(execution.input_data, separators=(",", ":"))
    output = None
    if status == "SUCCEEDED":
        output = to_json_str(execution.output, separators=(",", ":"))
    input_included = output_included = True
    if output is not None and len(output) > _PAYLOAD_LIMIT:
        output, output_included = None, False
    if len(text_input or "") + len(output or "") > _PAYLOAD_LIMIT:
        text_input, input_included = None, False
    ended = status != "RUNNING"
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine.arn,
        "name": execution.name,
        "status": status,
        "startDate": _epoch_ms(execution.start_date),
        "stopDate": _epoch_ms(execution.stop_date) if ended else None,
        "input": text_input,
        "output": output,
        "inputDetails": {"included": input_included},
        "outputDetails": {"included": output_included} if status == "SUCCEEDED" else None,
        "error": execution.error if ended else None,
        "cause": execution.cause if ended else None,
    }


def _emit_execution(execution: Any, status: str) -> None:
    from moto.stepfunctions.parser.api import StateMachineType

    try:
        if execution.sm_type != StateMachineType.STANDARD:
            return  # Express workflows do not emit events to EventBridge (cw-events.html)
        detail = execution_detail(execution, status)
    except Exception:  # noqa: BLE001 - never fail the execution on its event
        LOG.exception("could not describe execution %s for its event", execution.exec_arn)
        return
    emit(
        "aws.states",
        "Step Functions Execution Status Change",
        detail,
        [execution.exec_arn],
        account_id=execution.account_id,
        region=execution.region_name,
    )


def fire_schedule(rule: Any, *, wait: float | None = 30.0) -> list[dict[str, Any]]:
    """Deliver one tick of a schedule rule (a moto `Rule`) now; the deliveries' records.

    With `wait` (seconds), returns once every delivery is done (TimeoutError otherwise).
    """
    if _ACTIVE is None:
        raise RuntimeError("events_delivery is not installed")
    deliveries = _ACTIVE.fire(rule, _ACTIVE.clock.now())
    if wait is not None:
        deadline = time.monotonic() + wait
        for delivery in deliveries:
            if not delivery.done.wait(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"delivery to {delivery.target} not done within {wait} s")
    return [d.record() for d in deliveries]


def flush(timeout: float = 30.0) -> None:
    """Wait until every delivery queued so far is done (tests; TimeoutError otherwise)."""
    if _ACTIVE is None:
        raise RuntimeError("events_delivery is not installed")
    marker = Delivery("", "", "", "", "flush", "", "")
    _ACTIVE.queue.put(marker)
    if not marker.done.wait(timeout):
        raise TimeoutError(f"EventBridge deliveries not done within {timeout} s")


def deliveries() -> list[dict[str, Any]]:
    """The latest deliveries (oldest first), delivered or failed."""
    if _ACTIVE is None:
        return []
    return [d.record() for d in list(_ACTIVE.history)]


def delivery_failures() -> list[dict[str, Any]]:
    """The latest failed deliveries (oldest first)."""
    if _ACTIVE is None:
        return []
    return [d.record() for d in list(_ACTIVE.failures)]


# --------------------------------------------------------------------------- install


def install(schedule_time_scale: float = 1.0) -> Callable[[], None]:
    """Patch moto's EventBridge and Step Functions, start the two threads; returns the undo."""
    global _ACTIVE
    from moto.events.exceptions import ValidationException
    from moto.events.models import EventsBackend, Rule
    from moto.stepfunctions.parser.backend import execution as executions

    dispatcher = _Dispatcher(schedule_time_scale)
    dispatcher.original_send = Rule.__dict__["send_to_targets"]

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.state != "ENABLED" or not self.event_pattern.get_pattern():
            return  # disabled, or a schedule-only rule: no event matches it on AWS
        shaped = envelope(dict(original_event))
        if self.event_pattern.matches_event(shaped):
            dispatcher.dispatch(self, shaped, dict(original_event))

    def checked_put_rule(original_put_rule: Callable[..., Any]) -> Callable[..., Any]:
        def put_rule(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            expression = kwargs.get("scheduled_expression")
            if expression:
                try:
                    parse_schedule(expression)
                except ValueError:
                    raise ValidationException(
                        "Parameter ScheduleExpression is not valid."
                    ) from None
            rule = original_put_rule(self, name, *args, **kwargs)
            dispatcher.wake.set()
            return rule

        return put_rule

    def emitting_start(original_start: Callable[..., Any]) -> Callable[..., None]:
        def start(self: Any) -> None:
            if not self.exec_worker:
                _emit_execution(self, "RUNNING")
            original_start(self)

        return start

    def emitting_terminated(original_terminated: Callable[..., Any]) -> Callable[..., None]:
        def terminated(self: Any) -> None:
            original_terminated(self)
            status = self.execution.exec_status
            _emit_execution(self.execution, str(getattr(status, "value", status)))

        return terminated

    patches: list[patching.Patch] = [
        (Rule, "send_to_targets", send_to_targets),
        patching.wrap(EventsBackend, "put_rule", checked_put_rule),
        patching.wrap(executions.Execution, "start", emitting_start),
        patching.wrap(
            executions.BaseExecutionWorkerCommunication, "terminated", emitting_terminated
        ),
    ]
    with _INSTALL_LOCK:
        previous = _ACTIVE
        restore = patching.install(patches)
        _ACTIVE = dispatcher
        dispatcher.start()

    def uninstall() -> None:
        global _ACTIVE
        with _INSTALL_LOCK:
            restore()
            if _ACTIVE is dispatcher:
                _ACTIVE = previous
        dispatcher.close()

    return uninstall


__all__ = [
    "CronSchedule",
    "Delivery",
    "RateSchedule",
    "ScheduleClock",
    "codebuild_detail",
    "deliveries",
    "delivery_failures",
    "emit",
    "emit_codebuild",
    "emit_sagemaker",
    "envelope",
    "execution_detail",
    "fire_schedule",
    "flush",
    "install",
    "json_path",
    "parse_schedule",
    "render_template",
    "sagemaker_detail",
    "schedule_now",
    "set_schedule_time_scale",
    "target_input",
]
