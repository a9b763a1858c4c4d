"""Custom::SageMakerCleanup against moto: it names the endpoint, and Delete removes the
endpoint, then the stack's endpoint configs and models (by tag only: IAM allows no other)."""

from __future__ import annotations

import pytest
from resources_support import cfn_event, invoke, moto_client_fixture, resource_fixture

ROLE = "arn:aws:iam::123456789012:role/model"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo:inference-v1"


sagemaker = moto_client_fixture("sagemaker")
module = resource_fixture("sagemaker_cleanup")


def _model_and_config(sagemaker, name: str, stack_tag: str | None) -> None:
    tags = [{"Key": "sagebuild:stack", "Value": stack_tag}] if stack_tag else []
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://artifacts/model.tar.gz"},
        Tags=tags,
    )
    variant = {
        "VariantName": "v1",
        "ModelName": name,
        "InitialInstanceCount": 1,
        "InstanceType": "ml.t2.medium",
    }
    sagemaker.create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[variant], Tags=tags
    )


def _names(sagemaker) -> tuple[set[str], set[str]]:
    models = {m["ModelName"] for m in sagemaker.list_models()["Models"]}
    configs = {
        c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
    }
    return models, configs


@pytest.mark.parametrize(
    ("stack", "override", "endpoint"),
    [
        ("Demo-Stack", "", "demo-stack"),  # the lower-cased stack name
        ("Demo", "churn", "churn"),  # the override, as given
    ],
)
def test_create_names_the_endpoint_and_keys_the_resource_by_stack(
    sagemaker, module, ctx, monkeypatch, stack, override, endpoint
):
    event = cfn_event("Create", {"StackName": stack, "EndpointName": override})

    response = invoke(module, event, ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    assert response["Data"] == {"EndpointName": endpoint}
    assert response["PhysicalResourceId"] == f"sagebuild-cleanup-{stack}"


def test_delete_removes_endpoint_then_the_stacks_configs_and_models(
    sagemaker, module, ctx, monkeypatch
):
    # Given: this stack's tagged run, an untagged one with its run name, and others'
    _model_and_config(sagemaker, "demo-v1-abc123", "Demo")
    _model_and_config(sagemaker, "demo-v2-def456", None)  # untagged: IAM would deny the delete
    _model_and_config(sagemaker, "demo-v3-0a1b2c", "Other")  # tagged for another stack
    _model_and_config(sagemaker, "demo-extra-v1-abc123", None)  # another stack's run name
    sagemaker.create_endpoint(
        EndpointName="demo",
        EndpointConfigName="demo-v1-abc123",
        Tags=[{"Key": "sagebuild:stack", "Value": "Demo"}],
    )

    # When
    event = cfn_event(
        "Delete", {"StackName": "Demo", "EndpointName": ""}, physical_id="sagebuild-cleanup-Demo"
    )
    response = invoke(module, event, ctx, monkeypatch)

    # Then
    assert response["Status"] == "SUCCESS"
    assert sagemaker.list_endpoints()["Endpoints"] == []
    models, configs = _names(sagemaker)
    assert models == configs == {"demo-v2-def456", "demo-v3-0a1b2c", "demo-extra-v1-abc123"}


def test_delete_when_everything_is_already_gone_is_success(sagemaker, module, ctx, monkeypatch):
    event = cfn_event(
        "Delete", {"StackName": "Demo", "EndpointName": ""}, physical_id="sagebuild-cleanup-Demo"
    )

    assert invoke(module, event, ctx, monkeypatch)["Status"] == "SUCCESS"
    assert invoke(module, event, ctx, monkeypatch)["Status"] == "SUCCESS"


def test_update_with_a_renamed_endpoint_deletes_the_old_endpoint_only(
    sagemaker, module, ctx, monkeypatch
):
    _model_and_config(sagemaker, "demo-v1-abc123", "Demo")
    sagemaker.create_endpoint(
        EndpointName="demo",
        EndpointConfigName="demo-v1-abc123",
        Tags=[{"Key": "sagebuild:stack", "Value": "Demo"}],
    )

    event = cfn_event(
        "Update",
        {"StackName": "Demo", "EndpointName": "churn"},
        {"StackName": "Demo", "EndpointName": ""},
        physical_id="sagebuild-cleanup-Demo",
    )
    response = invoke(module, event, ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == "sagebuild-cleanup-Demo"
    assert response["Data"] == {"EndpointName": "churn"}
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert _names(sagemaker) == ({"demo-v1-abc123"}, {"demo-v1-abc123"})


def test_update_without_rename_keeps_the_endpoint(sagemaker, module, ctx, monkeypatch):
    _model_and_config(sagemaker, "demo-v1-abc123", "Demo")
    sagemaker.create_endpoint(
        EndpointName="demo",
        EndpointConfigName="demo-v1-abc123",
        Tags=[{"Key": "sagebuild:stack", "Value": "Demo"}],
    )
    properties = {"StackName": "Demo", "EndpointName": ""}

    response = invoke(
        module,
        cfn_event("Update", properties, properties, physical_id="sagebuild-cleanup-Demo"),
        ctx,
        monkeypatch,
    )

    assert response["Data"] == {"EndpointName": "demo"}
    assert [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]] == ["demo"]


def test_delete_leaves_an_untagged_endpoint_of_the_stacks_name_and_succeeds(
    sagemaker, module, ctx, monkeypatch
):
    # Given: an endpoint with the stack's endpoint name that this stack did not tag (IAM
    # would refuse to delete it: the role's deletes need the stack tag)
    _model_and_config(sagemaker, "demo-v1-abc123", None)
    sagemaker.create_endpoint(EndpointName="demo", EndpointConfigName="demo-v1-abc123")

    event = cfn_event(
        "Delete", {"StackName": "Demo", "EndpointName": ""}, physical_id="sagebuild-cleanup-Demo"
    )
    response = invoke(module, event, ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    assert [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]] == ["demo"]
