"""Stack updates change only what changed and honour Conditions (moto_ext.stack_update)."""

from pathlib import Path

import pytest

from sagebuild.local.stack import LocalStack

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Label: {Type: String, Default: one}
  WithQueue: {Type: String, Default: "no", AllowedValues: ["yes", "no"]}
Conditions:
  HasQueue: !Equals [!Ref WithQueue, "yes"]
Resources:
  Topic:
    Type: AWS::SNS::Topic
  Setting:
    Type: AWS::SSM::Parameter
    Properties: {Name: /upd/label, Type: String, Value: !Ref Label}
  Queue:
    Type: AWS::SQS::Queue
    Condition: HasQueue
    Properties:
      Tags: [{Key: label, Value: !Ref Label}]
Outputs:
  Topic: {Value: !Ref Topic}
  Setting: {Value: !Ref Setting}
"""


@pytest.fixture
def local(tmp_path: Path):
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    with LocalStack(template, stack_name="upd", local_services=False) as stack:
        yield stack


def test_a_parameter_change_updates_what_uses_it_and_keeps_the_rest(local):
    topic = local.outputs["Topic"]
    outputs = local.update({"Label": "two"})
    assert outputs["Topic"] == topic
    value = local.client("ssm").get_parameter(Name=outputs["Setting"])["Parameter"]["Value"]
    assert value == "two"


def test_a_condition_that_turns_true_creates_its_resource_and_false_skips_it(local):
    assert local.client("sqs").list_queues().get("QueueUrls", []) == []
    local.update({"Label": "three"})  # the condition-false queue references Label: no error
    local.update({"WithQueue": "yes"})
    assert len(local.client("sqs").list_queues()["QueueUrls"]) == 1
