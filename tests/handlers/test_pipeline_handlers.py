"""Step handlers against moto, in the order the state machine calls them."""

from __future__ import annotations

import json

import boto3
import pytest
from asl_steps import call, run_document
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from conftest import ACCOUNT, REGION, notifications
from domain.errors import InvalidParameters, SilentRollback
from moto.sagemaker.models import sagemaker_backends


def _init(ctx, overrides=None, *, with_data: bool = True) -> dict:
    """Initialize a run; `with_data` puts a file in the default training channel first."""
    if with_data:
        boto3.client("s3").put_object(Bucket="demo-data", Key="train/data.csv", Body=b"1,2\n")
    launch_input = {"trigger": {"source": "sns", "detail": "test"}, "overrides": overrides or {}}
    return call("Initialize", launch_input, ctx)


def test_initialize_builds_the_state_document_with_every_choice_path_set(stack, ctx):
    state = _init(ctx)
    assert state["run"]["run_number"] == 1 and state["run"]["framework"] == "SCIKIT"
    assert "version" not in state["run"]  # allocated when the run deploys
    assert state["flags"] == {
        "etl": False,
        "train": True,
        "tune": False,
        "gate": False,
        "approval": False,
        "build_training_image": False,
        "build_inference_image": False,
        "deploy": True,
        "postprocess": False,
    }
    for key in (
        "etl",
        "training",
        "deployment",
        "postprocess",
        "training_image_build",
        "inference_image_build",
    ):
        assert state[key]["status"] == "NotStarted"
    assert state["context"]["names"]["model"].startswith("demo-r1-")
    assert state["context"]["training_source_uri"] == "s3://demo-code/versions/training/r1.tar.gz"
    body = boto3.client("s3").get_object(Bucket="demo-code", Key="versions/training/r1.tar.gz")
    assert body["Body"].read() == b"tar"


def test_initialize_rejects_a_bad_document_naming_every_bad_key_and_creates_nothing(stack, ctx):
    with pytest.raises(InvalidParameters) as raised:
        _init(ctx, {"traininstancecount": "two", "trainmaxrunn": 3})
    message = str(raised.value)
    assert "traininstancecount" in message and "trainmaxrunn" in message
    listed = boto3.client("s3").list_objects_v2(Bucket="demo-code", Prefix="versions/")
    assert listed.get("KeyCount", 0) == 0


def test_launch_override_train_false_and_build_flags_reach_the_flags(stack, ctx):
    state = _init(ctx, {"train": False, "deployEndpoint": False})
    assert state["flags"]["train"] is False and state["flags"]["deploy"] is False
    # Not training: no training image to build, even for BYOD without a TrainingImage.
    byod = _init(ctx, {"framework": "BYOD", "train": False})
    assert byod["flags"]["build_training_image"] is False
    assert byod["flags"]["build_inference_image"] is True  # BYOD without an InferenceImage
    prebuilt = _init(ctx, {"framework": "BYOD", "InferenceImage": "1.dkr.ecr/x:1"})
    assert prebuilt["flags"]["build_training_image"] is True
    assert prebuilt["flags"]["build_inference_image"] is False  # its image is given
    forced = _init(ctx, {"build": {"Training": False, "Inference": True}})
    assert forced["flags"]["build_training_image"] is False
    assert forced["flags"]["build_inference_image"] is True  # `build` wins over the framework


def test_training_start_and_poll_reports_artifact_and_metrics(stack, ctx):
    state = _init(ctx)
    state["training"] = call("Start Training Job", state, ctx)
    assert state["training"]["status"] == "InProgress" and state["training"]["wait_seconds"] == 30
    job = sagemaker_backends[ACCOUNT][REGION].training_jobs[state["training"]["name"]]
    job.final_metric_data_list = [
        {"MetricName": "accuracy", "Value": 0.9667, "Timestamp": "2026-12-06T12:00:00Z"},
        {"MetricName": "loss", "Value": 1, "Timestamp": "2026-12-06T12:00:00Z"},
    ]
    state["training"] = call("Poll Training Job", state, ctx)
    assert state["training"]["status"] == "Completed"
    assert state["training"]["artifact"].endswith("/output/model.tar.gz")
    assert state["training"]["polls"] == 1
    assert state["training"]["metrics"] == [  # name and value only, every value a float
        {"MetricName": "accuracy", "Value": 0.9667},
        {"MetricName": "loss", "Value": 1.0},
    ]
    assert isinstance(state["training"]["metrics"][1]["Value"], float)


def test_poll_training_maps_stopped_to_stopped_with_the_reason(stack, ctx):
    state = _init(ctx)
    state["training"] = call("Start Training Job", state, ctx)
    job = sagemaker_backends[ACCOUNT][REGION].training_jobs[state["training"]["name"]]
    job.training_job_status, job.failure_reason = "Stopped", "stopped by the user"
    polled = call("Poll Training Job", state, ctx)
    assert polled["status"] == "Stopped" and polled["reason"] == "stopped by the user"


def test_tuning_picks_the_best_jobs_artifact(stack, ctx):
    state = _init(
        ctx,
        {
            "configtrain": "SAGEMAKERHPO",
            "hyperparameters": {"max_depth": {"MinValue": 1, "MaxValue": 5, "integer": True}},
            "tuningobjective": {
                "Name": "accuracy",
                "Type": "Maximize",
                "Regex": "accuracy=([0-9.]+)",
            },
        },
    )
    assert state["flags"]["tune"] is True
    state["training"] = call("Start Tuning Job", state, ctx)
    tuning = sagemaker_backends[ACCOUNT][REGION].hyper_parameter_tuning_jobs[
        state["training"]["name"]
    ]
    tuning.best_training_job = {  # what SageMaker reports once the tuning job completed
        "TrainingJobName": "demo-r1-abc-007-1a2b3c4d",
        "TrainingJobStatus": "Completed",
        "TunedHyperParameters": {"max_depth": "4"},
        "FinalHyperParameterTuningJobObjectiveMetric": {
            "Type": "Maximize",
            "MetricName": "accuracy",
            "Value": 0.97,
        },
    }
    polled = call("Poll Tuning Job", state, ctx)
    assert polled["status"] == "Completed"
    output = state["training"]["output_path"].rstrip("/")
    assert polled["artifact"] == f"{output}/demo-r1-abc-007-1a2b3c4d/output/model.tar.gz"
    assert polled["best_training_job"] == "demo-r1-abc-007-1a2b3c4d"
    assert polled["best_hyperparameters"] == {"max_depth": "4"}
    assert polled["metrics"] == [{"MetricName": "accuracy", "Value": 0.97}]


def _deployable(stack, ctx) -> dict:
    state = _init(ctx)
    state["training"] = call("Start Training Job", state, ctx)
    state["training"] = call("Poll Training Job", state, ctx)
    state["model"] = call("Create Model", state, ctx)
    state["deployment"] = call("Create Endpoint Config", state, ctx)
    return state


def test_model_endpoint_config_and_endpoint_are_created_and_verified(stack, ctx):
    state = _deployable(stack, ctx)
    sm = boto3.client("sagemaker")
    assert (
        sm.describe_model(ModelName=state["model"]["name"])["PrimaryContainer"]["ModelDataUrl"]
        == state["training"]["artifact"]
    )
    state["deployment"] = call("Deploy Endpoint", state, ctx)
    assert state["deployment"]["action"] == "create"
    state["deployment"] = call("Poll Endpoint", state, ctx)
    assert state["deployment"]["status"] == "Completed"
    assert call("Verify Endpoint", state, ctx) == {"verified": True}
    assert call("Record Version", state, ctx) == {"version": 1}
    stored = json.loads(
        boto3.client("ssm").get_parameter(Name="/demo/version")["Parameter"]["Value"]
    )
    assert stored["model_data_url"] == state["training"]["artifact"]
    assert stored["endpoint_config"] == state["deployment"]["endpoint_config"]


def test_existing_endpoint_is_updated_not_recreated(stack, ctx):
    state = _deployable(stack, ctx)
    sm = boto3.client("sagemaker")
    sm.create_endpoint(
        EndpointName="demo", EndpointConfigName=state["deployment"]["endpoint_config"]
    )
    from domain.clients import client

    with Stubber(client("sagemaker")) as stub:
        stub.add_response(
            "describe_endpoint",
            {
                "EndpointName": "demo",
                "EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/demo",
                "EndpointConfigName": "old",
                "EndpointStatus": "InService",
                "CreationTime": "2026-01-01",
                "LastModifiedTime": "2026-01-01",
            },
        )
        stub.add_response(
            "update_endpoint",
            {"EndpointArn": "arn:aws:sagemaker:::endpoint/demo"},
            {"EndpointName": "demo", "EndpointConfigName": state["deployment"]["endpoint_config"]},
        )
        deployed = call("Deploy Endpoint", state, ctx)
    assert deployed["action"] == "update" and deployed["status"] == "InProgress"


def test_verify_catches_the_silent_rollback(stack, ctx):
    state = _deployable(stack, ctx)
    state["deployment"].update(
        status="Completed", current_config="demo-v0-old", reason="health check failed"
    )
    with pytest.raises(SilentRollback, match="runs demo-v0-old instead of .*health check failed"):
        call("Verify Endpoint", state, ctx)


def test_clean_up_deletes_new_model_and_config_but_not_a_serving_endpoint(stack, ctx):
    state = _deployable(stack, ctx)
    sm = boto3.client("sagemaker")
    sm.create_endpoint_config(
        EndpointConfigName="demo-v0-old",
        ProductionVariants=[
            {
                "VariantName": "v0",
                "ModelName": state["model"]["name"],
                "InitialInstanceCount": 1,
                "InstanceType": "ml.t2.medium",
            }
        ],
    )
    sm.create_endpoint(EndpointName="demo", EndpointConfigName="demo-v0-old")
    result = call("Clean Up Deploy", state, ctx)
    assert result["endpoint_status"] == "InService"
    assert sorted(result["deleted"]) == sorted(
        [
            f"endpoint config {state['deployment']['endpoint_config']}",
            f"model {state['model']['name']}",
        ]
    )
    assert sm.describe_endpoint(EndpointName="demo")["EndpointConfigName"] == "demo-v0-old"
    assert call("Clean Up Deploy", state, ctx)["deleted"] == []  # idempotent


def test_find_model_artifact_uses_the_last_version_and_fails_clearly_without_one(stack, ctx):
    from domain.errors import ModelArtifactNotFound

    state = _init(ctx, {"train": False})
    with pytest.raises(ModelArtifactNotFound, match="set the ModelArtifacts parameter"):
        call("Find Model Artifact", state, ctx)
    boto3.client("ssm").put_parameter(
        Name="/demo/version",
        Type="String",
        Overwrite=True,
        Value=json.dumps({"version": 3, "model_data_url": "s3://a/m.tar.gz"}),
    )
    found = call("Find Model Artifact", state, ctx)
    assert found["artifact"] == "s3://a/m.tar.gz" and found["status"] == "Completed"


def test_notify_failed_publishes_the_reason_of_a_run_initialize_refused(stack, ctx):
    state = {
        "trigger": {"source": "sns", "detail": "x"},
        "error": {
            "Error": "InvalidParameters",
            "Cause": json.dumps(
                {
                    "errorMessage": "Invalid parameters: unknown key 'foo'",
                    "errorType": "InvalidParameters",
                }
            ),
        },
    }
    call("Notify Failed", state, ctx)
    [message] = notifications(stack["inbox"])
    assert message["Subject"] == "sagebuild demo run: FAILED"
    body = message["Message"].splitlines()
    assert body[0] == "The run failed at initialize: Invalid parameters: unknown key 'foo'"
    assert "Trigger: sns (x)" in body and "Error: InvalidParameters" in body
    assert message["MessageAttributes"]["outcome"]["Value"] == "failed"
    assert message["MessageAttributes"]["error"]["Value"] == "InvalidParameters"


def test_initialize_names_a_missing_training_code_tarball(stack, ctx):
    boto3.client("s3").delete_object(Bucket="demo-code", Key="scripts/source.tar.gz")
    with pytest.raises(InvalidParameters, match="trainsourcefile: s3://demo-code/scripts/source"):
        _init(ctx)


def _store_parameters(text: str) -> None:
    boto3.client("ssm").put_parameter(
        Name="/demo/params", Value=text, Type="String", Overwrite=True
    )


def test_initialize_names_a_parameter_document_that_is_not_json_and_where(stack, ctx):
    _store_parameters('{"trainsourcefile": "s3://demo-code/scripts/source.tar.gz", train: 1}')
    with pytest.raises(InvalidParameters) as raised:
        _init(ctx)
    assert str(raised.value) == (
        "Invalid parameters: the parameter document /demo/params is not valid JSON: "
        "Expecting property name enclosed in double quotes at line 1, column 61"
    )


def test_initialize_names_a_parameter_document_nested_too_deeply(stack, ctx):
    _store_parameters('{"a": ' + "[" * 3000 + "]" * 3000 + "}")
    with pytest.raises(
        InvalidParameters,
        match="the parameter document /demo/params is not "
        "valid JSON: arrays or objects are nested too deeply",
    ):
        _init(ctx)


def test_initialize_names_a_parameter_document_that_is_not_an_object(stack, ctx):
    _store_parameters("[1, 2]")
    with pytest.raises(InvalidParameters, match="/demo/params must be a JSON object, got an array"):
        _init(ctx)


def test_initialize_fails_a_training_run_whose_default_channel_holds_no_objects(stack, ctx):
    with pytest.raises(InvalidParameters) as raised:
        _init(ctx, with_data=False)
    assert str(raised.value) == (
        "Invalid parameters: the training channel 'training' has no data: "
        "s3://demo-data/train/ holds no objects; upload the data there (`sagebuild "
        "upload-data` does it for the stack's data bucket) or point channels.training at data"
    )


def test_initialize_names_every_configured_channel_without_data(stack, ctx):
    s3 = boto3.client("s3")
    s3.put_object(Bucket="demo-data", Key="iris/train/part-0.csv", Body=b"1")
    channels = {
        "train": {"path": "iris/train/"},
        "validation": {"path": "iris/validation/"},
        "test": {"uri": "s3://demo-artifacts/test/"},
    }
    with pytest.raises(InvalidParameters) as raised:
        _init(ctx, {"channels": channels}, with_data=False)
    problems = raised.value.problems
    assert [p.split(" has no data: ")[0] for p in problems] == [
        "the training channel 'validation'",
        "the training channel 'test'",
    ]
    assert "s3://demo-data/iris/validation/ holds no objects" in problems[0]
    assert "s3://demo-artifacts/test/ holds no objects" in problems[1]
    s3.put_object(Bucket="demo-data", Key="iris/validation/part-0.csv", Body=b"1")
    s3.put_object(Bucket="demo-artifacts", Key="test/part-0.csv", Body=b"1")
    assert _init(ctx, {"channels": channels}, with_data=False)["flags"]["train"] is True


def test_initialize_fails_a_channel_in_a_bucket_that_does_not_exist(stack, ctx):
    channels = {"train": {"uri": "s3://no-such-bucket-here/train/"}}
    with pytest.raises(InvalidParameters, match="s3://no-such-bucket-here/train/ holds no"):
        _init(ctx, {"channels": channels})


def _deny_listing(monkeypatch, bucket: str) -> None:
    """ListObjectsV2 on `bucket` answers AccessDenied (moto does not enforce IAM)."""
    from domain.clients import client

    s3 = client("s3")
    real = s3.list_objects_v2

    def list_objects_v2(**request):
        if request["Bucket"] == bucket:
            error = {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
            raise ClientError(error, "ListObjectsV2")
        return real(**request)

    monkeypatch.setattr(s3, "list_objects_v2", list_objects_v2)


def test_initialize_skips_the_data_check_for_a_bucket_outside_the_stack_it_may_not_list(
    stack, ctx, monkeypatch
):
    _deny_listing(monkeypatch, "someone-elses-data")
    channels = {"train": {"uri": "s3://someone-elses-data/train/"}}
    state = _init(ctx, {"channels": channels}, with_data=False)
    assert state["run"]["run_number"] == 1


def test_initialize_raises_access_denied_on_the_stacks_own_data_bucket(stack, ctx, monkeypatch):
    _deny_listing(monkeypatch, "demo-data")
    with pytest.raises(ClientError, match="AccessDenied"):
        _init(ctx)


def test_initialize_without_training_does_not_need_data(stack, ctx):
    state = _init(ctx, {"train": False}, with_data=False)
    assert state["flags"]["train"] is False


def test_every_run_gets_a_run_number_and_only_a_deploy_gets_a_version(stack, ctx):
    first, second = _init(ctx), _init(ctx)
    assert (first["run"]["run_number"], second["run"]["run_number"]) == (1, 2)
    boto3.client("ssm").put_parameter(
        Name="/demo/version", Value=json.dumps({"version": 6}), Type="String", Overwrite=True
    )
    second["training"] = call("Start Training Job", second, ctx)
    second["training"] = call("Poll Training Job", second, ctx)
    second["model"] = call("Create Model", second, ctx)
    assert second["model"]["name"].startswith("demo-r2-")
    second["deployment"] = call("Create Endpoint Config", second, ctx)
    # The counter starts above the version record of a stack older than the run table.
    assert second["deployment"]["version"] == 7
    assert second["deployment"]["endpoint_config"].startswith("demo-v7-")
    config = boto3.client("sagemaker").describe_endpoint_config(
        EndpointConfigName=second["deployment"]["endpoint_config"]
    )
    assert config["ProductionVariants"][0]["VariantName"] == "v7"
    third = _init(ctx)
    third["model"] = second["model"]
    assert call("Create Endpoint Config", third, ctx)["version"] == 8
    assert third["run"]["run_number"] == 3


def test_the_run_state_fixture_is_the_document_initialize_returns(stack, ctx):
    """tests/events/steps/run_state.json (asl_steps.run_document) may not drift from Initialize."""
    state = _init(ctx)
    fixture = run_document(run={"started_at": state["run"]["started_at"]})
    assert state == fixture
