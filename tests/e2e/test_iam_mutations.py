"""The local stack's IAM fails the run where AWS would: mutations of a copy of template.yaml.

Each test removes or narrows one permission the pipeline needs (or adds a Deny), deploys the
copy on a fresh local stack and checks that the run fails with AWS's AccessDenied message
naming that action, and that the IAM ledger recorded the denial for the right role.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from conftest import IRIS, ROOT, iris_parameters

from sagebuild.local.stack import LocalStack
from sagebuild.session import Stack

# Each test deploys its own copy of the template: `make test-slow`.
pytestmark = [pytest.mark.e2e, pytest.mark.iam_denials_expected, pytest.mark.slow]
TEMPLATE = (ROOT / "template.yaml").read_text(encoding="utf-8")


def _mutate(old: str, new: str) -> str:
    assert TEMPLATE.count(old) == 1, (
        f"the mutation's anchor is not unique in template.yaml: {old!r}"
    )
    return TEMPLATE.replace(old, new)


@contextmanager
def _stack(text: str) -> Iterator[tuple[LocalStack, Stack]]:
    # Beside template.yaml, so its relative CodeUri and DefinitionUri resolve as for the real one.
    copy = ROOT / f".template-mutation-{uuid.uuid4().hex[:8]}.yaml"
    copy.write_text(text, encoding="utf-8")
    try:
        with LocalStack(
            copy,
            stack_name="mut",
            parameters={"ConfigFramework": "SCIKIT"},
            fast_waits=True,
        ) as local:
            yield local, Stack(local.outputs, local.client)
    finally:
        copy.unlink(missing_ok=True)


def _run_iris(stack: Stack, **extra: object) -> tuple[list[str], dict]:
    source = stack.upload_source(IRIS)
    stack.set_parameters(iris_parameters(source, **extra))
    stack.upload_data(IRIS / "iris.csv", "train/iris/iris.csv")
    arn, path, result = stack.run({"reason": "mutation"})
    described = stack.client("stepfunctions").describe_execution(executionArn=arn)
    return path, {**result, "error": described.get("error"), "cause": described.get("cause")}


def _denied(local: LocalStack, action: str, role_part: str) -> list[dict]:
    return [
        d
        for d in local.iam_denials()
        if f"perform: {action} " in d["message"] and role_part in d["role"]
    ]


def _assert_run_failed_naming(result: dict, action: str) -> None:
    """The run failed and its cause (what the failure notification quotes) names the action."""
    assert result["status"] == "FAILED"
    cause = str(result["cause"])
    assert f"is not authorized to perform: {action} " in cause, cause[:2000]


def test_without_create_training_job_the_run_fails_at_training_naming_the_action():
    text = _mutate("              - sagemaker:CreateTrainingJob\n", "")
    with _stack(text) as (local, stack):
        path, result = _run_iris(stack)
        assert "Start Training Job" in path
        _assert_run_failed_naming(result, "sagemaker:CreateTrainingJob")
        assert _denied(local, "sagemaker:CreateTrainingJob", "StartTrainingJobFunctionRole")


def test_without_get_object_on_the_data_bucket_the_training_job_fails_access_denied():
    text = _mutate(
        "                Action: s3:GetObject\n                Resource:\n"
        "                  - !Sub\n                    - arn:${AWS::Partition}:s3:::${Bucket}/*\n",
        "                Action: s3:GetObject\n                Resource:\n"
        "                  - !Sub\n                    - arn:${AWS::Partition}:s3:::${Bucket}/x*\n",
    )
    with _stack(text) as (local, stack):
        path, result = _run_iris(stack)
        assert "Training Failed" in path or "Notify Failed" in path
        _assert_run_failed_naming(result, "s3:GetObject")
        [denial] = _denied(local, "s3:GetObject", "TrainingRole")
        assert "/train/iris/iris.csv" in denial["resource"]


def test_without_sns_publish_the_started_notification_is_denied():
    text = _mutate(
        "            Action: sns:Publish\n            Resource: !Ref TrainStatusTopic\n",
        "            Action: sns:GetTopicAttributes\n            Resource: !Ref TrainStatusTopic\n",
    )
    with _stack(text) as (local, stack):
        _, result = _run_iris(stack)
        _assert_run_failed_naming(result, "sns:Publish")
        assert _denied(local, "sns:Publish", "NotifyFunctionRole")


def test_without_start_execution_the_launch_is_denied_and_the_event_is_dead_lettered():
    text = _mutate(
        "            Action: states:StartExecution\n"
        "            Resource: !Ref PipelineStateMachine\n",
        "            Action: states:DescribeStateMachine\n"
        "            Resource: !Ref PipelineStateMachine\n",
    )
    with _stack(text) as (local, stack):
        stack.set_parameters(iris_parameters(stack.upload_source(IRIS)))
        # SNS invokes the Launch function before Publish returns (moto_ext.sns_delivery); the
        # denial fails it, Lambda retries twice, then the event goes to its dead-letter queue.
        stack.publish_launch({"reason": "mutation"})
        denials = _denied(local, "states:StartExecution", "LaunchFunctionRole")
        assert len(denials) == 3
        assert {d["resource"] for d in denials} == {stack.outputs["StateMachine"]}
        assert stack.executions() == []
        sqs = stack.client("sqs")
        [kept] = sqs.receive_message(
            QueueUrl=stack.outputs["TriggerDeadLetterQueue"], MessageAttributeNames=["All"]
        )["Messages"]
        assert "mutation" in kept["Body"]
        assert "states:StartExecution" in kept["MessageAttributes"]["ErrorMessage"]["StringValue"]


def test_create_endpoint_scoped_to_the_endpoint_alone_fails_the_deploy():
    text = _mutate(
        "            Action: [sagemaker:CreateEndpoint, sagemaker:UpdateEndpoint]\n",
        "            Action: [sagemaker:DescribeEndpointConfig]\n",
    )
    with _stack(text) as (local, stack):
        path, result = _run_iris(stack)
        assert "Deploy Endpoint" in path and "Clean Up Deploy" in path
        _assert_run_failed_naming(result, "sagemaker:CreateEndpoint")
        [denial] = _denied(local, "sagemaker:CreateEndpoint", "DeployEndpointFunctionRole")
        assert ":endpoint-config/" in denial["resource"]


def test_an_explicit_deny_is_honoured_over_the_allow():
    anchor = "  SageMakerPipelinePolicy:\n    Type: AWS::IAM::ManagedPolicy\n"
    start = TEMPLATE.index(anchor)
    statements = TEMPLATE.index("        Statement:\n", start) + len("        Statement:\n")
    deny = (
        "          - Effect: Deny\n"
        "            Action: sagemaker:CreateModel\n"
        '            Resource: "*"\n'
    )
    text = TEMPLATE[:statements] + deny + TEMPLATE[statements:]
    with _stack(text) as (local, stack):
        path, result = _run_iris(stack)
        assert "Create Model" in path
        _assert_run_failed_naming(result, "sagemaker:CreateModel")
        [denial] = _denied(local, "sagemaker:CreateModel", "CreateModelFunctionRole")
        assert "explicit deny" in denial["message"]


def test_a_resource_tag_condition_is_honoured():
    # The endpoint-config statement allows only configs tagged with this stack's name.
    anchor = "            Action: [sagemaker:CreateEndpoint, sagemaker:UpdateEndpoint]\n"
    start = TEMPLATE.index(anchor)
    condition = "StringEquals: {aws:ResourceTag/sagebuild:stack: !Ref AWS::StackName}\n"
    at = TEMPLATE.index(condition, start)
    assert at - start < 400, "the tag condition is not the endpoint-config statement's"
    text = (
        TEMPLATE[:at]
        + "StringEquals: {aws:ResourceTag/sagebuild:stack: another-stack}\n"
        + TEMPLATE[at + len(condition) :]
    )
    with _stack(text) as (local, stack):
        _, result = _run_iris(stack)
        _assert_run_failed_naming(result, "sagemaker:CreateEndpoint")
        assert _denied(local, "sagemaker:CreateEndpoint", "DeployEndpointFunctionRole")


def test_the_unmutated_template_runs_captures_data_as_the_model_role_and_is_never_denied():
    with _stack(TEMPLATE) as (local, stack):
        volume_key = local.client("kms").create_key(Description="training volume")["KeyMetadata"]
        path, result = _run_iris(
            stack, datacapture={"SamplingPercentage": 100}, volumekmskey=volume_key["KeyId"]
        )
        assert result["status"] == "SUCCEEDED", path
        rows = "5.1,3.5,1.4,0.2"
        answer = stack.predict([[5.1, 3.5, 1.4, 0.2]], accept="text/csv")
        endpoint = stack.outputs["SageMakerEndpoint"]
        variant = stack.endpoint()["ProductionVariants"][0]["VariantName"]
        s3 = stack.client("s3")
        bucket = stack.outputs["ArtifactBucket"]
        keys = [
            o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="datacapture/")["Contents"]
        ]
        [key] = keys
        assert key.startswith(f"datacapture/{endpoint}/{endpoint}/{variant}/") and key.endswith(
            ".jsonl"
        )
        line = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        captured = line["captureData"]
        assert captured["endpointInput"] == {
            "observedContentType": "text/csv",
            "mode": "INPUT",
            "data": rows,
            "encoding": "CSV",
        }
        assert captured["endpointOutput"]["data"] == answer
        assert line["eventVersion"] == "0" and line["eventMetadata"]["eventId"]
        assert local.iam_denials() == []
        report = local.iam_report()
        model_role = [r for r in report["roles"] if "ModelRole" in r]
        [calls] = [report["roles"][r]["calls"] for r in model_role]
        assert {"s3:GetObject", "s3:PutObject"} <= {c["action"] for c in calls}
        [training_role] = [r for r in report["roles"] if "TrainingRole" in r]
        grants = [
            c for c in report["roles"][training_role]["calls"] if c["action"] == "kms:CreateGrant"
        ]
        assert [g["resource"] for g in grants] == [volume_key["Arn"]]
        assert report["denials"] == 0 and report["role_action_pairs"] > 15


def test_without_put_object_on_datacapture_the_capture_is_denied_for_the_model_role():
    text = _mutate(
        '                Resource: !Sub "${ArtifactBucket.Arn}/datacapture/*"\n',
        '                Resource: !Sub "${ArtifactBucket.Arn}/elsewhere/*"\n',
    )
    with _stack(text) as (local, stack):
        _, result = _run_iris(stack, datacapture={"SamplingPercentage": 100})
        assert result["status"] == "SUCCEEDED"
        stack.predict([[5.1, 3.5, 1.4, 0.2]])
        [denial] = _denied(local, "s3:PutObject", "ModelRole")
        assert "/datacapture/" in denial["resource"]


def test_without_kms_permissions_a_job_with_volumekmskey_fails_naming_create_grant():
    via = '{kms:ViaService: !Sub "%s.${AWS::Region}.amazonaws.com"}'
    text = _mutate(via % "sagemaker", via % "s3")
    with _stack(text) as (local, stack):
        key = local.client("kms").create_key()["KeyMetadata"]
        path, result = _run_iris(stack, volumekmskey=key["Arn"])
        assert "Training Failed" in path
        _assert_run_failed_naming(result, "kms:CreateGrant")
        [denial] = _denied(local, "kms:CreateGrant", "TrainingRole")
        assert denial["resource"] == key["Arn"]
