"""A fresh stack: bad parameters, an endpoint that never comes up, and stack deletion."""

from __future__ import annotations

import json

import pytest
from conftest import IRIS, ROOT, iris_parameters

from sagebuild.local.stack import LocalStack
from sagebuild.session import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def local():
    with LocalStack(
        stack_name="life", parameters={"ConfigFramework": "SCIKIT"}, delete_on_exit=True
    ) as local:
        stack = Stack(local.outputs, local.client)
        stack.inbox = stack.subscribe_inbox()
        stack.upload_data(IRIS / "iris.csv", "train/iris/iris.csv")
        local.stack = stack
        yield local


def test_invalid_parameter_document_fails_at_initialize_naming_every_bad_key(local):
    stack = local.stack
    stack.set_parameters(
        {"traininstancecount": "two", "hostinstancetyp": "ml.t2.medium", "channels": "train"}
    )
    _, path, result = stack.run({"reason": "bad params"})
    assert result["status"] == "FAILED"
    assert path == ["Initialize", "Notify Failed", "Run Failed"]
    [note] = stack.notifications(stack.inbox)
    assert note["Subject"] == "sagebuild life run: FAILED"
    for key in (
        "traininstancecount",
        "hostinstancetyp",
        "did you mean 'hostinstancetype'",
        "channels",
    ):
        assert key in note["Message"]
    sagemaker = stack.client("sagemaker")
    assert sagemaker.list_training_jobs()["TrainingJobSummaries"] == []
    assert sagemaker.list_models()["Models"] == []


def test_endpoint_that_never_comes_up_is_deleted_with_its_model_and_config(local):
    stack = local.stack
    broken = stack.upload_source(ROOT / "examples" / "broken_inference", "scripts/broken.tar.gz")
    stack.set_parameters(
        iris_parameters(
            stack.upload_source(IRIS), hostsourcefile=broken, hostentrypoint="inference.py"
        )
    )
    _, path, result = stack.run({"reason": "broken endpoint"})
    assert result["status"] == "FAILED"
    assert "Endpoint Failed" in path and "Clean Up Deploy" in path
    notes = stack.notifications(stack.inbox)
    assert "did not pass the ping health check" in notes[-1]["Message"]
    assert "Cleaned up: endpoint life" in notes[-1]["Message"]
    sagemaker = stack.client("sagemaker")
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert sagemaker.list_models()["Models"] == []


@pytest.mark.slow  # make test-slow (CI runs both): make test stays within 5 minutes
def test_a_stack_update_adds_etl_and_postprocess_hooks_and_merges_parameters(local):
    stack = local.stack
    stack.set_parameters(iris_parameters(stack.upload_source(IRIS)))
    sfn = local.client("stepfunctions")
    role = local.client("iam").create_role(
        RoleName="hooks",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"Service": "states.amazonaws.com"},
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    hook = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    etl = sfn.create_state_machine(name="etl", definition=hook, roleArn=role)["stateMachineArn"]
    post = sfn.create_state_machine(name="post", definition=hook, roleArn=role)["stateMachineArn"]
    local.update(
        {
            "ETLStateMachine": etl,
            "PostProcessStateMachine": post,
            "Parameters": json.dumps({"hostinstancecount": 2}),
        }
    )
    assert stack.get_parameters()["hostinstancecount"] == 2  # merged by Custom::ParameterMerge
    assert stack.get_parameters()["trainentrypoint"] == "train.py"  # the rest kept

    _, path, result = stack.run({"reason": "with hooks"})
    assert result["status"] == "SUCCEEDED", path
    for state in ("Start ETL", "Poll ETL", "Start PostProcess", "Poll PostProcess"):
        assert state in path
    assert path.index("Poll ETL") < path.index("Train?") < path.index("Start PostProcess")
    [etl_run] = sfn.list_executions(stateMachineArn=etl)["executions"]
    sent = json.loads(sfn.describe_execution(executionArn=etl_run["executionArn"])["input"])
    assert sent["run"]["run_number"] == result["output"]["run"]["run_number"]
    stack.notifications(stack.inbox)


def test_a_bad_parameters_document_at_update_is_rejected_and_changes_nothing(local):
    stack = local.stack
    before = stack.get_parameters()
    with pytest.raises(Exception, match="traininstancecount"):
        local.update({"Parameters": json.dumps({"traininstancecount": "many"})})
    assert stack.get_parameters() == before


def test_stack_delete_empties_its_buckets_and_removes_the_endpoint_and_nothing_else(local):
    stack = local.stack
    stack.set_parameters(iris_parameters(stack.upload_source(IRIS)))
    _, _, result = stack.run({"reason": "good"})
    assert result["status"] == "SUCCEEDED"
    s3, sagemaker = stack.client("s3"), stack.client("sagemaker")
    s3.create_bucket(Bucket="not-the-stacks")
    s3.put_object(Bucket="not-the-stacks", Key="keep.txt", Body=b"mine")
    ours = [stack.outputs[k] for k in ("DataBucket", "ArtifactBucket", "CodeBucket")]
    local.delete()
    remaining = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert not set(ours) & remaining
    assert "not-the-stacks" in remaining
    assert s3.get_object(Bucket="not-the-stacks", Key="keep.txt")["Body"].read() == b"mine"
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_models()["Models"] == []
