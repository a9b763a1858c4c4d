"""The local deployer: SAM template → (package, transform offline) → stack in moto.

Like `sam package` + `sam deploy`, without AWS: local `CodeUri` directories become
deterministic zips (`sagebuild.packaging`) and local `DefinitionUri` files are uploaded to a
deployment bucket in moto S3; aws-sam-translator turns the SAM template into CloudFormation
offline; the stack is created/updated/deleted through moto's CloudFormation API, and a failure
raises `DeployError` naming the failing resources and their reasons.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from sagebuild.packaging import build_code_zip, rewrite_local_uris, sha256_of

REGION = "us-east-1"
DEPLOYMENT_BUCKET = "sagebuild-local-deployment"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
_DONE = ("_COMPLETE", "_FAILED")


class DeployError(RuntimeError):
    """A stack operation did not complete; `failures` are (logical id, type, reason)."""

    def __init__(self, message: str, failures: list[tuple[str, str, str]] | None = None) -> None:
        super().__init__(message)
        self.failures = failures or []


class _NoManagedPolicies:
    """Offline stand-in for samtranslator's IAM policy loader (no AWS call)."""

    def load(self) -> dict[str, str]:
        return {}


def _boto_client(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name=REGION)


def load_template(template_path: Path) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(Path(template_path).read_text(encoding="utf-8"))


class _Packager:
    """Uploads local artifacts once each (by content) to the deployment bucket."""

    def __init__(self, base_dir: Path, s3: Any, bucket: str, build_dir: Path) -> None:
        self.base_dir, self.s3, self.bucket, self.build_dir = base_dir, s3, bucket, build_dir
        self._done: dict[Path, str] = {}

    def code_uri(self, uri: str) -> str:
        path = (self.base_dir / uri).resolve()
        if path not in self._done:
            if path.is_dir():
                archive = build_code_zip(path, self.build_dir / f"{path.name}.zip")
            elif path.is_file():
                archive = path
            else:
                raise DeployError(f"CodeUri {uri} not found (relative to {self.base_dir})")
            key = f"code/{path.name}-{sha256_of(archive)}.zip"
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=archive.read_bytes())
            self._done[path] = f"s3://{self.bucket}/{key}"
        return self._done[path]

    def definition_uri(self, uri: str) -> dict[str, str]:
        path = (self.base_dir / uri).resolve()
        if not path.is_file():
            raise DeployError(f"DefinitionUri {uri} not found (relative to {self.base_dir})")
        body = path.read_bytes()
        key = f"statemachine/{path.name}-{sha256_of(path)}"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return {"Bucket": self.bucket, "Key": key}


def package(
    template: dict[str, Any], base_dir: Path, s3: Any, bucket: str = DEPLOYMENT_BUCKET
) -> dict[str, Any]:
    """Copy of a SAM template with local CodeUri/DefinitionUri uploaded (`sam package`)."""
    packaged = copy.deepcopy(template)
    with tempfile.TemporaryDirectory(prefix="sagebuild-package-") as build_dir:
        packager = _Packager(Path(base_dir), s3, bucket, Path(build_dir))
        rewrite_local_uris(packaged, packager.code_uri, packager.definition_uri)
    return packaged


def ensure_bucket(s3: Any, bucket: str = DEPLOYMENT_BUCKET) -> None:
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)


def transform(
    template_path: Path,
    parameters: dict[str, Any] | None = None,
    *,
    s3: Any = None,
    bucket: str = DEPLOYMENT_BUCKET,
) -> dict[str, Any]:
    """The CloudFormation template of a SAM template, packaged into moto S3 and transformed."""
    from samtranslator.translator.transform import transform as sam_transform

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    template_path = Path(template_path)
    s3 = s3 or _boto_client("s3")
    ensure_bucket(s3, bucket)
    packaged = package(load_template(template_path), template_path.parent, s3, bucket)
    if "Transform" not in packaged:
        return packaged
    values = {k: v for k, v in _defaults(packaged).items()}
    values.update({k: str(v) for k, v in (parameters or {}).items()})
    try:
        return sam_transform(packaged, values, _NoManagedPolicies())  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001 - samtranslator's InvalidDocumentException etc.
        causes = getattr(error, "causes", None) or []
        detail = "; ".join(getattr(c, "message", str(c)) for c in causes) or str(error)
        raise DeployError(f"SAM transform of {template_path} failed: {detail}") from error


def _defaults(template: dict[str, Any]) -> dict[str, Any]:
    return {
        name: spec["Default"]
        for name, spec in (template.get("Parameters") or {}).items()
        if "Default" in spec
    }


def _stack_parameters(template: dict[str, Any], parameters: dict[str, Any] | None) -> list[Any]:
    declared = template.get("Parameters") or {}
    unknown = sorted(set(parameters or {}) - set(declared))
    if unknown:
        raise DeployError(f"unknown stack parameter(s): {', '.join(unknown)}")
    return [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in (parameters or {}).items()]


def check_supported(template: dict[str, Any]) -> None:
    """Fail before deploying when a resource type would be created by nobody."""
    from sagebuild.local.moto_ext.skipped_types import unsupported_resources

    missing = unsupported_resources(template)
    if missing:
        names = ", ".join(f"{logical_id} ({kind})" for logical_id, kind in missing)
        raise DeployError(
            f"resource types not emulated by the local stack: {names}",
            [(logical_id, kind, "not emulated") for logical_id, kind in missing],
        )


def stack_failures(cfn: Any, stack_name: str) -> list[tuple[str, str, str]]:
    """(logical id, type, reason) of each *_FAILED event of a stack, oldest first."""
    events = cfn.describe_stack_events(StackName=stack_name).get("StackEvents", [])
    return [
        (e["LogicalResourceId"], e.get("ResourceType", ""), e.get("ResourceStatusReason", ""))
        for e in reversed(events)
        if e.get("ResourceStatus", "").endswith("_FAILED") and e.get("ResourceStatusReason")
    ]


def wait_for_stack(cfn: Any, stack_id: str, timeout: float = 600.0) -> dict[str, Any]:
    """Describe the stack until it leaves *_IN_PROGRESS (moto is mostly synchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
        if stack["StackStatus"].endswith(_DONE) or time.monotonic() > deadline:
            return stack
        time.sleep(0.2)


def _raise_failed(cfn: Any, stack: dict[str, Any], action: str) -> None:
    failures = stack_failures(cfn, stack["StackId"])
    detail = "; ".join(f"{lid} ({kind}): {reason}" for lid, kind, reason in failures)
    reason = detail or stack.get("StackStatusReason") or "no reason recorded"
    raise DeployError(
        f"{action} of stack {stack['StackName']} ended {stack['StackStatus']}: {reason}",
        failures,
    )


def verify_resources(cfn: Any, stack_name: str, template: dict[str, Any]) -> None:
    """Every template resource was created, unless under a Condition or a no-op type.

    moto lists a resource it did not create (condition false, or skipped) as a row without
    a logical id, so the check goes by the template's logical ids.
    """
    from moto.cloudformation.parsing import NULL_MODELS

    rows = cfn.list_stack_resources(StackName=stack_name).get("StackResourceSummaries", [])
    created = {r.get("LogicalResourceId") for r in rows}
    missing = [
        f"{logical_id} ({resource.get('Type')})"
        for logical_id, resource in (template.get("Resources") or {}).items()
        if logical_id not in created
        and not resource.get("Condition")
        and resource.get("Type") not in NULL_MODELS
    ]
    if missing:
        raise DeployError(f"stack {stack_name}: resources nobody created: {', '.join(missing)}")


def outputs_of(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def apply_stack(
    action: Literal["create", "update"],
    stack_name: str,
    template_path: Path,
    parameters: dict[str, Any] | None = None,
    *,
    cfn: Any = None,
    s3: Any = None,
    bucket: str = DEPLOYMENT_BUCKET,
) -> dict[str, str]:
    """Create or update the stack from a SAM template and check every resource exists; its
    outputs. Raises DeployError on failure."""
    cfn = cfn or _boto_client("cloudformation")
    template = transform(template_path, parameters, s3=s3, bucket=bucket)
    check_supported(template)
    request = {
        "StackName": stack_name,
        "TemplateBody": json.dumps(template),
        "Parameters": _stack_parameters(template, parameters),
        "Capabilities": CAPABILITIES,
    }
    if action == "create":
        stack_id = cfn.create_stack(**request)["StackId"]
    else:
        stack_id = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackId"]
        cfn.update_stack(**request)
    stack = wait_for_stack(cfn, stack_id)
    if stack["StackStatus"] != f"{action.upper()}_COMPLETE":
        _raise_failed(cfn, stack, action)
    verify_resources(cfn, stack_name, template)
    return outputs_of(stack)


#: Create the stack from a SAM template; its outputs. Raises DeployError on failure.
deploy_stack = functools.partial(apply_stack, "create")
#: Update the stack from a SAM template; its outputs. Raises DeployError on failure.
update_stack = functools.partial(apply_stack, "update")


def delete_stack(stack_name: str, *, cfn: Any = None) -> None:
    """Delete the stack (custom resources get Delete first). Raises DeployError on failure."""
    cfn = cfn or _boto_client("cloudformation")
    stack_id = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName=stack_id)
    stack = wait_for_stack(cfn, stack_id)
    if stack["StackStatus"] != "DELETE_COMPLETE":
        _raise_failed(cfn, stack, "delete")


__all__ = [
    "DEPLOYMENT_BUCKET",
    "DeployError",
    "apply_stack",
    "check_supported",
    "delete_stack",
    "deploy_stack",
    "package",
    "stack_failures",
    "transform",
    "update_stack",
]
