"""The CreateHyperParameterTuningJob request of a run, and where its best model lies."""

from __future__ import annotations

from typing import Any

from domain.config import Config
from domain.context import RunContext
from domain.errors import TuningFailed
from domain.requests import common
from domain.requests.registry import builder_for


def _parameter_ranges(config: Config, categorical: Any) -> dict[str, list[dict[str, Any]]]:
    ranges: dict[str, list[dict[str, Any]]] = {
        "IntegerParameterRanges": [],
        "ContinuousParameterRanges": [],
        "CategoricalParameterRanges": [],
    }
    for item in config.ranges:  # parsed once, when the config was built
        if item.kind == "Categorical":
            ranges["CategoricalParameterRanges"].append(
                {"Name": item.name, "Values": [categorical(v) for v in item.values]}
            )
            continue
        entry = {
            "Name": item.name,
            "MinValue": common.encode_number(item.min_value),
            "MaxValue": common.encode_number(item.max_value),
        }
        if item.scaling:
            entry["ScalingType"] = item.scaling
        ranges[f"{item.kind}ParameterRanges"].append(entry)
    return {kind: found for kind, found in ranges.items() if found}


def _tuning_metrics(config: Config) -> list[dict[str, Any]]:
    metrics = common.metric_definitions(config)
    objective = config.tuningobjective
    if objective and objective.Regex and objective.Name not in {m["Name"] for m in metrics}:
        metrics.append({"Name": objective.Name, "Regex": objective.Regex})
    return metrics


def tuning_job_request(ctx: RunContext, config: Config) -> dict[str, Any]:
    """The exact request of SageMaker CreateHyperParameterTuningJob (Bayesian strategy).

    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateHyperParameterTuningJob.html
    """
    if config.tuningobjective is None:
        raise ValueError("a tuning job needs tuningobjective (parse_config checks this)")
    builder = builder_for(config.framework)
    job = ctx.names.tuning_job
    definition: dict[str, Any] = {
        "AlgorithmSpecification": common.algorithm_specification(
            builder, ctx, config, _tuning_metrics(config)
        ),
        "RoleArn": ctx.resources.training_role_arn,
        "StaticHyperParameters": builder.hyperparameters(
            ctx, config, config.static_hyperparameters(), job
        ),
        "InputDataConfig": common.input_data_config(ctx, config),
        "OutputDataConfig": common.output_data_config(ctx),
        "ResourceConfig": common.resource_config(config),
        "StoppingCondition": common.stopping_condition(config),
    }
    if config.spot:
        definition["EnableManagedSpotTraining"] = True
    request: dict[str, Any] = {
        "HyperParameterTuningJobName": job,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {
                "Type": config.tuningobjective.Type,
                "MetricName": config.tuningobjective.Name,
            },
            "ResourceLimits": {
                "MaxNumberOfTrainingJobs": config.maxtrainingjobs,
                "MaxParallelTrainingJobs": config.maxparalleltrainingjobs,
            },
            "ParameterRanges": _parameter_ranges(config, builder.categorical_value),
        },
        "TrainingJobDefinition": definition,
        "Tags": common.tags(ctx, config),
    }
    if config.parentJobs:
        request["WarmStartConfig"] = {
            "ParentHyperParameterTuningJobs": [
                {"HyperParameterTuningJobName": name} for name in config.parentJobs
            ],
            "WarmStartType": config.WarmStartType,
        }
    return request


def tuning_best_artifact(tuning_description: dict[str, Any], output_path: str) -> str:
    """The model.tar.gz of the best training job of a DescribeHyperParameterTuningJob answer.

    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeHyperParameterTuningJob.html
    """
    best = (tuning_description.get("BestTrainingJob") or {}).get("TrainingJobName")
    if not best:
        name = tuning_description.get("HyperParameterTuningJobName", "the tuning job")
        raise TuningFailed(f"{name} has no best training job")
    return f"{output_path.rstrip('/')}/{best}/output/model.tar.gz"
