"""Custom resources get Create, Update and Delete; a FAILED response fails the stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sagebuild.local.deploy import DeployError
from sagebuild.local.stack import LocalStack

APP = Path(__file__).parent / "fixtures" / "sam_app" / "template.yaml"


@pytest.fixture
def stack():
    with LocalStack(APP, stack_name="cr", local_services=False, fast_waits=True) as deployed:
        yield deployed


def _recorded(stack, request_type: str) -> dict:
    value = stack.client("ssm").get_parameter(Name=f"/fixture/cr/{request_type}")
    return json.loads(value["Parameter"]["Value"])


def test_create_is_sent_and_its_data_resolves_in_outputs(stack):
    created = _recorded(stack, "Create")

    assert created["props"]["Value"] == "v1"
    assert stack.outputs["RecorderEcho"] == "v1"
    assert stack.stack_resources()["Recorder"] == "recorder-1"


def test_update_is_sent_with_the_old_resource_properties(stack):
    stack.update({"RecorderValue": "v2"})

    updated = _recorded(stack, "Update")
    assert updated["props"]["Value"] == "v2"
    assert updated["old"]["Value"] == "v1"
    assert updated["physical_id"] == "recorder-1"
    assert stack.outputs["RecorderEcho"] == "v2"


def test_a_new_physical_id_on_update_deletes_the_old_one(stack):
    stack.update({"RecorderGeneration": "2"})

    assert stack.stack_resources()["Recorder"] == "recorder-2"
    deleted = _recorded(stack, "Delete")
    assert deleted["physical_id"] == "recorder-1"
    assert deleted["props"]["Generation"] == "1"


def test_delete_is_sent_before_the_bucket_is_deleted(stack):
    bucket = stack.outputs["BucketName"]
    stack.client("s3").put_object(Bucket=bucket, Key="model.tar.gz", Body=b"x")
    cfn = stack.client("cloudformation")
    stack_id = cfn.describe_stacks(StackName=stack.stack_name)["Stacks"][0]["StackId"]

    stack.delete()

    assert _recorded(stack, "Delete")["physical_id"] == "recorder-1"
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == (
        "DELETE_COMPLETE"
    )
    create = stack.client("ssm").get_parameter(Name="/fixture/cr/Create")["Parameter"]
    assert create["Version"] == 1  # describing the deleted stack did not re-create it
    names = [b["Name"] for b in stack.client("s3").list_buckets()["Buckets"]]
    assert bucket not in names


def test_a_failed_create_fails_the_stack_with_the_function_reason():
    with LocalStack(None, local_services=False) as aws:
        with pytest.raises(DeployError) as raised:
            aws.template = APP
            aws.parameters = {"RecorderFail": "true"}
            aws.deploy()
        stack = aws.client("cloudformation").describe_stacks(StackName="sagebuild")["Stacks"][0]

    assert "Recorder" in str(raised.value)
    assert "asked to fail by the Fail property" in str(raised.value)
    assert raised.value.failures[0][:2] == ("Recorder", "Custom::Recorder")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"


def test_a_failed_update_fails_the_update_with_the_function_reason(stack):
    with pytest.raises(DeployError) as raised:
        stack.update({"RecorderFail": "true"})

    assert "asked to fail by the Fail property" in str(raised.value)
    status = stack.client("cloudformation").describe_stacks(StackName="cr")["Stacks"][0]
    assert status["StackStatus"] == "UPDATE_FAILED"
