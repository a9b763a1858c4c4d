"""AWS limits the pipeline can hit, enforced with AWS's own error codes and messages.

moto 5.2.5 enforces some of these limits wrongly and others not at all. Each rule below names
the moto behaviour it replaces and, in a comment, the AWS page its number and message come from.

- SSM PutParameter (moto: no size limit, no tiers) → a Standard value holds 4,096 characters,
  an Advanced one 8,192; an Advanced parameter cannot go back to Standard; Intelligent-Tiering
  resolves to the tier the value needs.
- SNS Publish (moto: counts characters of the body only, and its message repeats the botocore
  prefix) → 262,144 bytes of UTF-8 body plus every attribute's name, type and value.
- Step Functions (moto: fails a state output of exactly 262,144 bytes, counts the JSON with
  spaces, counts a Lambda result with the Invoke metadata, and lets `States.ALL` catch
  `States.DataLimitExceeded`) → at most 262,144 bytes of compact UTF-8 JSON, a terminal error
  that only a catcher naming it can catch; a Lambda that timed out is `Lambda.Unknown`.
- Lambda Invoke (moto: no request limit; response limit `sys.getsizeof(payload) > 6000000`) →
  a request body over 6,291,456 bytes is RequestEntityTooLargeException (HTTP 413); a response
  over 6,291,556 bytes becomes the `Function.ResponseSizeTooLarge` function error.

The function Timeout is enforced by the Lambda runner itself (`lambda_runner.LambdaRunner.invoke`).
`install()` applies every rule and returns the callable that puts moto's behaviour back.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from typing import Any

from sagebuild.local import patching

# --------------------------------------------------------------------------- SSM

# Value limits: "Standard parameters have a value limit of 4 KB. Advanced parameters have a
# value limit of 8 KB." (PutParameter, API reference, `Value`), counted in characters as the
# service's own messages say. Standard message: quoted in many user reports of the real API,
# e.g. https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html
# is the page it points to. Advanced message: as AWS answers a 8,193-character Advanced value
# (reported by users; the API reference gives the limit, not the wording).
SSM_STANDARD_VALUE_LIMIT = 4096
SSM_ADVANCED_VALUE_LIMIT = 8192
SSM_STANDARD_TOO_LONG = (
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create "
    "a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For "
    "more information, see "
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
)
SSM_ADVANCED_TOO_LONG = (
    "The specified parameter value is too large. Advanced-tier parameters support a maximum "
    "parameter value of 8192 characters."
)
# "You can change a standard parameter to an advanced parameter any time. But you can't revert
# an advanced parameter to a standard parameter." (PutParameter, API reference, `Tier`).
SSM_NO_DOWNGRADE = (
    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
    "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the "
    "advanced parameter and recreate it as a standard parameter."
)


def ssm_effective_tier(value: str, requested: str | None, previous: str | None) -> str:
    """The tier a PutParameter stores: the requested one, else the parameter's, else Standard.

    Intelligent-Tiering (PutParameter, `Tier`): Advanced when the value is over 4 KB (or the
    parameter already is Advanced), else Standard.
    """
    if requested == "Intelligent-Tiering":
        needs_advanced = len(value) > SSM_STANDARD_VALUE_LIMIT or previous == "Advanced"
        return "Advanced" if needs_advanced else "Standard"
    return requested or previous or "Standard"


def _ssm_put_parameter(original: Callable[..., Any]) -> Callable[..., Any]:
    from moto.ssm.exceptions import ValidationException

    @functools.wraps(original)  # keeps moto's signature visible (installed twice: still binds)
    def put_parameter(self: Any, name: str, description: Any, value: Any, *args: Any, **kw: Any):
        bound = _bind(original, self, name, description, value, *args, **kw)
        requested = bound.get("tier")
        # dict.get: moto's __getitem__ would create an empty entry for a new name.
        versions = dict.get(self._parameters, self._parameters.normalize_name(name)) or []
        previous = versions[-1].tier if versions else None
        if isinstance(value, str) and value:
            if requested == "Standard" and previous == "Advanced":
                raise ValidationException(SSM_NO_DOWNGRADE)
            tier = ssm_effective_tier(value, requested, previous)
            if tier == "Advanced" and len(value) > SSM_ADVANCED_VALUE_LIMIT:
                raise ValidationException(SSM_ADVANCED_TOO_LONG)
            if tier != "Advanced" and len(value) > SSM_STANDARD_VALUE_LIMIT:
                raise ValidationException(SSM_STANDARD_TOO_LONG)
            if requested == "Intelligent-Tiering":
                bound["tier"] = tier  # the parameter reports the tier it got
        bound.pop("self")
        return original(self, **bound)

    return put_parameter


def _bind(function: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    import inspect

    return dict(inspect.signature(function).bind(*args, **kwargs).arguments)


# --------------------------------------------------------------------------- SNS

# "With the exception of SMS, messages must be UTF-8 encoded strings and at most 256 KB in size
# (262,144 bytes, not 262,144 characters)" (Publish, API reference, `Message`); "All parts of
# the message attribute, including name, type, and value, are included in the message size
# restriction" (MessageAttributeValue, API reference); over it, "Amazon SNS returns an
# InvalidParameter error on publish" (Developer Guide, "Publishing large messages").
SNS_MESSAGE_LIMIT = 262_144
SNS_TOO_LONG = "Invalid parameter: Message too long"


def sns_message_size(message: str, attributes: dict[str, Any] | None) -> int:
    """Bytes SNS counts against the limit: the UTF-8 body and each attribute's parts."""
    size = len((message or "").encode("utf-8"))
    for name, attribute in (attributes or {}).items():
        size += len(name.encode("utf-8"))
        kind = attribute.get("Type", attribute.get("DataType", "")) or ""
        size += len(str(kind).encode("utf-8"))
        value = attribute.get("Value", attribute.get("StringValue", attribute.get("BinaryValue")))
        if isinstance(value, bytes | bytearray):
            size += len(value)
        elif value is not None and str(kind).startswith("Binary"):
            try:
                size += len(base64.b64decode(str(value), validate=True))
            except ValueError:
                size += len(str(value).encode("utf-8"))
        elif value is not None:
            size += len(str(value).encode("utf-8"))
    return size


def _sns_publish(original: Callable[..., Any]) -> Callable[..., Any]:
    from moto.sns.exceptions import InvalidParameterValue

    @functools.wraps(original)
    def publish(self: Any, message: str, *args: Any, **kwargs: Any) -> Any:
        bound = _bind(original, self, message, *args, **kwargs)
        if not bound.get("phone_number") and (
            sns_message_size(message, bound.get("message_attributes")) > SNS_MESSAGE_LIMIT
        ):
            raise InvalidParameterValue(SNS_TOO_LONG)
        return original(self, message, *args, **kwargs)

    return publish


# --------------------------------------------------------------------------- Step Functions

# "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8
# encoded string" (Developer Guide, "Step Functions service quotas"); the history's `input`
# and `output` fields have "Maximum length of 262144" bytes in UTF-8 (API reference,
# StateEnteredEventDetails). "States.ALL ... can't catch the States.DataLimitExceeded terminal
# error" (Developer Guide, "Handling errors in Step Functions workflows").
SFN_PAYLOAD_LIMIT = 262_144
# "Unhandled errors in Lambda are reported as Lambda.Unknown in the error output. These include
# out-of-memory errors and function timeouts." (Developer Guide, "Handle transient Lambda
# service exceptions").
LAMBDA_UNKNOWN = "Lambda.Unknown"
LAMBDA_TIMEOUT_ERROR_TYPE = "Sandbox.Timedout"


def sfn_within_quota(value: Any) -> bool:
    """True when a state's data is at most 262,144 bytes of compact UTF-8 JSON.

    moto passes the data as Python values (a string result is a JSON string, quotes counted).
    """
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    text = to_json_str(value, separators=(",", ":"))
    return len(text.encode("utf-8")) <= SFN_PAYLOAD_LIMIT


_QUOTA_MODULES = (
    "moto.stepfunctions.parser.quotas",
    "moto.stepfunctions.parser.asl.component.state.state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service",
)


def _lambda_result_quota(original: Callable[..., Any]) -> Callable[..., Any]:
    """A Lambda task's result is its Payload, not moto's Invoke response with its metadata."""

    def verify(self: Any, env: Any, value: Any) -> None:
        if isinstance(value, dict) and "Payload" in value:
            value = value["Payload"]
        original(self, env=env, value=value)

    return verify


def _error_equals(original: Callable[..., Any]) -> Callable[..., Any]:
    """`States.ALL` does not match `States.DataLimitExceeded` (a catcher must name it)."""
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    data_limit = StatesErrorName(typ=StatesErrorNameType.StatesStatesDataLimitExceeded)

    def eval_body(self: Any, env: Any) -> None:
        error_name = env.stack[-1] if env.stack else None
        if error_name == data_limit and data_limit not in self.error_names:
            env.stack.pop()
            env.stack.append(False)
            return
        original(self, env)

    return eval_body


def _lambda_timeout_is_unknown(original: Callable[..., Any]) -> Callable[..., Any]:
    """A Lambda Task whose function timed out fails with `Lambda.Unknown`, as on AWS."""
    from moto.stepfunctions.parser.api import (
        HistoryEventType,
        LambdaFunctionFailedEventDetails,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        if isinstance(ex, lambda_eval_utils.LambdaFunctionErrorException):
            try:
                error_type = json.loads(ex.payload).get("errorType")
            except (ValueError, AttributeError):
                error_type = None
            if error_type == LAMBDA_TIMEOUT_ERROR_TYPE:
                return FailureEvent(
                    env=env,
                    error_name=CustomErrorName(LAMBDA_UNKNOWN),
                    event_type=HistoryEventType.LambdaFunctionFailed,
                    event_details=EventDetails(  # type: ignore[typeddict-item]
                        lambdaFunctionFailedEventDetails=LambdaFunctionFailedEventDetails(
                            error=LAMBDA_UNKNOWN, cause=ex.payload
                        )
                    ),
                )
        return original(self, env, ex)

    return from_error


# --------------------------------------------------------------------------- Lambda

# "Invocation payload (request and response): 6 MB each for request and response
# (synchronous)" (Lambda Developer Guide, "Lambda quotas"). The service's actual numbers and
# wording, as it answers (measured and published by Zac Charles, "Deep Dive: Lambda's Request /
# Response Payload Size Limit", 2022): a request over 6,291,456 bytes is HTTP 413
# RequestEntityTooLargeException "Request must be smaller than 6291456 bytes for the
# InvokeFunction operation"; a response over 6,291,556 bytes is the function error below.
LAMBDA_REQUEST_LIMIT = 6_291_456
LAMBDA_RESPONSE_LIMIT = 6_291_556
LAMBDA_REQUEST_TOO_LARGE = (
    f"Request must be smaller than {LAMBDA_REQUEST_LIMIT} bytes for the InvokeFunction operation"
)
LAMBDA_RESPONSE_TOO_LARGE = {
    "errorMessage": "Response payload size exceeded maximum allowed payload size "
    f"({LAMBDA_RESPONSE_LIMIT} bytes).",
    "errorType": "Function.ResponseSizeTooLarge",
}


def _lambda_invoke() -> Callable[..., Any]:
    """LambdaResponse.invoke with AWS's request and response limits (synchronous invocations)."""
    from urllib.parse import unquote

    from moto.awslambda.exceptions import LambdaClientError
    from moto.utilities.aws_headers import amz_crc32

    class RequestEntityTooLarge(LambdaClientError):
        code = 413

        def __init__(self) -> None:
            super().__init__("RequestEntityTooLargeException", LAMBDA_REQUEST_TOO_LARGE)

    @amz_crc32
    def invoke(self: Any) -> tuple[int, dict[str, str], str | bytes]:
        body = self.body if isinstance(self.body, bytes) else str(self.body or "").encode("utf-8")
        invocation_type = self.headers.get("X-Amz-Invocation-Type")
        if invocation_type != "Event" and len(body) > LAMBDA_REQUEST_LIMIT:
            raise RequestEntityTooLarge()
        response_headers: dict[str, str] = {}
        function_name = unquote(self.path.rsplit("/", 2)[-2])
        qualifier = self._get_param("qualifier")
        payload = self.backend.invoke(
            function_name, qualifier, self.body, self.headers, response_headers
        )
        if payload is None:
            return 404, response_headers, "{}"
        size = len(payload if isinstance(payload, bytes) else str(payload).encode("utf-8"))
        if invocation_type != "Event" and size > LAMBDA_RESPONSE_LIMIT:
            response_headers["x-amz-function-error"] = "Unhandled"
            payload = json.dumps(LAMBDA_RESPONSE_TOO_LARGE).encode("utf-8")
            response_headers["Content-Length"] = str(len(payload))
        response_headers["content-type"] = "application/json"
        if invocation_type == "Event":
            response_headers["status"] = "202"
            return 202, response_headers, payload
        if invocation_type == "DryRun":
            response_headers["status"] = "204"
            return 204, response_headers, payload
        if self.headers.get("X-Amz-Log-Type") != "Tail":
            response_headers.pop("x-amz-log-result", None)
        return 200, response_headers, payload

    return invoke


# --------------------------------------------------------------------------- install


def _patches() -> list[patching.Patch]:
    import importlib

    from moto.awslambda.responses import LambdaResponse
    from moto.sns.models import SNSBackend
    from moto.ssm.models import SimpleSystemManagerBackend
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import (
        ErrorEqualsDecl,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )

    patches: list[patching.Patch] = [
        (
            SimpleSystemManagerBackend,
            "put_parameter",
            _ssm_put_parameter(SimpleSystemManagerBackend.put_parameter),
        ),
        (SNSBackend, "publish", _sns_publish(SNSBackend.publish)),
        (LambdaResponse, "invoke", _lambda_invoke()),
        (
            StateTaskLambda,
            "_verify_size_quota",
            _lambda_result_quota(StateTaskLambda._verify_size_quota),
        ),
        (StateTaskLambda, "_from_error", _lambda_timeout_is_unknown(StateTaskLambda._from_error)),
        (ErrorEqualsDecl, "_eval_body", _error_equals(ErrorEqualsDecl._eval_body)),
    ]
    for name in _QUOTA_MODULES:
        patches.append((importlib.import_module(name), "is_within_size_quota", sfn_within_quota))
    return patches


def install() -> Callable[[], None]:
    """Enforce the limits above in this process; returns the uninstall callable."""
    return patching.install(_patches())


__all__ = [
    "LAMBDA_REQUEST_LIMIT",
    "LAMBDA_RESPONSE_LIMIT",
    "SFN_PAYLOAD_LIMIT",
    "SNS_MESSAGE_LIMIT",
    "SSM_ADVANCED_VALUE_LIMIT",
    "SSM_STANDARD_VALUE_LIMIT",
    "install",
    "sfn_within_quota",
    "sns_message_size",
    "ssm_effective_tier",
]
