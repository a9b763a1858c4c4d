"""Who is calling: the local stack's administrator, or a role assumed by a service.

On AWS a Lambda function runs with its execution role's temporary credentials (the session is
named after the function), Step Functions calls tasks as the state machine's role, SageMaker
runs jobs and endpoints as the job's `RoleArn` and the model's `ExecutionRoleArn`, CodeBuild
as the project's service role. Each service may assume a role only when the role's trust
policy allows its service principal `sts:AssumeRole` (IAM User Guide, "Roles terms and
concepts": trust policy). Here the roles are assumed in moto's STS, so the credentials are
real emulator credentials and the request's access key says which role is calling.

The person at the CLI (and every test client) uses the administrator key `testing`: an
administrator of the emulated account, allowed everything, as an account's admin user is.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagebuild.local.iam.policy import parse_document, wildcard_match

ADMIN_ACCESS_KEY = "testing"


class TrustError(PermissionError):
    """A service may not assume a role (missing role, or its trust policy does not allow it)."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str

    def environment(self) -> dict[str, str]:
        """What Lambda puts in a function's environment."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }

    def client_kwargs(self) -> dict[str, str]:
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "aws_session_token": self.session_token,
        }


@dataclass(frozen=True)
class Principal:
    role_arn: str
    session_name: str
    account: str

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{self.account}:assumed-role/{self.role_name}/{self.session_name}"


_LOCK = threading.Lock()
_BY_KEY: dict[str, Principal] = {}
_SESSIONS: dict[tuple[str, str, str], Credentials] = {}


def _iam_backend(account: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account]["aws"]


def role(role_arn: str) -> Any:
    """moto's Role for an ARN, or TrustError naming it."""
    account = _account_of(role_arn)
    try:
        return _iam_backend(account).get_role_by_arn(role_arn)
    except Exception as error:  # noqa: BLE001 - moto raises its own NotFound types
        raise TrustError(f"role {role_arn} does not exist") from error


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else "123456789012"


def trusts(role_obj: Any, service_principal: str) -> bool:
    """True when the role's trust policy lets `service_principal` call sts:AssumeRole."""
    document = parse_document(role_obj.assume_role_policy_document)
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    allowed = False
    for statement in statements:
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if not any(wildcard_match(a, "sts:AssumeRole", ignore_case=True) for a in actions):
            continue
        principal = statement.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, Mapping) else []
        services = services if isinstance(services, list) else [services]
        if service_principal not in services and principal != "*":
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def assume(role_arn: str, service_principal: str, session_name: str) -> Credentials:
    """Credentials of `role_arn` assumed by `service_principal` (cached per session name)."""
    key = (role_arn, service_principal, session_name)
    with _LOCK:
        cached = _SESSIONS.get(key)
    if cached is not None:
        return cached
    role_obj = role(role_arn)
    if not trusts(role_obj, service_principal):
        raise TrustError(
            f"{service_principal} cannot assume {role_arn}: the role's trust policy does not "
            f"allow {service_principal} sts:AssumeRole"
        )
    from moto.sts.models import sts_backends

    account = _account_of(role_arn)
    assumed = sts_backends[account]["aws"].assume_role(
        region_name="us-east-1",
        role_session_name=session_name[:64],
        role_arn=role_arn,
        policy="",
        duration=43200,
        external_id="",
    )
    credentials = Credentials(
        assumed.access_key_id, assumed.secret_access_key, assumed.session_token
    )
    with _LOCK:
        _SESSIONS[key] = credentials
        _BY_KEY[assumed.access_key_id] = Principal(role_arn, session_name[:64], account)
    return credentials


def identify(access_key_id: str, account: str) -> Principal | None:
    """The role behind an access key (None: the administrator or an unknown key)."""
    with _LOCK:
        known = _BY_KEY.get(access_key_id)
    if known is not None:
        return known
    from moto.sts.models import sts_backends

    assumed = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key_id)
    if assumed is None:
        return None
    principal = Principal(assumed.role_arn, assumed.session_name, account)
    with _LOCK:
        _BY_KEY[access_key_id] = principal
    return principal


def policies(role_arn: str) -> list[tuple[str, Mapping[str, Any]]]:
    """(name, document) of every inline and attached managed policy of a role."""
    role_obj = role(role_arn)
    documents: list[tuple[str, Mapping[str, Any]]] = []
    for name, text in sorted(role_obj.policies.items()):
        documents.append((f"{role_obj.name}/{name}", parse_document(text)))
    for arn, managed in sorted(role_obj.managed_policies.items()):
        version = next((v for v in managed.versions if v.is_default), None)
        if version is not None:
            documents.append((arn.rsplit("/", 1)[-1], parse_document(version.document)))
    return documents


def forget() -> None:
    """Drop every cached session (the emulator was reset)."""
    with _LOCK:
        _BY_KEY.clear()
        _SESSIONS.clear()


__all__ = [
    "ADMIN_ACCESS_KEY",
    "Credentials",
    "Principal",
    "TrustError",
    "assume",
    "forget",
    "identify",
    "policies",
    "role",
    "trusts",
]
