"""IAM enforced for every request a role signs, with resources and conditions.

Replaces `moto.core.authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action`,
the one place every moto service (S3 included) authorises a request when moto's IAM
authorisation is on (`INITIAL_NO_AUTH_ACTION_COUNT`, toolchain.md §9). moto's own check
evaluates the action only, against resource "*", and denies any statement with a Condition;
this one asks `sagebuild.local.iam.enforcer` instead, which computes the resources from the
Service Authorization Reference and evaluates resources and conditions.

Who calls is read from the request's access key: the administrator key (`testing`, the CLI and
tests) is allowed everything; a key of a role assumed in the emulator is evaluated against that
role's policies; any other key is refused with InvalidClientTokenId, as AWS refuses an unknown
key. Unsigned requests are moto-internal callbacks (custom resource responses) and pass.

Also replaces the Step Functions interpreter's `boto_client_for` (moto signs task calls with a
fixed dummy key) so that Task states call Lambda with the state machine role's credentials,
as Step Functions does (Step Functions Developer Guide, "Execution role").
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from typing import Any

from sagebuild.local import patching
from sagebuild.local.iam import catalog, principals
from sagebuild.local.iam.enforcer import ENFORCER, AccessDenied

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/")
_JSON_PROTOCOLS = {"json", "rest-json", "smithy-rpc-v2-cbor"}


def _credential(response: Any) -> tuple[str, str] | None:
    """(access key id, signing service) of a request, or None when it is unsigned."""
    header = response.headers.get("Authorization", "") or ""
    match = _CREDENTIAL.search(header)
    if match:
        return match.group(1), match.group(3)
    query = getattr(response, "querystring", {}) or {}
    presigned = query.get("X-Amz-Credential")
    if presigned:
        parts = (presigned[0] if isinstance(presigned, list) else presigned).split("/")
        if len(parts) >= 4:
            return parts[0], parts[3]
    return None


def _params(response: Any) -> dict[str, Any]:
    """The request's API parameters, parsed from the botocore model (any protocol)."""
    params = getattr(response, "params", None)
    if isinstance(params, dict) and params:
        return params
    try:
        from moto.core.parse import PROTOCOL_PARSERS
        from moto.core.request import determine_request_protocol
        from moto.core.utils import get_service_model

        request = response.normalized_request
        service_model = get_service_model(response.boto3_service_name)
        operation_model = service_model.operation_model(response._get_action())
        protocol = determine_request_protocol(service_model, request.content_type)
        parser = PROTOCOL_PARSERS[protocol](operation_model)
        parsed = parser.parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.data,
                "url_path": request.path,
                "url_params": getattr(response, "uri_match", {}) or {},
            }
        )
        return dict(parsed)
    except Exception:  # noqa: BLE001 - unparsable: resources come from the action alone
        return {}


def _with_stack_arn(params: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """CloudFormation authorises a call naming a stack against the stack's ARN, which ends in
    the stack id (`stack/NAME/ID`, Service Authorization Reference): find it by name."""
    name = params.get("StackName")
    if not isinstance(name, str) or name.startswith("arn:"):
        return params
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[account][region]
    for stack in backend.stacks.values():
        if stack.name == name and stack.status != "DELETE_COMPLETE":
            return {**params, "StackName": stack.stack_id}
    return params


def _protocol(response: Any) -> str:
    try:
        from moto.core.utils import get_service_model

        return str(get_service_model(response.boto3_service_name).metadata.get("protocol"))
    except Exception:  # noqa: BLE001
        return "query"


def _error(
    response: Any, service: str, code: str, message: str, *, s3_bucket: str | None
) -> Exception:
    """The error AWS answers: S3's AccessDenied, JSON services' `AccessDeniedException` (403) or
    `UnrecognizedClientException` (400) for an unknown key, query services' code as given."""
    from moto.core.exceptions import JsonRESTError
    from moto.core.exceptions import _RESTError as RESTError

    if service == "s3":
        from moto.s3.exceptions import BucketAccessDeniedError, S3ClientError

        denied = BucketAccessDeniedError(bucket=s3_bucket or "")
        S3ClientError.__init__(denied, "AccessDenied", message)
        return denied
    if _protocol(response) in _JSON_PROTOCOLS:
        if code == "InvalidClientTokenId":
            error = JsonRESTError("UnrecognizedClientException", message)
            error.code = 400
        else:
            error = JsonRESTError("AccessDeniedException", message)
            error.code = 403
        return error
    xml = RESTError(code, message)
    xml.code = 403
    return xml


def _call_params(response: Any, service: str, account: str) -> dict[str, Any]:
    if service == "s3":
        return {}  # moto names the bucket/object ARN itself
    params = _params(response)
    if service == "cloudformation":
        params = _with_stack_arn(params, account, getattr(response, "region", "us-east-1"))
    return params


def _authorize(response: Any, iam_request_cls: type, resource: str = "*") -> None:
    if not ENFORCER.enabled:
        return
    credential = _credential(response)
    if credential is None:
        return  # unsigned: moto-internal callback
    access_key, signing_name = credential
    if access_key == principals.ADMIN_ACCESS_KEY:
        return
    service = catalog.service_prefix(signing_name)
    account = getattr(response, "current_account", "123456789012")
    principal = principals.identify(access_key, account)
    if principal is None:
        raise _error(
            response,
            service,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            s3_bucket=None,
        )
    operation = response._get_action()
    hint: str | None = None
    bucket: str | None = None
    if service == "s3":
        hint = resource
        bucket = resource.split(":::", 1)[-1].split("/", 1)[0] if ":::" in resource else None
        if operation == "DeleteObject" and "/" not in resource.split(":::", 1)[-1]:
            hint = f"{resource}/*"  # DeleteObjects: each key is authorised as bucket/key
    try:
        ENFORCER.authorize_call(
            principal,
            service,
            operation,
            _call_params(response, service, account),
            region=getattr(response, "region", "us-east-1"),
            resource_hint=hint,
        )
    except AccessDenied as denied:
        code = "AuthorizationError" if service == "sns" else "AccessDenied"
        raise _error(response, service, code, str(denied), s3_bucket=bucket) from None


# ------------------------------------------------------------------------ Step Functions


def _state_machine_client(original: Callable[..., Any]) -> Callable[..., Any]:
    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        client = original(region=region, service=service, state_credentials=state_credentials)
        role_arn = getattr(state_credentials, "role_arn", None)
        if not ENFORCER.enabled or not role_arn:
            return client
        credentials = principals.assume(role_arn, "states.amazonaws.com", "StepFunctions")
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            service,
            region_name=region,
            endpoint_url=client.meta.endpoint_url
            if "localhost" in client.meta.endpoint_url
            else None,
            config=Config(
                parameter_validation=False,
                retries={"max_attempts": 0, "total_max_attempts": 1},
                connect_timeout=client.meta.config.connect_timeout,
                read_timeout=client.meta.config.read_timeout,
            ),
            **credentials.client_kwargs(),
        )

    return boto_client_for


_TASK = "moto.stepfunctions.parser.asl.component.state.exec.state_task"
_SFN_CLIENT_MODULES = (
    f"{_TASK}.lambda_eval_utils",
    *(
        f"{_TASK}.service.state_task_service_{name}"
        for name in ("unsupported", "events", "sqs", "sfn", "sns", "aws_sdk", "dynamodb")
    ),
)


def install() -> Callable[[], None]:
    """Patch moto's authorisation and the SFN client factory, turn enforcement on."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.stepfunctions.parser.asl.utils import boto_client

    for name in _SFN_CLIENT_MODULES:
        importlib.import_module(name)
    original_factory = boto_client.boto_client_for
    factory = _state_machine_client(original_factory)
    patches: list[patching.Patch] = [
        (ActionAuthenticatorMixin, "_authenticate_and_authorize_action", _authorize),
        (settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0),
        *(
            (module, "boto_client_for", factory)
            for name, module in list(sys.modules.items())
            if name.startswith("moto.stepfunctions.parser")
            and getattr(module, "boto_client_for", None) is original_factory
        ),
        (ENFORCER, "enabled", True),
    ]
    restore = patching.install(patches)
    ENFORCER.ledger.clear()

    def uninstall() -> None:
        restore()
        principals.forget()

    return uninstall


__all__ = ["install"]
