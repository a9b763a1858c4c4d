"""Types moto skips are created by us; a type nobody creates fails the deploy, named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sagebuild.local.deploy import DeployError, check_supported, load_template
from sagebuild.local.moto_ext.skipped_types import recorded
from sagebuild.local.stack import LocalStack

FIXTURES = Path(__file__).parent / "fixtures" / "sam_app"


@pytest.fixture(scope="module")
def stack():
    with LocalStack(
        FIXTURES / "template.yaml", stack_name="skip", local_services=False, fast_waits=True
    ) as deployed:
        yield deployed


def test_sns_subscription_from_sam_delivers_to_the_lambda(stack):
    stack.client("sns").publish(TopicArn=stack.outputs["TopicArn"], Message="hello local")

    value = stack.client("ssm").get_parameter(Name="/fixture/sns/last")["Parameter"]["Value"]
    assert value == "hello local"
    assert stack.stack_resources()["SnsRecorderFunctionMessage"].startswith(
        stack.outputs["TopicArn"] + ":"
    )


def test_codebuild_project_exists_in_the_api_shape(stack):
    projects = stack.client("codebuild").batch_get_projects(names=["skip-image-build"])

    project = projects["projects"][0]
    assert project["environment"]["image"] == "aws/codebuild/standard:7.0"
    assert project["environment"]["environmentVariables"] == [
        {"name": "IMAGE_TAG", "value": "latest"}
    ]
    assert "buildspec" in project["source"]


def test_bucket_policy_is_applied(stack):
    policy = stack.client("s3").get_bucket_policy(Bucket=stack.outputs["BucketName"])

    assert json.loads(policy["Policy"])["Statement"][0]["Action"] == "s3:GetObject"


def test_alarm_is_recorded_as_not_emulated(stack):
    alarms = [r for r in recorded() if r.resource_type == "AWS::CloudWatch::Alarm"]

    assert any(r.logical_id == "Alarm" for r in alarms)


def test_fire_schedule_invokes_the_rule_target_with_its_input(stack):
    sent = stack.fire_schedule()

    assert len(sent) == 1
    assert ":function:skip-EnvAFunction-" in sent[0]["target"]
    assert sent[0]["input"] == {"from": "schedule"}


def test_an_unknown_type_is_rejected_before_deploying_naming_it():
    with pytest.raises(DeployError) as raised:
        check_supported(load_template(FIXTURES / "unsupported.yaml"))

    assert "Streaming (AWS::KinesisAnalyticsV2::Application)" in str(raised.value)


def test_an_unknown_type_fails_the_stack_in_moto_too():
    with LocalStack(None, local_services=False) as aws:
        cfn = aws.client("cloudformation")
        cfn.create_stack(
            StackName="unsupported",
            TemplateBody=(FIXTURES / "unsupported.yaml").read_text(),
        )
        stack = cfn.describe_stacks(StackName="unsupported")["Stacks"][0]
        events = cfn.describe_stack_events(StackName="unsupported")["StackEvents"]

    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed[0]["LogicalResourceId"] == "Streaming"
    assert "AWS::KinesisAnalyticsV2::Application" in failed[0]["ResourceStatusReason"]
