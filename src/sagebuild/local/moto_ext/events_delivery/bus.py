"""The delivery queue and its thread, the schedule thread, and the calls that use them.

One `Dispatcher` is active while `events_delivery` is installed: PutEvents (and `emit`) queue
one delivery per matched target, one thread delivers the queue in order after the call has
answered, another fires the schedule rules of every default bus. `activate` installs the
package's patches and makes a dispatcher the active one.
"""

from __future__ import annotations

import collections
import copy
import datetime
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from sagebuild.local import patching

from .envelope import internal_event, iso_time, jsonable, target_input
from .schedules import Schedule, ScheduleClock, parse_schedule, scheduled_event
from .targets import DELIVER, Delivery, target_kind

LOG = logging.getLogger(__name__)
UTC = datetime.UTC

_HISTORY = 1000
#: A schedule rule fires at most once per this many real seconds (a high time scale).
_MIN_TICK = 0.1


def _default_rules() -> Iterator[Any]:
    from moto.events.models import events_backends

    for _, regions in list(events_backends.items()):
        for _, backend in list(regions.items()):
            bus = backend.event_buses.get("default")
            if bus is not None:
                yield from list(bus.rules.values())


class Dispatcher:
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
        return self.dispatch(rule, shaped, internal_event(shaped, moment))

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


_ACTIVE: Dispatcher | None = None
_INSTALL_LOCK = threading.Lock()


def activate(dispatcher: Dispatcher, patches: list[patching.Patch]) -> Callable[[], None]:
    """Install `patches`, make `dispatcher` the active one and start its threads; the undo."""
    global _ACTIVE
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


def active() -> Dispatcher | None:
    """The active dispatcher (None: events_delivery is not installed)."""
    return _ACTIVE


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
            "time": iso_time(moment),
            "region": region,
            "resources": list(resources),
            "detail": jsonable(detail, drop_none=False),
        }
        internal = internal_event(shaped, moment)
        rules: list[Any] = list(bus.rules.values()) if bus is not None else []
        for rule in rules:
            rule.send_to_targets(internal)
        return str(shaped["id"])
    except Exception:  # noqa: BLE001 - a service's status change never fails on its event
        LOG.exception("could not emit %s event %s", source, detail_type)
        return None


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
