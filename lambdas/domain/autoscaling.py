"""Endpoint autoscaling: the new variant scales on invocations per instance; the old one's
scalable target goes away with it.

Application Auto Scaling APIs: https://docs.aws.amazon.com/autoscaling/application/APIReference/
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from domain.aws import ClientFactory
from domain.naming import version_of

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def scaling_requests(endpoint: str, variant: str, settings: dict) -> tuple[dict, dict]:
    """The exact RegisterScalableTarget and PutScalingPolicy requests for a variant."""
    target = resource_id(endpoint, variant)
    register = {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": target,
        "ScalableDimension": DIMENSION,
        "MinCapacity": int(settings["MinCapacity"]),
        "MaxCapacity": int(settings["MaxCapacity"]),
    }
    policy = {
        "PolicyName": f"{endpoint}-{variant}-invocations",
        "ServiceNamespace": NAMESPACE,
        "ResourceId": target,
        "ScalableDimension": DIMENSION,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": float(settings["TargetInvocationsPerInstance"]),
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
            "ScaleInCooldown": int(settings["ScaleInCooldown"]),
            "ScaleOutCooldown": int(settings["ScaleOutCooldown"]),
        },
    }
    return register, policy


def _no_target(error: ClientError) -> bool:
    """AWS says ObjectNotFoundException; some emulators a ValidationException."""
    detail = error.response.get("Error", {})
    return detail.get("Code") == "ObjectNotFoundException" or "No scalable target" in str(
        detail.get("Message", "")
    )


def configure_autoscaling(state: dict, aws: ClientFactory) -> dict:
    """Scale the variant this run deployed (if `autoscaling` is set); forget the previous one."""
    if not state["flags"]["deploy"]:
        return {"scaled": False, "removed": []}
    scaling = aws("application-autoscaling")
    endpoint = state["deployment"]["name"]
    variant = f"v{state['run']['version']}"
    removed = []
    previous = version_of(state["deployment"].get("previous_config", "") or "")
    if previous is not None and previous != state["run"]["version"]:
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
    settings = state["config"].get("autoscaling")
    if not settings:
        return {"scaled": False, "removed": removed}
    register, policy = scaling_requests(endpoint, variant, settings)
    scaling.register_scalable_target(**register)
    scaling.put_scaling_policy(**policy)
    return {
        "scaled": True,
        "resource_id": register["ResourceId"],
        "min": register["MinCapacity"],
        "max": register["MaxCapacity"],
        "removed": removed,
    }
