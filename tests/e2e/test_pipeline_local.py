"""The whole pipeline on one local stack, run after run, as a user would drive it.

The tests share one stack (module scope) but pass alone and in any order: a test that needs
a version serving asks the `serving` fixture, which makes one when the stack has none (the
failure tests check that this version keeps serving), and every number a test checks is
measured by the test itself (the version counter before the run, the run's own number).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import IRIS, ROOT, iris_parameters, zip_directory
from helpers import run_table_counter, state_output

from sagebuild.local.stack import LocalStack
from sagebuild.session import Stack

pytestmark = pytest.mark.e2e
SOURCE_BUCKET = "e2e-build-source"
DATA_KEY = "train/iris/iris.csv"
ROWS = np.loadtxt(IRIS / "iris.csv", delimiter=",")


@pytest.fixture(scope="module")
def stack():
    parameters = {
        "ConfigFramework": "SCIKIT",
        "BucketTriggerBuild": "True",
        "RetrainSchedule": "rate(7 days)",
        "ExternalCodeBucket": f"{SOURCE_BUCKET}/byod.zip",
    }
    with LocalStack(stack_name="e2e", parameters=parameters) as local:
        stack = Stack(local.outputs, local.client)
        stack.local = local
        stack.inbox = stack.subscribe_inbox()
        stack.set_parameters(iris_parameters(stack.upload_source(IRIS)))  # no run: code bucket
        yield stack


@pytest.fixture(autouse=True)
def inbox(stack) -> str:
    """The status inbox, emptied of what earlier tests left: a test reads only its own."""
    stack.notifications(stack.inbox)
    return stack.inbox


def _has_data(stack: Stack) -> bool:
    listed = stack.client("s3").list_objects_v2(Bucket=stack.outputs["DataBucket"], Prefix=DATA_KEY)
    return listed.get("KeyCount", 0) > 0


def _serves_a_scikit_model(stack: Stack, record: dict) -> bool:
    """The last version is a SCIKIT model (what the stored parameters can serve again)."""
    if not record.get("model"):
        return False
    model = stack.client("sagemaker").describe_model(ModelName=record["model"])
    return "sagemaker-scikit-learn" in model["PrimaryContainer"]["Image"]


def _upload_data_and_follow(stack: Stack) -> tuple[list[str], dict]:
    """Upload the iris data (the bucket trigger starts a run with the stored parameters)."""
    known = {e["executionArn"] for e in stack.executions()}
    stack.upload_data(IRIS / "iris.csv", DATA_KEY)
    return _follow(stack, known)


def _ensure_serving(stack: Stack, *, scikit: bool = False) -> dict:
    record = stack.last_version()
    if (
        record.get("version")
        and _has_data(stack)
        and (not scikit or _serves_a_scikit_model(stack, record))
    ):
        return record
    stack.set_parameters(iris_parameters(stack.upload_source(IRIS)))
    path, result = _upload_data_and_follow(stack)
    assert result["status"] == "SUCCEEDED", path
    stack.notifications(stack.inbox)
    return stack.last_version()


@pytest.fixture
def serving(stack) -> dict:
    """The iris data is in the data bucket and a version serves: its version record.

    Made here, by a data upload and the run it starts, when the stack has none yet.
    """
    return _ensure_serving(stack)


@pytest.fixture
def serving_scikit(stack) -> dict:
    """As `serving`, and the version serving is a SCIKIT model the stored parameters serve."""
    return _ensure_serving(stack, scikit=True)


def _run_number(stack: Stack, execution_arn: str) -> int:
    """The run number Initialize gave a run (failed runs have no output to read it from)."""
    return int(state_output(stack, execution_arn, "Initialize")["run"]["run_number"])


def _accuracy(stack: Stack) -> float:
    sample = ROWS[::5]
    predicted = np.asarray(stack.predict(sample[:, 1:].tolist())).astype(float).round()
    return float((predicted.ravel() == sample[:, 0]).mean())


def _serving_config(stack: Stack) -> str:
    return stack.client("sagemaker").describe_endpoint(
        EndpointName=stack.outputs["SageMakerEndpoint"]
    )["EndpointConfigName"]


def _last_notification(stack: Stack) -> dict:
    notes = stack.notifications(stack.inbox)
    assert notes, "no notification arrived"
    return notes[-1]


def _follow(stack: Stack, known: set[str]) -> tuple[list[str], dict]:
    arn = stack.wait_for_execution(known)
    path = [name for name, _ in stack.follow(arn, timeout=240)]
    return path, stack.run_result(arn)


def test_data_upload_to_the_data_bucket_starts_a_scikit_run_that_serves(stack):
    stack.set_parameters(iris_parameters(stack.upload_source(IRIS)))
    runs, versions = run_table_counter(stack, "run"), run_table_counter(stack, "version")
    path, result = _upload_data_and_follow(stack)
    assert result["status"] == "SUCCEEDED", path
    assert path[:2] == ["Initialize", "Notify Started"] and path[-1] == "Run Succeeded"
    assert result["output"]["run"]["trigger"]["source"] == "s3"
    assert {"MetricName": "accuracy", "Value": pytest.approx(0.9667, abs=0.01)} in result["output"][
        "training"
    ]["metrics"]
    assert _accuracy(stack) > 0.9
    run, version = runs + 1, versions + 1
    assert result["output"]["run"]["run_number"] == run
    assert result["output"]["deployment"]["version"] == version
    subjects = [n["Subject"] for n in stack.notifications(stack.inbox)]
    assert subjects == [
        f"sagebuild e2e run {run}: started",
        f"sagebuild e2e run {run} v{version}: succeeded",
    ]


def test_a_second_run_deploys_a_new_version_to_the_same_endpoint(stack, serving):
    before = _serving_config(stack)
    version = run_table_counter(stack, "version") + 1
    _, _, result = stack.run(
        {
            "reason": "second",
            "hyperparameters": {"max_depth": 2},
            "autoscaling": {"MinCapacity": 1, "MaxCapacity": 3},
        }
    )
    assert result["status"] == "SUCCEEDED"
    after = _serving_config(stack)
    assert after != before and f"-v{version}-" in after
    assert result["output"]["deployment"]["version"] == version
    assert result["output"]["deployment"]["action"] == "update"
    targets = stack.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )["ScalableTargets"]
    assert [(t["ResourceId"], t["MaxCapacity"]) for t in targets] == [
        (f"endpoint/e2e/variant/v{version}", 3)
    ]
    assert _accuracy(stack) > 0.85


def test_the_retraining_schedule_starts_a_run(stack, serving):
    known = {e["executionArn"] for e in stack.executions()}
    [sent] = stack.local.fire_schedule()
    assert sent["input"]["detail-type"] == "Scheduled Event"
    path, result = _follow(stack, known)
    assert result["status"] == "SUCCEEDED", path
    assert result["output"]["run"]["trigger"] == {
        "source": "schedule",
        "detail": "retraining schedule",
    }


def test_failed_training_names_the_reason_and_leaves_the_endpoint_serving(stack, serving):
    before = _serving_config(stack)
    models_before = stack.client("sagemaker").list_models()["Models"]
    versions = run_table_counter(stack, "version")
    arn, path, result = stack.run({"hyperparameters": {"model": "no-such-model"}})
    assert result["status"] == "FAILED" and "Training Failed" in path
    note = _last_notification(stack)
    assert note["Subject"] == f"sagebuild e2e run {_run_number(stack, arn)}: FAILED"
    assert run_table_counter(stack, "version") == versions  # no deploy: no version used
    assert "The run failed at training" in note["Message"] and "no-such-model" in note["Message"]
    assert _serving_config(stack) == before
    assert stack.client("sagemaker").list_models()["Models"] == models_before
    assert _accuracy(stack) > 0.85


def test_a_model_below_the_deploy_gate_is_not_deployed(stack, serving):
    before = _serving_config(stack)
    models_before = stack.client("sagemaker").list_models()["Models"]
    _, path, result = stack.run(
        {
            "hyperparameters": {"max_depth": 1},
            "deploygate": {"MetricName": "accuracy", "Threshold": 0.9},
        }
    )
    assert result["status"] == "FAILED"
    assert path[-4:] == ["Quality Gate?", "Check Quality Gate", "Notify Failed", "Run Failed"]
    note = _last_notification(stack)
    assert "The run failed at the deploy gate: accuracy = " in note["Message"]
    assert "below the deploy gate's threshold 0.9" in note["Message"]
    assert _serving_config(stack) == before
    assert stack.client("sagemaker").list_models()["Models"] == models_before


def _configs(stack: Stack) -> set[str]:
    listed = stack.client("sagemaker").list_endpoint_configs()["EndpointConfigs"]
    return {c["EndpointConfigName"] for c in listed}


def test_broken_inference_code_is_rolled_back_and_cleaned_up_while_the_old_version_serves(
    stack, serving
):
    before = _serving_config(stack)
    configs_before = _configs(stack)
    broken = stack.upload_source(ROOT / "examples" / "broken_inference", "scripts/broken.tar.gz")
    _, path, result = stack.run({"hostsourcefile": broken, "hostentrypoint": "inference.py"})
    assert result["status"] == "FAILED"
    assert path[-4:] == ["Verify Endpoint", "Clean Up Deploy", "Notify Failed", "Run Failed"]
    note = _last_notification(stack)
    assert "SageMaker rolled the update back" in note["Message"]
    assert "Cleaned up: endpoint config" in note["Message"]
    assert _serving_config(stack) == before
    assert _configs(stack) == configs_before  # the failed version's config was deleted
    assert _accuracy(stack) > 0.85


@pytest.mark.slow  # make test-slow (CI runs both): make test stays within 5 minutes
def test_hpo_runs_training_jobs_and_deploys_the_best(stack, serving):
    _, path, result = stack.run(
        {
            "configtrain": "SAGEMAKERHPO",
            "maxtrainingjobs": 3,
            "maxparalleltrainingjobs": 1,
            # max_depth 1 cannot separate three classes (accuracy 2/3): the search space holds
            # only depths that can, so the served model's accuracy does not depend on the draw.
            "hyperparameters": {"max_depth": {"MinValue": 2, "MaxValue": 4, "integer": True}},
            "tuningobjective": {
                "Name": "accuracy",
                "Type": "Maximize",
                "Regex": "accuracy=([0-9.]+)",
            },
        }
    )
    assert result["status"] == "SUCCEEDED", path
    assert "Start Tuning Job" in path and "Start Training Job" not in path
    training = result["output"]["training"]
    assert training["counters"]["Completed"] == 3
    assert training["best_training_job"] in training["artifact"]
    sagemaker = stack.client("sagemaker")
    jobs = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=training["name"]
    )["TrainingJobSummaries"]
    objectives = {
        job["TrainingJobName"]: job["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
        for job in jobs
    }
    assert len(objectives) == 3
    assert objectives[training["best_training_job"]] == max(objectives.values())
    assert _accuracy(stack) > 0.85


def test_a_run_without_training_redeploys_the_last_versions_artifact(stack, serving_scikit):
    trainings = len(
        stack.client("sagemaker").list_training_jobs(MaxResults=100)["TrainingJobSummaries"]
    )
    last = stack.last_version()
    version = run_table_counter(stack, "version") + 1
    _, path, result = stack.run({"train": False, "reason": "redeploy"})
    assert result["status"] == "SUCCEEDED", path
    assert "Find Model Artifact" in path and "Start Training Job" not in path
    assert result["output"]["model"]["model_data_url"] == last["model_data_url"]
    assert result["output"]["deployment"]["version"] == version
    assert stack.last_version()["version"] == version
    assert (
        len(stack.client("sagemaker").list_training_jobs(MaxResults=100)["TrainingJobSummaries"])
        == trainings
    )
    assert _serving_config(stack) == result["output"]["deployment"]["endpoint_config"]
    assert _accuracy(stack) > 0.85


@pytest.mark.slow  # make test-slow (CI runs both): make test stays within 5 minutes
def test_amazon_builtin_xgboost_trains_and_serves(stack, serving):
    _, path, result = stack.run(
        {
            "framework": "AMAZON",
            "algorithm": "xgboost",
            "trainsourcefile": None,
            "trainentrypoint": None,
            "configtrain": "SAGEMAKER",
            "hyperparameters": {
                "num_round": 20,
                "objective": "multi:softmax",
                "num_class": 3,
                "max_depth": 3,
            },
            "metrics": [],
            "channels": {"train": {"path": "train/iris", "ContentType": "text/csv"}},
        }
    )
    assert result["status"] == "SUCCEEDED", (path, result)
    assert (
        "sagemaker-xgboost"
        in stack.client("sagemaker").describe_model(ModelName=result["output"]["model"]["name"])[
            "PrimaryContainer"
        ]["Image"]
    )
    assert _accuracy(stack) > 0.85


@pytest.mark.slow  # make test-slow (CI runs both): make test stays within 5 minutes
def test_xgboost_script_mode_trains_the_users_script_and_serves_it(stack, serving):
    source = stack.upload_source(ROOT / "examples" / "xgboost", "scripts/xgboost.tar.gz")
    _, path, result = stack.run(
        {
            "framework": "XGBOOST",
            "trainsourcefile": source,
            "trainentrypoint": "train.py",
            "configtrain": "SAGEMAKER",
            "hyperparameters": {"num_round": 20, "max_depth": 3},
            "metrics": [{"Name": "validation:merror", "Regex": "validation-merror=([0-9.]+)"}],
            "channels": {"train": {"path": "train/iris"}},
        }
    )
    assert result["status"] == "SUCCEEDED", (path, result)
    [metric] = result["output"]["training"]["metrics"]
    assert metric["MetricName"] == "validation:merror" and metric["Value"] < 0.15
    assert _accuracy(stack) > 0.85


def _byod_run(stack: Stack, **overrides) -> tuple[list[str], dict]:
    """A BYOD run whose image builds read examples/byod from the ExternalCodeBucket."""
    s3 = stack.client("s3")
    if SOURCE_BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=SOURCE_BUCKET)
    s3.put_object(
        Bucket=SOURCE_BUCKET, Key="byod.zip", Body=zip_directory(ROOT / "examples" / "byod")
    )
    document = {
        "framework": "BYOD",
        "channels": {"train": {"path": "train/iris"}},
        "dockerfile_path_Training": ".",
        "dockerfile_path_Inference": ".",
        **overrides,
    }
    _, path, result = stack.run({"overrides": document, "reason": "byod"})
    return path, result


def test_byod_builds_the_images_without_docker_then_trains_and_serves(stack, serving):
    path, result = _byod_run(stack)
    assert result["status"] == "SUCCEEDED", (path, result["output"])
    for state in (
        "Start Training Image Build",
        "Start Inference Image Build",
        "Start Training Job",
        "Deploy Endpoint",
    ):
        assert state in path
    image = stack.client("sagemaker").describe_model(ModelName=result["output"]["model"]["name"])[
        "PrimaryContainer"
    ]["Image"]
    assert image.endswith(":inference-r" + str(result["output"]["run"]["run_number"]))
    assert _accuracy(stack) > 0.85


def test_failed_image_build_fails_the_run_before_training(stack, serving):
    before = _serving_config(stack)
    path, result = _byod_run(stack, dockerfile_path_Training="no/such/dir")
    assert result["status"] == "FAILED"
    assert "Training Image Build Failed" in path and "Start Training Job" not in path
    note = _last_notification(stack)
    assert "training image build" in note["Message"]
    assert _serving_config(stack) == before


@pytest.mark.slow  # the handler tier and test_run_integrity_local cover it in make test
def test_triggers_during_a_run_are_queued_and_run_after_it(stack, serving):
    stack.set_parameters(iris_parameters(stack.upload_source(IRIS)))  # what the queued runs use
    known = {e["executionArn"] for e in stack.executions()}
    stack.publish_launch({"reason": "first"})
    first = stack.wait_for_execution(known)
    stack.publish_launch({"reason": "queued one"})
    stack.publish_launch(json.dumps({"reason": "queued two"}))
    for _ in stack.follow(first, timeout=240):
        pass
    second = stack.wait_for_execution(known | {first}, timeout=60)
    for _ in stack.follow(second, timeout=240):
        pass
    result = stack.run_result(second)
    assert result["status"] == "SUCCEEDED"
    assert result["output"]["run"]["trigger"]["source"] == "queued"
    assert "queued one" in result["output"]["run"]["trigger"]["detail"]
    # Every trigger was taken by one of the two runs: nothing is left to start a third.
    triggers = stack.client("dynamodb").query(
        TableName=stack.outputs["RunTable"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "trigger"}},
    )["Items"]
    assert {item["state"]["S"] for item in triggers} == {"run"}
    assert len(stack.executions()) == len(known) + 2
