"""Endpoint autoscaling: the new variant scales on invocations per instance; a variant that an
update or a delete removes is released from Application Auto Scaling first.

SageMaker refuses UpdateEndpoint while a variant it would remove (or give another instance
type) is a registered scalable target, and DeleteEndpoint unless the caller may deregister it
(SageMaker Developer Guide, "Update endpoints that use auto scaling", "Delete endpoints
configured for auto scaling"). So Deploy Endpoint, Rollback and the stack's clean-up release
those variants (scaling policies, then the target) BEFORE UpdateEndpoint/DeleteEndpoint, and
return what they released so a failed deploy can put it back on the variant still serving.

Application Auto Scaling APIs: https://docs.aws.amazon.com/autoscaling/application/APIReference/
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from domain.aws import ClientFactory
from domain.naming import version_of

if TYPE_CHECKING:  # Rollback and the clean-up import this module: no schema load for them
    from domain.config import AutoScaling
    from domain.state import RunState

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def scaling_requests(
    endpoint: str, variant: str, settings: AutoScaling
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The exact RegisterScalableTarget and PutScalingPolicy requests for a variant."""
    target = resource_id(endpoint, variant)
    register: dict[str, Any] = {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": target,
        "ScalableDimension": DIMENSION,
        "MinCapacity": settings.MinCapacity,
        "MaxCapacity": settings.MaxCapacity,
    }
    policy: dict[str, Any] = {
        "PolicyName": f"{endpoint}-{variant}-invocations",
        "ServiceNamespace": NAMESPACE,
        "ResourceId": target,
        "ScalableDimension": DIMENSION,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": float(settings.TargetInvocationsPerInstance),
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
            "ScaleInCooldown": settings.ScaleInCooldown,
            "ScaleOutCooldown": settings.ScaleOutCooldown,
        },
    }
    return register, policy


def _no_target(error: ClientError) -> bool:
    """AWS says ObjectNotFoundException; some emulators a ValidationException."""
    detail = error.response.get("Error", {})
    return detail.get("Code") == "ObjectNotFoundException" or "No scalable target" in str(
        detail.get("Message", "")
    )


def removed_variants(current: dict[str, str | None], new: dict[str, str | None]) -> list[str]:
    """Variants of `current` that an update to `new` removes or gives another instance type.

    Both map a variant name to its instance type (ProductionVariants of the endpoint configs).
    """
    return sorted(
        name for name, instance_type in current.items() if new.get(name, "") != instance_type
    )


def config_variants(aws: ClientFactory, config: str) -> dict[str, str | None]:
    """{variant name: instance type} of an endpoint config (DescribeEndpointConfig)."""
    described = aws("sagemaker").describe_endpoint_config(EndpointConfigName=config)
    return {v["VariantName"]: v.get("InstanceType") for v in described["ProductionVariants"]}


def scalable_variants(aws: ClientFactory, endpoint: str, variants: list[str]) -> list[str]:
    """The variants of `endpoint` that are registered scalable targets (DescribeScalableTargets)."""
    if not variants:
        return []
    ids = {resource_id(endpoint, variant): variant for variant in variants}
    pages = (
        aws("application-autoscaling")
        .get_paginator("describe_scalable_targets")
        .paginate(ServiceNamespace=NAMESPACE, ResourceIds=list(ids), ScalableDimension=DIMENSION)
    )
    found = {t["ResourceId"] for page in pages for t in page["ScalableTargets"]}
    return [variant for target, variant in ids.items() if target in found]


def _ignore_missing(call: Callable[..., object], **kwargs: str) -> None:
    try:
        call(**kwargs)
    except ClientError as error:
        if not _no_target(error) and "No scaling policy" not in str(error):
            raise


def release_variants(
    aws: ClientFactory, endpoint: str, variants: list[str]
) -> list[dict[str, Any]]:
    """Delete the scaling policies of each variant, then deregister its scalable target.

    Returns one {"register": ..., "policies": [...]} per variant that was scalable: the
    RegisterScalableTarget and PutScalingPolicy requests that restore it (`restore_variants`).
    DeleteScalingPolicy: https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeleteScalingPolicy.html
    DeregisterScalableTarget: https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html
    """
    scaling = aws("application-autoscaling")
    released: list[dict[str, Any]] = []
    for variant in variants:
        key: dict[str, str] = {
            "ServiceNamespace": NAMESPACE,
            "ResourceId": resource_id(endpoint, variant),
            "ScalableDimension": DIMENSION,
        }
        targets = scaling.describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ResourceIds=[key["ResourceId"]], ScalableDimension=DIMENSION
        )["ScalableTargets"]
        if not targets:
            continue
        policies = scaling.describe_scaling_policies(**key)["ScalingPolicies"]
        for policy in policies:
            _ignore_missing(scaling.delete_scaling_policy, PolicyName=policy["PolicyName"], **key)
        _ignore_missing(scaling.deregister_scalable_target, **key)
        released.append(
            {
                "register": {
                    **key,
                    "MinCapacity": int(targets[0]["MinCapacity"]),
                    "MaxCapacity": int(targets[0]["MaxCapacity"]),
                },
                "policies": [_put_request(policy) for policy in policies],
            }
        )
    return released


def release_for_update(
    aws: ClientFactory, described: dict[str, Any], new_config: str
) -> list[dict[str, Any]]:
    """Release the autoscaled variants that updating the endpoint to `new_config` removes.

    `described` is the endpoint's DescribeEndpoint. Returns what `release_variants` released.
    """
    endpoint = described["EndpointName"]
    variants = [v["VariantName"] for v in described.get("ProductionVariants") or []]
    scaled = scalable_variants(aws, endpoint, variants)
    if not scaled:
        return []
    serving = config_variants(aws, described["EndpointConfigName"])
    removed = removed_variants(serving, config_variants(aws, new_config))
    return release_variants(aws, endpoint, [v for v in removed if v in scaled])


def _put_request(policy: dict[str, Any]) -> dict[str, Any]:
    """The PutScalingPolicy request that recreates a described scaling policy."""
    keys = (
        "PolicyName",
        "ServiceNamespace",
        "ResourceId",
        "ScalableDimension",
        "PolicyType",
        "TargetTrackingScalingPolicyConfiguration",
        "StepScalingPolicyConfiguration",
    )
    return {key: policy[key] for key in keys if key in policy}


def restore_variants(aws: ClientFactory, released: list[dict[str, Any]]) -> list[str]:
    """Register the released targets and their policies again; returns their resource ids."""
    scaling = aws("application-autoscaling")
    restored = []
    for item in released:
        scaling.register_scalable_target(**item["register"])
        for policy in item["policies"]:
            scaling.put_scaling_policy(**policy)
        restored.append(item["register"]["ResourceId"])
    return restored


def configure_autoscaling(state: RunState, aws: ClientFactory) -> dict[str, Any]:
    """Scale the variant this run deployed (if `autoscaling` is set); forget the previous one."""
    if not state.flags.deploy:
        return {"scaled": False, "removed": []}
    scaling = aws("application-autoscaling")
    endpoint = state.deployment.name
    version = state.version
    variant = f"v{version}"
    removed: list[str] = []
    previous = version_of(str(state.deployment.extra.get("previous_config", "") or ""))
    if previous is not None and previous != version:
        try:
            scaling.deregister_scalable_target(
                ServiceNamespace=NAMESPACE,
                ResourceId=resource_id(endpoint, f"v{previous}"),
                ScalableDimension=DIMENSION,
            )
            removed.append(f"v{previous}")
        except ClientError as error:
            if not _no_target(error):
                raise
    if state.config.autoscaling is None:
        return {"scaled": False, "removed": removed}
    register, policy = scaling_requests(endpoint, variant, state.config.autoscaling)
    scaling.register_scalable_target(**register)
    scaling.put_scaling_policy(**policy)
    return {
        "scaled": True,
        "resource_id": register["ResourceId"],
        "min": register["MinCapacity"],
        "max": register["MaxCapacity"],
        "removed": removed,
    }
