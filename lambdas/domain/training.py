"""Start and poll training and tuning jobs, and find the artifact of a run that does not train."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import requests, status
from domain.aws import ClientFactory, invoke_json, json_safe, read_json_parameter
from domain.errors import InvalidState, ModelArtifactNotFound
from domain.gate import check_gate
from domain.jobs import Job, polled, started
from domain.settings import Settings
from domain.state import GateResult, Metric, RunState

Request = dict[str, Any]


def _overridden(
    kind: str, request: Request, state: RunState, settings: Settings, aws: ClientFactory
) -> Request:
    """The request the TrainingConfigLambda override returns for ours, if one is set."""
    if not settings.training_config_lambda:
        return request
    payload = {"kind": kind, "state": state.to_dict(), "request": request}
    returned: Request = invoke_json(aws, settings.training_config_lambda, payload)
    return returned


def training_request(state: RunState, settings: Settings, aws: ClientFactory) -> Request:
    """Our CreateTrainingJob request, or the one the TrainingConfigLambda override returns."""
    request = requests.training_job_request(state.context, state.config)
    return _overridden("training", request, state, settings, aws)


def start_training_job(
    state: RunState, settings: Settings, aws: ClientFactory, now: datetime
) -> Job:
    """CreateTrainingJob: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html"""
    request = training_request(state, settings, aws)
    aws("sagemaker").create_training_job(**request)
    return started(request["TrainingJobName"], now, settings.poll_floor_seconds, kind="training")


def _metrics(metric_list: list[dict[str, Any]] | None) -> list[Metric]:
    return [
        Metric(MetricName=str(m["MetricName"]), Value=float(m["Value"]))
        for m in (metric_list or [])
    ]


def poll_training_job(job: Job, settings: Settings, aws: ClientFactory, now: datetime) -> Job:
    described = aws("sagemaker").describe_training_job(TrainingJobName=job.name)
    return polled(
        job,
        status.normalise("sagemaker_job", described["TrainingJobStatus"]),
        now,
        settings.poll_floor_seconds,
        reason=described.get("FailureReason", ""),
        secondary_status=described.get("SecondaryStatus", ""),
        artifact=described.get("ModelArtifacts", {}).get("S3ModelArtifacts", ""),
        metrics=_metrics(described.get("FinalMetricDataList")),
    )


def start_tuning_job(state: RunState, settings: Settings, aws: ClientFactory, now: datetime) -> Job:
    """CreateHyperParameterTuningJob: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateHyperParameterTuningJob.html"""
    request = requests.tuning_job_request(state.context, state.config)
    request = _overridden("tuning", request, state, settings, aws)
    aws("sagemaker").create_hyper_parameter_tuning_job(**request)
    output_path = request["TrainingJobDefinition"]["OutputDataConfig"]["S3OutputPath"]
    return started(
        request["HyperParameterTuningJobName"],
        now,
        settings.poll_floor_seconds,
        kind="tuning",
        output_path=output_path,
    )


def poll_tuning_job(job: Job, settings: Settings, aws: ClientFactory, now: datetime) -> Job:
    described = aws("sagemaker").describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=job.name
    )
    new_status = status.normalise("sagemaker_job", described["HyperParameterTuningJobStatus"])
    reason = described.get("FailureReason", "")
    best = described.get("BestTrainingJob") or {}
    artifact, metrics = "", list[Metric]()
    if new_status == status.COMPLETED and not best:
        new_status, reason = status.FAILED, "the tuning job finished without a best training job"
    if best:
        artifact = requests.tuning_best_artifact(described, job.extra.get("output_path", ""))
        objective = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        if objective:
            metrics = _metrics([objective])
    return polled(
        job,
        new_status,
        now,
        settings.poll_floor_seconds,
        reason=reason,
        artifact=artifact,
        metrics=metrics,
        best_training_job=best.get("TrainingJobName", ""),
        best_hyperparameters=json_safe(best.get("TunedHyperParameters", {})),
        counters=json_safe(described.get("TrainingJobStatusCounters", {})),
    )


def find_model_artifact(state: RunState, settings: Settings, aws: ClientFactory) -> Job:
    """The artifact a run without training deploys: ModelArtifacts, else the last version's."""
    artifact = state.config.ModelArtifacts or ""
    source = "ModelArtifacts parameter"
    if not artifact:
        last = read_json_parameter(aws, settings.version_parameter_name)
        artifact, source = str(last.get("model_data_url") or ""), f"version {last.get('version')}"
    if not artifact:
        raise ModelArtifactNotFound(
            "this run does not train and there is no artifact to deploy: set the ModelArtifacts "
            "parameter to an s3:// model.tar.gz, or run a training first"
        )
    return Job(name=source, status=status.COMPLETED, extra={"artifact": artifact, "metrics": []})


def check_quality_gate(state: RunState, settings: Settings, aws: ClientFactory) -> GateResult:
    """The run's metrics against `deploygate` and the live version's (the version record)."""
    if state.config.deploygate is None:
        raise InvalidState("Check Quality Gate runs only when `deploygate` is set (flags.gate)")
    live = read_json_parameter(aws, settings.version_parameter_name)
    live_metrics = live.get("metrics", []) if live.get("endpoint_config") else []
    return check_gate(state.config.deploygate, state.metrics, _metrics(live_metrics))
