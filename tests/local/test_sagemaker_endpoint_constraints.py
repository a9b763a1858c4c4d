"""Local SageMaker refuses UpdateEndpoint / DeleteEndpoint where SageMaker does: while the
endpoint is in progress, and while a variant they would remove is an autoscaling target."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from local_support import Aws, local_sagemaker_on_moto
from test_local_sagemaker import (
    BUCKET,
    _create_config,
    _create_endpoint,
    _create_model,
    _model_tar,
    _wait_endpoint,
)

DIMENSION = "sagemaker:variant:DesiredInstanceCount"


@pytest.fixture
def aws(tmp_path: Path, dummy_credentials: None) -> Iterator[Aws]:
    with local_sagemaker_on_moto(tmp_path / "local", BUCKET) as clients:
        yield clients


def _register(variant: str = "AllTraffic", endpoint: str = "iris") -> str:
    target = f"endpoint/{endpoint}/variant/{variant}"
    boto3.client("application-autoscaling", region_name="us-east-1").register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=target,
        ScalableDimension=DIMENSION,
        MinCapacity=1,
        MaxCapacity=2,
    )
    return target


def _deregister(target: str) -> None:
    boto3.client("application-autoscaling", region_name="us-east-1").deregister_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=target, ScalableDimension=DIMENSION
    )


def _config_with_variant(aws: Aws, config: str, model: str, variant: str, instance: str) -> None:
    aws.sm.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": model,
                "InitialInstanceCount": 1,
                "InstanceType": instance,
            }
        ],
    )


def _serving(aws: Aws) -> None:
    _create_model(aws, "iris-v1", _model_tar())
    _create_endpoint(aws, "iris", "iris-v1-config", "iris-v1")
    assert _wait_endpoint(aws, "iris")["EndpointStatus"] == "InService"


def test_update_while_creating_is_refused_with_sagemakers_in_progress_message(aws: Aws) -> None:
    _create_model(aws, "iris-v1", _model_tar())
    _create_endpoint(aws, "iris", "iris-v1-config", "iris-v1")
    arn = aws.sm.describe_endpoint(EndpointName="iris")["EndpointArn"]

    with pytest.raises(ClientError) as raised:
        aws.sm.update_endpoint(EndpointName="iris", EndpointConfigName="iris-v1-config")

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert raised.value.response["Error"]["Message"] == (
        f'Cannot update in-progress endpoint "{arn}".'
    )
    _wait_endpoint(aws, "iris")


def test_update_that_removes_an_autoscaled_variant_is_refused_until_it_is_deregistered(
    aws: Aws,
) -> None:
    _serving(aws)
    target = _register()
    _config_with_variant(aws, "iris-v2-config", "iris-v1", "v2", "ml.m5.large")

    with pytest.raises(ClientError) as raised:
        aws.sm.update_endpoint(EndpointName="iris", EndpointConfigName="iris-v2-config")
    refused = aws.sm.describe_endpoint(EndpointName="iris")
    _deregister(target)
    aws.sm.update_endpoint(EndpointName="iris", EndpointConfigName="iris-v2-config")
    final = _wait_endpoint(aws, "iris")

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "AllTraffic" in raised.value.response["Error"]["Message"]
    assert "DeregisterScalableTarget" in raised.value.response["Error"]["Message"]
    assert refused["EndpointStatus"] == "InService"
    assert refused["EndpointConfigName"] == "iris-v1-config"
    assert final["EndpointConfigName"] == "iris-v2-config"


def test_update_that_changes_an_autoscaled_variants_instance_type_is_refused(aws: Aws) -> None:
    _serving(aws)
    _register()
    _config_with_variant(aws, "iris-big-config", "iris-v1", "AllTraffic", "ml.m5.xlarge")

    with pytest.raises(ClientError, match="AllTraffic"):
        aws.sm.update_endpoint(EndpointName="iris", EndpointConfigName="iris-big-config")


def test_update_that_keeps_an_autoscaled_variant_and_its_instance_type_is_allowed(
    aws: Aws,
) -> None:
    _serving(aws)
    _register()
    _create_model(aws, "iris-v2", _model_tar(depth=1))
    _create_config(aws, "iris-v2-config", "iris-v2")  # same variant, same instance type

    aws.sm.update_endpoint(EndpointName="iris", EndpointConfigName="iris-v2-config")

    assert _wait_endpoint(aws, "iris")["EndpointConfigName"] == "iris-v2-config"


def test_delete_with_an_autoscaled_variant_is_refused_until_it_is_deregistered(aws: Aws) -> None:
    _serving(aws)
    target = _register()

    with pytest.raises(ClientError) as raised:
        aws.sm.delete_endpoint(EndpointName="iris")
    still_there = aws.sm.describe_endpoint(EndpointName="iris")["EndpointStatus"]
    _deregister(target)
    aws.sm.delete_endpoint(EndpointName="iris")

    assert raised.value.response["Error"]["Message"] == (
        "An Application AutoScaling scalable target exists for a variant being deleted, and the "
        "IAM identity used to invoke DeleteEndpoint does not have "
        "application-autoscaling:DeregisterScalableTarget permission to deregister the "
        "scalable target."
    )
    assert still_there == "InService"
    assert aws.sm.list_endpoints()["Endpoints"] == []


def test_another_endpoints_scalable_target_does_not_block_delete(aws: Aws) -> None:
    _serving(aws)
    _register(endpoint="iris-other")

    aws.sm.delete_endpoint(EndpointName="iris")

    assert aws.sm.list_endpoints()["Endpoints"] == []
