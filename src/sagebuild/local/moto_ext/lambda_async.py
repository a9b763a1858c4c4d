"""Lambda's asynchronous invocation in the local stack: retries, then the dead-letter queue.

SNS and EventBridge invoke Lambda asynchronously. On AWS, when such an invocation returns an
error (the handler's exception, a timeout), Lambda runs the function up to two more times
(`MaximumRetryAttempts` of PutFunctionEventInvokeConfig, 0 to 2, default 2), then sends the
event to the function's `DeadLetterConfig.TargetArn`, a standard SQS queue or SNS topic, or
else discards it:

- https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
  ("by default Lambda attempts to run it two more times");
- https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq
  (a standard SQS queue or SNS topic; "Lambda only sends the content of the event");
- https://docs.aws.amazon.com/lambda/latest/dg/dlq.html (the body is the original event
  unmodified; message attributes RequestID (String), ErrorCode (Number, a 3-digit HTTP code)
  and ErrorMessage (String, truncated to 1 KB); the execution role needs sqs:SendMessage or
  sns:Publish on the target).

`invoke_async(function_arn, payload)` does that in the caller's thread (sns_delivery calls it
inside Publish, events_delivery from its delivery thread), with no waits between attempts.
A function error is Invoke's HTTP 200 with X-Amz-Function-Error, so ErrorCode is 200. With
the local stack's IAM on, the send to the dead-letter target is authorised for the function's
execution role. An event that fails every attempt and has no dead-letter target, or whose
target refuses it, is kept in `dropped_events()` and logged as a warning.

moto 5.2.5 drops `DeadLetterConfig` (CreateFunction, UpdateFunctionConfiguration and
CloudFormation): `install()` keeps it on the function and returns it in
GetFunctionConfiguration.

Not emulated: the one- and two-minute waits, `MaximumEventAgeInSeconds`, `DestinationConfig`
(OnSuccess/OnFailure destinations), retries of throttled invocations, one request id across
the attempts (the function sees a new one each time; the dead letter carries the async
invocation's own), a direct Invoke with InvocationType Event (moto runs it synchronously).
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sagebuild.local import patching

from .custom_resources import after_create, after_update

LOG = logging.getLogger(__name__)

#: Lambda's default MaximumRetryAttempts for asynchronous invocations (and its maximum).
DEFAULT_MAX_RETRY_ATTEMPTS = 2
#: The ErrorCode attribute of a dead letter for a function error (Invoke answers 200).
FUNCTION_ERROR_CODE = "200"
#: ErrorMessage is "truncated to 1 KB".
ERROR_MESSAGE_LIMIT = 1024

_DROPPED: collections.deque[dict[str, Any]] = collections.deque(maxlen=1000)
_DROPPED_LOCK = threading.Lock()


@dataclass(frozen=True)
class AsyncOutcome:
    """How one asynchronous invocation ended.

    `error` is the last attempt's error payload (errorType, errorMessage) or None on success;
    `dead_letter_arn` is where the event went after the last failed attempt; `dropped` says it
    was discarded (no dead-letter target, or the target refused it).
    """

    function_arn: str
    request_id: str
    attempts: int
    error: dict[str, Any] | None = None
    dead_letter_arn: str | None = None
    dropped: bool = False

    @property
    def succeeded(self) -> bool:
        return self.error is None


def dropped_events() -> list[dict[str, Any]]:
    """Events discarded after their last attempt (oldest first): function_arn, request_id,
    attempts, error_type, error_message, payload and reason."""
    with _DROPPED_LOCK:
        return list(_DROPPED)


def _function(function_arn: str) -> Any:
    from moto.awslambda.utils import get_backend

    parts = function_arn.split(":")
    region, account = parts[3], parts[4]
    return get_backend(account, region)._lambdas.get_function_by_name_or_arn_with_qualifier(
        function_arn
    )


def max_retry_attempts(function: Any) -> int:
    """The function's MaximumRetryAttempts (PutFunctionEventInvokeConfig), else 2."""
    configs = getattr(function, "event_invoke_config", None) or []
    # moto appends one config per Put/Update call; the latest is the one in force
    value = configs[-1].config.get("MaximumRetryAttempts") if configs else None
    if value is None:
        return DEFAULT_MAX_RETRY_ATTEMPTS
    return max(0, min(DEFAULT_MAX_RETRY_ATTEMPTS, int(value)))


def dead_letter_target(function: Any) -> str | None:
    """The function's DeadLetterConfig.TargetArn (kept by `install()`), or None."""
    return getattr(function, "dead_letter_config", None)


def _attempt(function: Any, payload: str) -> dict[str, Any] | None:
    """Run the function once as an Event invocation; its error payload, or None."""
    headers: dict[str, str] = {}
    result = function.invoke(payload, {"x-amz-invocation-type": "Event"}, headers)
    if not headers.get("x-amz-function-error"):
        return None
    text = result.decode("utf-8", "replace") if isinstance(result, bytes) else str(result)
    try:
        error = json.loads(text)
    except ValueError:
        error = None
    if not isinstance(error, dict):
        error = {"errorType": "Unhandled", "errorMessage": text}
    return error


def _truncated(message: str) -> str:
    return message.encode("utf-8")[:ERROR_MESSAGE_LIMIT].decode("utf-8", "ignore")


def _send_dead_letter(
    function: Any, target_arn: str, payload: str, request_id: str, message: str
) -> None:
    """SendMessage / Publish of the event to the dead-letter target, as the execution role."""
    from sagebuild.local.iam.enforcer import ENFORCER

    parts = target_arn.split(":")
    if len(parts) < 6:
        raise ValueError(f"{target_arn} is not an SQS queue or SNS topic ARN")
    service, region, account, name = parts[2], parts[3], parts[4], parts[5]
    if service not in ("sqs", "sns"):
        raise ValueError(f"{target_arn} is not an SQS queue or SNS topic")
    if name.endswith(".fifo"):
        raise ValueError(f"{target_arn} is FIFO; a dead-letter target must be standard")
    action = "sqs:SendMessage" if service == "sqs" else "sns:Publish"
    ENFORCER.authorize_as_role(str(function.role), function.function_name, action, target_arn)
    values = {
        "RequestID": ("String", request_id),
        "ErrorCode": ("Number", FUNCTION_ERROR_CODE),
        "ErrorMessage": ("String", _truncated(message) or "Unhandled"),
    }
    if service == "sqs":
        from moto.sqs.models import sqs_backends

        sqs_backends[account][region].send_message(
            name,
            payload,
            message_attributes={
                key: {"DataType": kind, "StringValue": value}
                for key, (kind, value) in values.items()
            },
        )
    else:
        from moto.sns.models import sns_backends

        sns_backends[account][region].publish(
            payload,
            arn=target_arn,
            message_attributes={
                key: {"Type": kind, "Value": value} for key, (kind, value) in values.items()
            },
        )


def _drop(
    function_arn: str,
    request_id: str,
    attempts: int,
    error: dict[str, Any],
    payload: str,
    reason: str,
) -> None:
    record = {
        "function_arn": function_arn,
        "request_id": request_id,
        "attempts": attempts,
        "error_type": error.get("errorType"),
        "error_message": error.get("errorMessage"),
        "payload": payload,
        "reason": reason,
    }
    with _DROPPED_LOCK:
        _DROPPED.append(record)
    LOG.warning(
        "asynchronous invocation %s of %s dropped after %d attempts: %s",
        request_id,
        function_arn,
        attempts,
        reason,
    )


def invoke_async(function_arn: str, payload: str) -> AsyncOutcome:
    """Invoke the function asynchronously, as SNS and EventBridge do (`payload`: JSON text).

    On a function error it runs again, up to MaximumRetryAttempts more times; after the last
    failed attempt the event goes to the DeadLetterConfig target, or is dropped. An unknown
    function raises moto's error (the caller's delivery fails, as Invoke would).
    """
    function = _function(function_arn)
    request_id = str(uuid.uuid4())
    allowed = 1 + max_retry_attempts(function)
    attempts = 0
    error: dict[str, Any] | None = None
    while attempts < allowed:
        attempts += 1
        error = _attempt(function, payload)
        if error is None:
            return AsyncOutcome(function_arn, request_id, attempts)
        LOG.info(
            "asynchronous invocation %s of %s failed (attempt %d of %d): %s",
            request_id,
            function_arn,
            attempts,
            allowed,
            error.get("errorType"),
        )
    assert error is not None
    target = dead_letter_target(function)
    if target is None:
        _drop(function_arn, request_id, attempts, error, payload, "no DeadLetterConfig")
        return AsyncOutcome(function_arn, request_id, attempts, error, dropped=True)
    message = str(error.get("errorMessage") or error.get("errorType") or "")
    try:
        _send_dead_letter(function, target, payload, request_id, message)
    except Exception as failure:  # noqa: BLE001 - Lambda counts DeadLetterErrors and drops it
        reason = f"the dead-letter target {target} refused it: {type(failure).__name__}: {failure}"
        _drop(function_arn, request_id, attempts, error, payload, reason)
        return AsyncOutcome(function_arn, request_id, attempts, error, dropped=True)
    return AsyncOutcome(function_arn, request_id, attempts, error, dead_letter_arn=target)


# --------------------------------------------------------------------------- DeadLetterConfig


def _target_arn(config: Any) -> str | None:
    """`{"TargetArn": arn}` → arn; an empty TargetArn (removes the DLQ) or none → None."""
    if not isinstance(config, dict):
        return None
    return str(config.get("TargetArn") or "") or None


def _patches() -> list[patching.Patch]:
    from moto.awslambda.models import LambdaFunction

    init = LambdaFunction.__init__
    update_configuration = LambdaFunction.update_configuration
    get_configuration = LambdaFunction.get_configuration

    def __init__(
        self: Any, account_id: str, spec: dict[str, Any], region: str, version: Any = 1
    ) -> None:
        init(self, account_id, spec, region, version)
        self.dead_letter_config = _target_arn(spec.get("DeadLetterConfig"))

    def update_configuration_(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_config = _target_arn(config_updates["DeadLetterConfig"])
        return update_configuration(self, config_updates)

    def get_configuration_(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = get_configuration(self, *args, **kwargs)
        target = getattr(self, "dead_letter_config", None)
        if target:
            config["DeadLetterConfig"] = {"TargetArn": target}
        return config

    def keep_dead_letter(function: Any, properties: dict[str, Any], account_id: str) -> None:
        function.dead_letter_config = _target_arn(properties.get("DeadLetterConfig"))

    return [
        (LambdaFunction, "__init__", __init__),
        (LambdaFunction, "update_configuration", update_configuration_),
        (LambdaFunction, "get_configuration", get_configuration_),
        patching.wrap(
            LambdaFunction, "create_from_cloudformation_json", after_create(keep_dead_letter)
        ),
        patching.wrap(
            LambdaFunction, "update_from_cloudformation_json", after_update(keep_dead_letter)
        ),
    ]


def install() -> Callable[[], None]:
    """Keep DeadLetterConfig on moto's Lambda functions; returns the uninstall callable."""
    return patching.install(_patches())


__all__ = [
    "DEFAULT_MAX_RETRY_ATTEMPTS",
    "AsyncOutcome",
    "dead_letter_target",
    "dropped_events",
    "install",
    "invoke_async",
    "max_retry_attempts",
]
