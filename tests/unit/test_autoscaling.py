"""Autoscaling requests for the deployed variant, and the schema's checks."""

import pytest
from domain.autoscaling import scaling_requests
from domain.config import parse_config
from domain.errors import InvalidParameters


def test_target_tracking_on_invocations_per_instance_for_the_new_variant():
    settings = parse_config({"autoscaling": {"MaxCapacity": 4}}, "SCIKIT").autoscaling
    assert settings is not None
    register, policy = scaling_requests("demo", "v3", settings)
    assert register == {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/demo/variant/v3",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "MinCapacity": 1,
        "MaxCapacity": 4,
    }
    assert policy == {
        "PolicyName": "demo-v3-invocations",
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/demo/variant/v3",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 100.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 60,
        },
    }


def test_min_above_max_and_a_non_positive_target_are_refused_by_name():
    with pytest.raises(InvalidParameters) as raised:
        parse_config({"autoscaling": {"MinCapacity": 5, "MaxCapacity": 2}}, "SCIKIT")
    assert "MinCapacity ≤ MaxCapacity" in str(raised.value)
    with pytest.raises(InvalidParameters, match="TargetInvocationsPerInstance"):
        parse_config({"autoscaling": {"TargetInvocationsPerInstance": 0}}, "SCIKIT")
