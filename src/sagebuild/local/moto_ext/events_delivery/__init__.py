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

from collections.abc import Callable
from typing import Any

from sagebuild.local import patching

from .bus import (
    Dispatcher,
    activate,
    active,
    deliveries,
    delivery_failures,
    emit,
    fire_schedule,
    flush,
    schedule_now,
    set_schedule_time_scale,
)
from .envelope import envelope, json_path, render_template, target_input
from .schedules import CronSchedule, RateSchedule, ScheduleClock, parse_schedule
from .service_events import (
    codebuild_detail,
    emit_codebuild,
    emit_execution,
    emit_sagemaker,
    execution_detail,
    sagemaker_detail,
)
from .targets import Delivery, target_kind


def install(schedule_time_scale: float = 1.0) -> Callable[[], None]:
    """Patch moto's EventBridge and Step Functions, start the two threads; returns the undo."""
    from moto.events.exceptions import ValidationException
    from moto.events.models import EventsBackend, Rule
    from moto.stepfunctions.parser.backend import execution as executions

    dispatcher = Dispatcher(schedule_time_scale)
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

    patches: list[patching.Patch] = [
        (Rule, "send_to_targets", send_to_targets),
        patching.wrap(EventsBackend, "put_rule", checked_put_rule),
        patching.wrap(executions.Execution, "start", _emitting_start),
        patching.wrap(
            executions.BaseExecutionWorkerCommunication, "terminated", _emitting_terminated
        ),
    ]
    return activate(dispatcher, patches)


def _emitting_start(original_start: Callable[..., Any]) -> Callable[..., None]:
    """`Execution.start` that first emits the RUNNING status change (a new execution only)."""

    def start(self: Any) -> None:
        if not self.exec_worker:
            emit_execution(self, "RUNNING")
        original_start(self)

    return start


def _emitting_terminated(original_terminated: Callable[..., Any]) -> Callable[..., None]:
    """The worker's `terminated` that then emits the execution's final status change."""

    def terminated(self: Any) -> None:
        original_terminated(self)
        status = self.execution.exec_status
        emit_execution(self.execution, str(getattr(status, "value", status)))

    return terminated


__all__ = [
    "CronSchedule",
    "Delivery",
    "RateSchedule",
    "ScheduleClock",
    "active",
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
    "target_kind",
]
