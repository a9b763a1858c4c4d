"""Custom::ParameterMerge against moto: the Parameters stack parameter is merged over the stored
document when valid; an invalid one fails the deployment naming the bad keys, writing nothing."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws
from resources_support import cfn_event, invoke, load_resource

REGION = "us-east-1"
NAME = "/sagebuild/demo/parameters"
STORED = {
    "framework": "SCIKIT",
    "traininstancetype": "ml.m5.large",
    "hyperparameters": {"a": 1},
    "trainsourcefile": "s3://demo-code/scripts/source.tar.gz",
}


@pytest.fixture
def ssm():
    from domain.clients import reset_clients

    with mock_aws():
        reset_clients()
        client = boto3.client("ssm", region_name=REGION)
        client.put_parameter(Name=NAME, Type="String", Value=json.dumps(STORED))
        yield client
        reset_clients()


@pytest.fixture
def module():
    return load_resource("parameter_merge")


def _stored(ssm) -> dict:
    return json.loads(ssm.get_parameter(Name=NAME)["Parameter"]["Value"])


def _event(request_type: str, parameters: str, framework: str = "SCIKIT") -> dict:
    properties = {"ParameterName": NAME, "Parameters": parameters, "Framework": framework}
    if request_type == "Create":
        return cfn_event("Create", properties)
    return cfn_event(request_type, properties, properties, physical_id=NAME)


def test_create_merges_the_overrides_over_the_stored_document(ssm, module, ctx, monkeypatch):
    overrides = json.dumps({"traininstancetype": "ml.c5.xlarge", "hyperparameters": {"b": 2}})

    response = invoke(module, _event("Create", overrides), ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == NAME
    assert _stored(ssm) == {
        **STORED,
        "traininstancetype": "ml.c5.xlarge",
        "hyperparameters": {"b": 2},
    }


def test_update_with_empty_overrides_keeps_the_document(ssm, module, ctx, monkeypatch):
    response = invoke(module, _event("Update", "{}"), ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    assert _stored(ssm) == STORED


def test_invalid_overrides_fail_naming_every_bad_key_and_write_nothing(
    ssm, module, ctx, monkeypatch
):
    overrides = json.dumps({"traininstancecount": "many", "trainintancetype": "ml.m5.large"})

    response = invoke(module, _event("Update", overrides), ctx, monkeypatch)

    assert response["Status"] == "FAILED"
    assert "traininstancecount" in response["Reason"]
    assert "trainintancetype" in response["Reason"]
    assert _stored(ssm) == STORED


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '"text"'])
def test_overrides_that_are_not_a_json_object_fail(ssm, module, ctx, monkeypatch, text):
    response = invoke(module, _event("Create", text), ctx, monkeypatch)

    assert response["Status"] == "FAILED"
    assert "Parameters" in response["Reason"]
    assert _stored(ssm) == STORED


def test_a_retired_framework_fails_with_the_reason(ssm, module, ctx, monkeypatch):
    response = invoke(
        module, _event("Create", json.dumps({"framework": "CHAINER"})), ctx, monkeypatch
    )

    assert response["Status"] == "FAILED"
    assert "CHAINER" in response["Reason"]


def test_delete_leaves_the_document_alone(ssm, module, ctx, monkeypatch):
    response = invoke(module, _event("Delete", '{"traininstancecount": "many"}'), ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    assert _stored(ssm) == STORED


def test_delete_after_the_parameter_is_gone_is_success(ssm, module, ctx, monkeypatch):
    ssm.delete_parameter(Name=NAME)

    assert invoke(module, _event("Delete", "{}"), ctx, monkeypatch)["Status"] == "SUCCESS"


def test_merge_over_the_seeded_document_stores_no_defaults(ssm, module, ctx, monkeypatch):
    seeded = {"framework": "PYTORCH", "trainsourcefile": "s3://demo-code/scripts/source.tar.gz"}
    ssm.put_parameter(Name=NAME, Type="String", Value=json.dumps(seeded), Overwrite=True)

    response = invoke(
        module, _event("Create", '{"hostinstancecount": 2}', "PYTORCH"), ctx, monkeypatch
    )

    assert response["Status"] == "SUCCESS"
    assert _stored(ssm) == {**seeded, "hostinstancecount": 2}  # the run fills the defaults
