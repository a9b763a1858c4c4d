"""The CreateTrainingJob request of a run."""

from __future__ import annotations

from typing import Any

from domain.config import Config
from domain.context import RunContext
from domain.requests import common
from domain.requests.registry import builder_for


def checkpoint_uri(ctx: RunContext, job_name: str) -> str:
    return f"s3://{ctx.resources.checkpoint_bucket}/{job_name}/checkpoints"


def training_job_request(ctx: RunContext, config: Config) -> dict[str, Any]:
    """The exact request of SageMaker CreateTrainingJob.

    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html
    """
    builder = builder_for(config.framework)
    job = ctx.names.training_job
    request: dict[str, Any] = {
        "TrainingJobName": job,
        "RoleArn": ctx.resources.training_role_arn,
        "AlgorithmSpecification": common.algorithm_specification(
            builder, ctx, config, common.metric_definitions(config)
        ),
        "HyperParameters": builder.hyperparameters(ctx, config, config.hyperparameters, job),
        "InputDataConfig": common.input_data_config(ctx, config),
        "OutputDataConfig": common.output_data_config(ctx),
        "ResourceConfig": common.resource_config(config),
        "StoppingCondition": common.stopping_condition(config),
        "CheckpointConfig": {"S3Uri": checkpoint_uri(ctx, job)},
        "Tags": common.tags(ctx, config),
    }
    if config.spot:
        request["EnableManagedSpotTraining"] = True
    return request
