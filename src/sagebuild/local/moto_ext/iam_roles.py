"""CloudFormation roles get the managed policies and inline policies the template gives them.

moto's `Role.create_from_cloudformation_json` puts the inline `Policies` but silently drops
`ManagedPolicyArns` (every SAM function's `Policies:` list becomes ManagedPolicyArns), and
`update_from_cloudformation_json` changes neither. With IAM enforced, a role without its
policies can do nothing, so this extension:
- attaches every ManagedPolicyArns entry on create; an ARN that names no policy fails the
  resource as AWS does ("Policy arn:... does not exist or is not attachable.");
- loads an AWS managed policy (arn:aws:iam::aws:policy/...) from moto's bundled copy of AWS's
  managed policies when it is first attached (moto loads none of them by default);
- on update, brings the inline policies and the attached managed policies to the template's;
- on delete, detaches the managed policies first, as CloudFormation does (moto refuses to
  delete a role with attached policies: DeleteConflict).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sagebuild.local import patching

from .custom_resources import after_create, after_update


def _backend(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["aws"]


def _ensure_policy(backend: Any, arn: str) -> None:
    if arn in backend.managed_policies:
        return
    prefix = "arn:aws:iam::aws:policy/"
    if arn.startswith(prefix):
        from moto.iam.aws_managed_policies import aws_managed_policies_data
        from moto.iam.models import AWSManagedPolicy

        name = arn.rsplit("/", 1)[-1]
        data = json.loads(aws_managed_policies_data).get(name)
        if data is not None:
            policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
            if policy.arn == arn:
                backend.managed_policies[arn] = policy
                return
    from moto.iam.exceptions import NotFoundException

    raise NotFoundException(f"Policy {arn} does not exist or is not attachable.")


def _sync(role: Any, properties: dict[str, Any], account_id: str) -> None:
    backend = _backend(account_id)
    wanted = [str(a) for a in properties.get("ManagedPolicyArns") or [] if a]  # NoValue: None
    for arn in wanted:
        _ensure_policy(backend, arn)
    for arn in list(role.managed_policies):
        if arn not in wanted:
            backend.detach_role_policy(arn, role.name)
    for arn in wanted:
        if arn not in role.managed_policies:
            backend.attach_role_policy(arn, role.name)
    inline = {p["PolicyName"]: p["PolicyDocument"] for p in properties.get("Policies") or []}
    for name in list(role.policies):
        if name not in inline:
            role.delete_policy(name)
    for name, document in inline.items():
        text = document if isinstance(document, str) else json.dumps(document)
        role.put_policy(name, text)


def _delete_detached(original_delete: Callable[..., Any]) -> Callable[..., None]:
    def delete_from_cloudformation_json(
        cls: Any,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        # CloudFormation detaches the role's ManagedPolicyArns before deleting it.
        backend = _backend(account_id)
        for role in list(backend.roles.values()):
            if role.name == resource_name:
                for arn in list(role.managed_policies):
                    backend.detach_role_policy(arn, role.name)
        original_delete(cls, resource_name, cloudformation_json, account_id, region_name)

    return delete_from_cloudformation_json


def install() -> Callable[[], None]:
    from moto.iam.models import Role

    return patching.install(
        [
            patching.wrap(Role, "create_from_cloudformation_json", after_create(_sync)),
            patching.wrap(Role, "update_from_cloudformation_json", after_update(_sync)),
            patching.wrap(Role, "delete_from_cloudformation_json", _delete_detached),
        ]
    )


__all__ = ["install"]
