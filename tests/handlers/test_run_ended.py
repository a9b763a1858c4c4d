"""Run Ended: what a failed, stopped or timed-out run left running is stopped, and said.

The tuning job and the image build answer through botocore's Stubber (a status sequence);
the nested ETL execution is a real moto execution, stopped for real.
"""

from __future__ import annotations

import json

import boto3
from asl_steps import run_document
from botocore.stub import ANY, Stubber
from conftest import notifications
from domain.state import RunState

WAIT = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
ROLE = "arn:aws:iam::123456789012:role/sfn"
BUILD = "demo-image-build:1f2e3d"
TUNING_ARN = "arn:aws:sagemaker:us-east-1:1:hyper-parameter-tuning-job/demo-r7-abc"


def _state(**replaced: object) -> RunState:
    """The last state document of a run that was tuning while its inference image built."""
    document = run_document(
        run={"run_number": 7, "execution": "sns-m1"},
        context={"names": {"training_job": "demo-r7-abc", "tuning_job": "demo-r7-abc"}},
        training={"name": "demo-r7-abc", "kind": "tuning", "status": "InProgress"},
        inference_image_build={"name": BUILD, "status": "InProgress"},
    )
    document.update(replaced)  # whole records, as a later step would leave them
    return RunState.from_dict(document)


def test_a_stopped_run_has_its_tuning_job_image_build_and_etl_execution_stopped(stack, ctx):
    from domain.clients import client
    from domain.stopping import EndedRun, hook_execution_arn, stop_run_work
    from handlers.common import aws

    sfn = boto3.client("stepfunctions")
    etl = sfn.create_state_machine(name="etl", definition=WAIT, roleArn=ROLE)["stateMachineArn"]
    nested = sfn.start_execution(stateMachineArn=etl, name="sns-m1-etl")["executionArn"]
    assert nested == hook_execution_arn(etl, "sns-m1", "etl")
    run = EndedRun("arn:aws:states:us-east-1:123456789012:execution:pipeline:sns-m1", "ABORTED")
    with Stubber(client("sagemaker")) as sagemaker, Stubber(client("codebuild")) as codebuild:
        # What SageMaker answers for a training job that does not exist (aws/aws-sdk#165):
        # the tuning run's derived training job name was never used.
        sagemaker.add_client_error(
            "describe_training_job", "ValidationException", "Requested resource not found."
        )
        sagemaker.add_response(
            "describe_hyper_parameter_tuning_job",
            {
                "HyperParameterTuningJobName": "demo-r7-abc",
                "HyperParameterTuningJobArn": TUNING_ARN,
                "HyperParameterTuningJobConfig": {
                    "Strategy": "Bayesian",
                    "ResourceLimits": {"MaxParallelTrainingJobs": 1},
                },
                "HyperParameterTuningJobStatus": "InProgress",
                "CreationTime": "2026-01-01",
                "TrainingJobStatusCounters": {},
                "ObjectiveStatusCounters": {},
            },
            {"HyperParameterTuningJobName": "demo-r7-abc"},
        )
        sagemaker.add_response(
            "stop_hyper_parameter_tuning_job", {}, {"HyperParameterTuningJobName": "demo-r7-abc"}
        )
        codebuild.add_response(
            "batch_get_builds",
            {"builds": [{"id": BUILD, "buildStatus": "IN_PROGRESS"}]},
            {"ids": [BUILD]},
        )
        codebuild.add_response("stop_build", {"build": {"id": BUILD}}, {"id": BUILD})
        stopped = stop_run_work(run, _state(), aws, {"etl": etl, "postprocess": ""})
        sagemaker.assert_no_pending_responses()
        codebuild.assert_no_pending_responses()
    assert stopped == [
        "tuning job demo-r7-abc",
        f"image build {BUILD}",
        "etl execution sns-m1-etl",
    ]
    assert sfn.describe_execution(executionArn=nested)["status"] == "ABORTED"


def test_a_succeeded_run_stops_nothing_and_a_failed_one_only_what_still_runs(stack, ctx):
    from domain.clients import client
    from domain.stopping import EndedRun, stop_run_work
    from handlers.common import aws

    arn = "arn:aws:states:us-east-1:123456789012:execution:pipeline:sns-m1"
    assert stop_run_work(EndedRun(arn, "SUCCEEDED"), _state(), aws, {}) == []
    state = _state(
        training={"name": "demo-r7-abc", "status": "Failed"},
        inference_image_build={"name": BUILD, "status": "Completed"},
    )
    with Stubber(client("sagemaker")) as sagemaker, Stubber(client("codebuild")) as codebuild:
        sagemaker.add_response(
            "describe_training_job",
            {
                "TrainingJobName": "demo-r7-abc",
                "TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/demo-r7-abc",
                "ModelArtifacts": {"S3ModelArtifacts": ""},
                "TrainingJobStatus": "Failed",
                "SecondaryStatus": "Failed",
                "AlgorithmSpecification": {"TrainingInputMode": "File"},
                "ResourceConfig": {"VolumeSizeInGB": 1},
                "StoppingCondition": {},
                "CreationTime": "2026-01-01",
            },
            {"TrainingJobName": ANY},
        )
        sagemaker.add_client_error(
            "describe_hyper_parameter_tuning_job", "ResourceNotFound", "not found"
        )
        codebuild.add_response(
            "batch_get_builds", {"builds": [{"id": BUILD, "buildStatus": "SUCCEEDED"}]}
        )
        assert stop_run_work(EndedRun(arn, "FAILED"), state, aws, {}) == []


def test_run_ended_on_an_event_that_is_no_status_event_only_advances_the_queue(
    stack, ctx, monkeypatch
):
    from handlers import run_ended
    from handlers.common import get_settings

    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(name="pipeline", definition=WAIT, roleArn=ROLE)
    monkeypatch.setenv("STATE_MACHINE_ARN", machine["stateMachineArn"])
    get_settings.cache_clear()
    assert run_ended.handler({"unexpected": True}, ctx) == {"stopped": [], "next": "idle"}
    assert notifications(stack["inbox"]) == []
