"""Hook and image-build handlers against moto, and the quality gate handler."""

from __future__ import annotations

import json

import boto3
import pytest
from asl_steps import call
from test_pipeline_handlers import _init

HOOK = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


@pytest.fixture
def hooks(stack, monkeypatch):
    from handlers.common import get_settings

    sfn = boto3.client("stepfunctions")
    role = "arn:aws:iam::123456789012:role/hook"
    arns = {
        name: sfn.create_state_machine(name=name, definition=HOOK, roleArn=role)["stateMachineArn"]
        for name in ("etl", "post")
    }
    monkeypatch.setenv("ETL_STATE_MACHINE", arns["etl"])
    monkeypatch.setenv("POSTPROCESS_STATE_MACHINE", arns["post"])
    get_settings.cache_clear()
    return arns


def test_initialize_turns_the_hooks_on_when_the_stack_names_them(hooks, ctx):
    flags = _init(ctx)["flags"]
    assert flags["etl"] is True and flags["postprocess"] is True


def test_start_hook_passes_the_run_to_the_users_state_machine_and_poll_follows_it(hooks, ctx):
    state = _init(ctx)
    state["etl"] = call("Start ETL", state, ctx)
    assert state["etl"]["status"] == "InProgress" and state["etl"]["hook"] == "etl"
    described = boto3.client("stepfunctions").describe_execution(executionArn=state["etl"]["name"])
    sent = json.loads(described["input"])
    assert sent["run"]["run_number"] == 1 and "config" in sent and "context" in sent
    polled = call("Poll ETL", state, ctx)
    assert polled["status"] in ("InProgress", "Completed") and polled["polls"] == 1


def test_a_failed_hook_reports_its_error_and_cause(hooks, ctx):
    from moto.stepfunctions.models import stepfunctions_backends

    state = _init(ctx)
    state["postprocess"] = call("Start PostProcess", state, ctx)
    backend = stepfunctions_backends["123456789012"]["us-east-1"]
    execution = backend.describe_execution(state["postprocess"]["name"])
    execution.status, execution.error, execution.cause = "FAILED", "Oops", "the hook broke"
    polled = call("Poll PostProcess", state, ctx)
    assert polled["status"] == "Failed" and polled["reason"] == "Oops the hook broke"


def test_image_build_starts_codebuild_with_the_runs_tag_and_dockerfile(stack, ctx):
    from botocore.stub import Stubber
    from domain.clients import client

    state = _init(ctx, {"framework": "BYOD"})
    assert state["flags"]["build_training_image"] is True
    build_id = "demo-image-build:0001"
    with Stubber(client("codebuild")) as stub:
        stub.add_response(
            "start_build",
            {"build": {"id": build_id, "buildStatus": "IN_PROGRESS"}},
            {
                "projectName": "demo-image-build",
                "environmentVariablesOverride": [
                    {"name": "IMAGE_TAG", "value": "training-r1", "type": "PLAINTEXT"},
                    {"name": "IMAGE_KIND", "value": "training", "type": "PLAINTEXT"},
                    {
                        "name": "DOCKERFILE_PATH",
                        "value": state["config"]["dockerfile_path_Training"],
                        "type": "PLAINTEXT",
                    },
                ],
            },
        )
        job = call("Start Training Image Build", state, ctx)
        state["training_image_build"] = job
        stub.add_response(
            "batch_get_builds",
            {
                "builds": [
                    {
                        "id": build_id,
                        "buildStatus": "FAILED",
                        "phases": [
                            {
                                "phaseType": "BUILD",
                                "phaseStatus": "FAILED",
                                "contexts": [
                                    {"message": "COMMAND_EXECUTION_ERROR: docker build exit 1"}
                                ],
                            }
                        ],
                    }
                ]
            },
            {"ids": [build_id]},
        )
        polled = call("Poll Training Image Build", state, ctx)
    assert job["image"].endswith("/demo:training-r1") and job["status"] == "InProgress"
    assert polled["status"] == "Failed"
    assert polled["reason"] == "phase BUILD FAILED: COMMAND_EXECUTION_ERROR: docker build exit 1"


def test_quality_gate_handler_compares_with_the_live_versions_recorded_metric(stack, ctx):
    boto3.client("ssm").put_parameter(
        Name="/demo/version",
        Type="String",
        Overwrite=True,
        Value=json.dumps(
            {
                "version": 3,
                "endpoint_config": "demo-v3-x",
                "metrics": [{"MetricName": "accuracy", "Value": 0.97}],
            }
        ),
    )
    state = _init(ctx, {"deploygate": {"MetricName": "accuracy", "MinImprovement": 0}})
    assert state["flags"]["gate"] is True
    state["training"]["metrics"] = [{"MetricName": "accuracy", "Value": 0.98}]
    assert call("Check Quality Gate", state, ctx)["live_value"] == 0.97
    state["training"]["metrics"] = [{"MetricName": "accuracy", "Value": 0.9}]
    from domain.errors import QualityGateFailed

    with pytest.raises(QualityGateFailed, match="live version's 0.97"):
        call("Check Quality Gate", state, ctx)


def test_configure_autoscaling_scales_the_new_variant_and_forgets_the_old_one(stack, ctx):
    from asl_steps import call

    scaling = boto3.client("application-autoscaling")
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="endpoint/demo/variant/v4",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=1,
        MaxCapacity=2,
    )
    state = _init(ctx, {"autoscaling": {"MinCapacity": 1, "MaxCapacity": 3}})
    state["deployment"] = {
        "name": "demo",
        "version": 5,
        "previous_config": "demo-v4-abcdef",
        "endpoint_config": "demo-v5-123456",
        "status": "Completed",
    }
    result = call("Configure Autoscaling", state, ctx)
    assert result == {
        "scaled": True,
        "resource_id": "endpoint/demo/variant/v5",
        "min": 1,
        "max": 3,
        "removed": ["v4"],
    }
    targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [t["ResourceId"] for t in targets] == ["endpoint/demo/variant/v5"]
    without = {**state, "config": {**state["config"], "autoscaling": None}}
    assert call("Configure Autoscaling", without, ctx) == {"scaled": False, "removed": []}


def test_configure_autoscaling_does_nothing_for_a_run_that_did_not_deploy(stack, ctx):
    from asl_steps import call

    state = _init(ctx, {"deployEndpoint": False, "autoscaling": {"MaxCapacity": 3}})
    assert call("Configure Autoscaling", state, ctx) == {"scaled": False, "removed": []}
