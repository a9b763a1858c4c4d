"""The parameter document in SSM: Standard up to 4,096 characters, Advanced up to 8,192, refused
past it with a message naming the limit (domain.aws, Custom::ParameterMerge, `sagebuild params`).
SSM's own limits are the local stack's (sagebuild.local.moto_ext.limits)."""

from __future__ import annotations

import json

import boto3
import pytest
from domain.aws import json_parameter, put_json_parameter_request
from domain.errors import ParameterTooLarge
from moto import mock_aws
from resources_support import cfn_event, invoke, load_resource

REGION = "us-east-1"
NAME = "/sagebuild/demo/parameters"
BASE = {"framework": "SCIKIT", "trainsourcefile": "s3://demo-code/scripts/source.tar.gz"}


PADS = ("n0", "n1", "n2", "n3")  # four values: each within SageMaker's 2,500 characters


def _document(characters: int) -> dict:
    """BASE plus hyperparameters whose compact, sorted JSON is exactly `characters` long."""
    empty = {**BASE, "hyperparameters": dict.fromkeys(PADS, "")}
    padding = characters - len(json.dumps(empty, sort_keys=True, separators=(",", ":")))
    sizes = [padding // 4 + (padding % 4 if i == 0 else 0) for i in range(4)]
    return {**BASE, "hyperparameters": {k: "x" * n for k, n in zip(PADS, sizes, strict=True)}}


def _compact(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


@pytest.fixture
def ssm():
    from domain.clients import reset_clients

    from sagebuild.local.moto_ext import limits

    with mock_aws():
        undo = limits.install()
        reset_clients()
        client = boto3.client("ssm", region_name=REGION)
        client.put_parameter(Name=NAME, Type="String", Value=json.dumps(BASE))
        try:
            yield client
        finally:
            reset_clients()
            undo()


def _tier(ssm) -> str:
    [parameter] = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [NAME]}])[
        "Parameters"
    ]
    return parameter["Tier"]


def test_a_document_of_4096_characters_is_standard_and_4097_is_advanced():
    value, tier = json_parameter(_document(4096))
    bigger, bigger_tier = json_parameter(_document(4097))

    assert (len(value), tier) == (4096, None)
    assert (len(bigger), bigger_tier) == (4097, "Advanced")


def test_a_document_of_8192_characters_is_advanced_and_8193_is_refused_naming_the_limit():
    value, tier = json_parameter(_document(8192))
    with pytest.raises(ParameterTooLarge, match="at most 8,192"):
        json_parameter(_document(8193))

    assert (len(value), tier) == (8192, "Advanced")


def test_indented_json_is_kept_while_it_fits_and_dropped_for_compact_before_advanced():
    small = {"framework": "SCIKIT", "hyperparameters": {"a": 1}}
    fitting = _document(4095)  # indentation pushes it over 4,096: compact still fits

    assert json_parameter(small, indent=1) == (json.dumps(small, sort_keys=True, indent=1), None)
    assert json_parameter(fitting, indent=1) == (_compact(fitting), None)
    assert put_json_parameter_request(NAME, _document(5000)) == {
        "Name": NAME,
        "Value": _compact(_document(5000)),
        "Type": "String",
        "Overwrite": True,
        "Tier": "Advanced",
    }


@pytest.fixture
def module():
    return load_resource("parameter_merge")


def _merge(module, ctx, monkeypatch, overrides: dict) -> dict:
    properties = {"ParameterName": NAME, "Parameters": json.dumps(overrides), "Framework": ""}
    return invoke(module, cfn_event("Create", properties), ctx, monkeypatch)


def test_parameter_merge_stores_a_document_over_4096_characters_as_advanced(
    ssm, module, ctx, monkeypatch
):
    document = _document(8192)

    response = _merge(module, ctx, monkeypatch, {"hyperparameters": document["hyperparameters"]})

    assert response["Status"] == "SUCCESS", response.get("Reason")
    assert ssm.get_parameter(Name=NAME)["Parameter"]["Value"] == _compact(document)
    assert _tier(ssm) == "Advanced"


def test_parameter_merge_refuses_a_document_over_8192_characters_and_writes_nothing(
    ssm, module, ctx, monkeypatch
):
    document = _document(8193)

    response = _merge(module, ctx, monkeypatch, {"hyperparameters": document["hyperparameters"]})

    assert response["Status"] == "FAILED"
    assert "8,192" in response["Reason"] and "Parameters rejected" in response["Reason"]
    assert json.loads(ssm.get_parameter(Name=NAME)["Parameter"]["Value"]) == BASE
    assert _tier(ssm) == "Standard"


def test_the_local_stack_refuses_what_aws_refuses_without_the_advanced_tier(ssm):
    with pytest.raises(Exception, match="maximum parameter value of 4096 characters"):
        ssm.put_parameter(Name=NAME, Value=_compact(_document(4097)), Type="String", Overwrite=True)
