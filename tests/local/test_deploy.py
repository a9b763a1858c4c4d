"""Packaging and the local deployer (SAM transform offline → moto CloudFormation)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from sagebuild.local import deploy
from sagebuild.local.stack import DEFAULT_TEMPLATE, LocalStack
from sagebuild.packaging import build_code_zip

FIXTURES = Path(__file__).parent / "fixtures" / "sam_app"


def test_code_zip_is_deterministic_and_has_no_caches(tmp_path):
    source = tmp_path / "src"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / "__init__.py").write_text("")
    (source / "pkg" / "mod.py").write_text("X = 1\n")
    (source / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")

    first = build_code_zip(source, tmp_path / "a.zip").read_bytes()
    (source / "pkg" / "mod.py").touch()  # a new mtime must not change the zip
    second = build_code_zip(source, tmp_path / "b.zip").read_bytes()

    assert first == second
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    assert names == ["pkg/__init__.py", "pkg/mod.py"]


@pytest.fixture(scope="module")
def aws():
    with LocalStack(None, local_services=False, fast_waits=True) as stack:
        yield stack


def test_transform_uploads_code_and_returns_plain_cloudformation(aws):
    template = deploy.transform(FIXTURES / "template.yaml", {}, s3=aws.client("s3"))

    types = {r["Type"] for r in template["Resources"].values()}
    assert not any(t.startswith("AWS::Serverless::") for t in types)
    code = template["Resources"]["EnvAFunction"]["Properties"]["Code"]
    assert code["S3Bucket"] == deploy.DEPLOYMENT_BUCKET
    assert aws.client("s3").head_object(Bucket=code["S3Bucket"], Key=code["S3Key"])
    machine = template["Resources"]["Machine"]["Properties"]
    assert machine["DefinitionS3Location"]["Bucket"] == deploy.DEPLOYMENT_BUCKET


def test_deploy_rejects_a_parameter_the_template_does_not_declare(aws):
    with pytest.raises(deploy.DeployError, match="NoSuchParameter"):
        deploy.deploy_stack(
            "bad-params",
            FIXTURES / "template.yaml",
            {"NoSuchParameter": "1"},
            cfn=aws.client("cloudformation"),
            s3=aws.client("s3"),
        )


def test_deploy_update_delete_round_trip(aws):
    cfn, s3 = aws.client("cloudformation"), aws.client("s3")

    outputs = deploy.deploy_stack("round-trip", FIXTURES / "template.yaml", {}, cfn=cfn, s3=s3)
    updated = deploy.update_stack(
        "round-trip", FIXTURES / "template.yaml", {"RecorderValue": "v9"}, cfn=cfn, s3=s3
    )
    deploy.delete_stack("round-trip", cfn=cfn)

    assert outputs["RecorderEcho"] == "v1"
    assert updated["RecorderEcho"] == "v9"
    assert (
        cfn.list_stacks(StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE"])["StackSummaries"]
        == []
    )


def test_unsupported_template_fails_naming_the_resource(aws):
    with pytest.raises(deploy.DeployError) as raised:
        deploy.deploy_stack(
            "unsupported",
            FIXTURES / "unsupported.yaml",
            {},
            cfn=aws.client("cloudformation"),
            s3=aws.client("s3"),
        )

    assert raised.value.failures[0][:2] == ("Streaming", "AWS::KinesisAnalyticsV2::Application")


@pytest.mark.e2e
def test_the_real_template_deploys_into_the_local_stack_and_deletes_cleanly():
    with LocalStack(DEFAULT_TEMPLATE, stack_name="smoke", fast_waits=True) as stack:
        machine = stack.client("stepfunctions").describe_state_machine(
            stateMachineArn=stack.outputs["StateMachine"]
        )
        resources = stack.stack_resources()

    assert "${" not in machine["definition"]
    assert "PipelineStateMachine" in resources
    assert not stack.deployed
