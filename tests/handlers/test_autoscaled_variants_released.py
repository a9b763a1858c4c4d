"""Deploy Endpoint, Rollback and Custom::SageMakerCleanup release the autoscaling of the
variants they remove BEFORE UpdateEndpoint / DeleteEndpoint (SageMaker refuses otherwise),
and a failed deploy gives the variant that still serves its autoscaling back."""

from __future__ import annotations

import boto3
import pytest
from asl_steps import call, run_document
from botocore.exceptions import ClientError
from conftest import ACCOUNT, REGION
from domain.autoscaling import removed_variants, scaling_requests
from domain.config import AutoScaling
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from resources_support import cfn_event, invoke, load_resource

ROLE = f"arn:aws:iam::{ACCOUNT}:role/model"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/demo:inference-v1"
SETTINGS = {
    "MinCapacity": 1,
    "MaxCapacity": 3,
    "TargetInvocationsPerInstance": 70,
    "ScaleInCooldown": 300,
    "ScaleOutCooldown": 60,
}


def _config(version: int, instance: str = "ml.m5.large") -> str:
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    name = f"demo-v{version}-abc123"
    tags = [{"Key": "sagebuild:stack", "Value": "demo"}]
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://demo-artifacts/model.tar.gz"},
        Tags=tags,
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": f"v{version}",
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": instance,
            }
        ],
        Tags=tags,
    )
    return name


def _serving(version: int) -> str:
    """The endpoint `demo` InService on version `version`, its variant autoscaled."""
    config = _config(version)
    boto3.client("sagemaker", region_name=REGION).create_endpoint(
        EndpointName="demo",
        EndpointConfigName=config,
        Tags=[{"Key": "sagebuild:stack", "Value": "demo"}],
    )
    register, policy = scaling_requests("demo", f"v{version}", AutoScaling(**SETTINGS))
    scaling = boto3.client("application-autoscaling", region_name=REGION)
    scaling.register_scalable_target(**register)
    scaling.put_scaling_policy(**policy)
    return config


def _targets() -> list[str]:
    scaling = applicationautoscaling_backends[ACCOUNT][REGION]
    return sorted(t.resource_id for t in scaling.describe_scalable_targets("sagemaker", None, None))


def _policies() -> list[str]:
    scaling = boto3.client("application-autoscaling", region_name=REGION)
    policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    return [p["ResourceId"] for p in policies]


@pytest.fixture
def updates(monkeypatch) -> list[dict]:
    """UpdateEndpoint (moto has none) that records the scalable targets when it is called."""
    from moto.core.responses import ActionResult

    calls: list[dict] = []

    def update_endpoint(self):
        calls.append({"config": self._get_param("EndpointConfigName"), "targets": _targets()})
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{self._get_param('EndpointName')}"
        return ActionResult({"EndpointArn": arn})

    monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)
    return calls


def _deploy_state(new_config: str, previous: str) -> dict:
    return run_document(
        deployment={
            "name": "demo",
            "endpoint_config": new_config,
            "version": 2,
            "previous_config": previous,
            "action": "",
        },
        endpoint={"exists": True, "status": "InService", "previous_config": previous},
    )


def test_removed_variants_are_those_gone_or_with_another_instance_type():
    current = {"v1": "ml.m5.large", "shadow": "ml.m5.large", "same": "ml.c5.large"}
    new = {"v2": "ml.m5.large", "shadow": "ml.m5.xlarge", "same": "ml.c5.large"}
    assert removed_variants(current, new) == ["shadow", "v1"]


def test_deploy_releases_the_old_variants_autoscaling_before_update_endpoint(stack, ctx, updates):
    previous = _serving(1)
    new = _config(2)

    deployed = call("Deploy Endpoint", _deploy_state(new, previous), ctx)

    assert updates == [{"config": new, "targets": []}]
    assert _policies() == []
    assert deployed["action"] == "update"
    [released] = deployed["released_scaling"]
    assert released["register"]["ResourceId"] == "endpoint/demo/variant/v1"
    assert (released["register"]["MinCapacity"], released["register"]["MaxCapacity"]) == (1, 3)
    assert [p["PolicyName"] for p in released["policies"]] == ["demo-v1-invocations"]


def test_deploy_without_autoscaling_calls_no_autoscaling_release(stack, ctx, updates):
    previous = _config(1)
    boto3.client("sagemaker", region_name=REGION).create_endpoint(
        EndpointName="demo", EndpointConfigName=previous
    )

    deployed = call("Deploy Endpoint", _deploy_state(_config(2), previous), ctx)

    assert deployed["released_scaling"] == [] and len(updates) == 1


def test_a_refused_update_gives_the_serving_variant_its_autoscaling_back(stack, ctx, monkeypatch):
    previous = _serving(1)
    new = _config(2)

    def refuse(self):
        from moto.sagemaker.exceptions import ValidationError

        raise ValidationError(message="Cannot update in-progress endpoint")

    monkeypatch.setattr(SageMakerResponse, "update_endpoint", refuse, raising=False)

    with pytest.raises(ClientError, match="in-progress"):
        call("Deploy Endpoint", _deploy_state(new, previous), ctx)

    assert _targets() == ["endpoint/demo/variant/v1"]
    assert _policies() == ["endpoint/demo/variant/v1"]


def test_clean_up_after_a_silent_rollback_restores_the_old_variants_autoscaling(
    stack, ctx, updates
):
    previous = _serving(1)
    state = _deploy_state(_config(2), previous)
    state["deployment"] = call("Deploy Endpoint", state, ctx)
    assert _targets() == []

    # SageMaker rolled the update back: the endpoint still runs the previous config.
    result = call("Clean Up Deploy", state, ctx)

    assert result["restored_scaling"] == ["endpoint/demo/variant/v1"]
    assert _targets() == ["endpoint/demo/variant/v1"]
    assert _policies() == ["endpoint/demo/variant/v1"]


def test_rollback_releases_the_current_variant_before_update_endpoint(stack, ctx, updates):
    from handlers import rollback

    older = _config(1)
    _serving(2)

    result = rollback.handler({"version": 1}, ctx)

    assert updates == [{"config": older, "targets": []}]
    assert result["changed"] is True
    assert result["released_scaling"] == ["endpoint/demo/variant/v2"]


def test_rollback_of_an_endpoint_that_is_updating_is_refused_and_releases_nothing(
    stack, ctx, updates
):
    from handlers import rollback

    _config(1)
    _serving(2)
    from moto.sagemaker.models import sagemaker_backends

    sagemaker_backends[ACCOUNT][REGION].endpoints["demo"].endpoint_status = "Updating"

    result = rollback.handler({"version": 1}, ctx)

    assert result["changed"] is False and "is Updating" in result["error"]
    assert updates == [] and _targets() == ["endpoint/demo/variant/v2"]


def test_stack_delete_releases_the_endpoints_autoscaling_before_delete_endpoint(
    stack, ctx, monkeypatch
):
    module = load_resource("sagemaker_cleanup")
    _serving(1)
    original = SageMakerModelBackend.delete_endpoint
    seen: list[list[str]] = []

    def delete_endpoint(self, endpoint_name):
        seen.append(_targets())
        return original(self, endpoint_name)

    monkeypatch.setattr(SageMakerModelBackend, "delete_endpoint", delete_endpoint)
    event = cfn_event(
        "Delete", {"StackName": "demo", "EndpointName": ""}, physical_id="sagebuild-cleanup-demo"
    )

    response = invoke(module, event, ctx, monkeypatch)

    assert response["Status"] == "SUCCESS", response.get("Reason")
    assert seen == [[]]
    assert _policies() == []
    assert boto3.client("sagemaker", region_name=REGION).list_endpoints()["Endpoints"] == []


def test_deploy_endpoint_names_a_busy_endpoint_without_touching_its_autoscaling(
    stack, ctx, updates
):
    from asl_steps import call
    from domain.errors import DeployFailed
    from moto.sagemaker.models import sagemaker_backends

    previous = _serving(1)
    sagemaker_backends[ACCOUNT][REGION].endpoints["demo"].endpoint_status = "Updating"

    with pytest.raises(DeployFailed, match="is Updating"):
        call("Deploy Endpoint", _deploy_state(_config(2), previous), ctx)

    assert updates == [] and _targets() == ["endpoint/demo/variant/v1"]
