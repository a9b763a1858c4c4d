"""Training jobs: CreateTrainingJob runs the job for real, StopTrainingJob stops it.

moto completes a job at once with a fake metric (and overwrites MetricDefinitions). Here a
`training.TrainingRun` runs in a background thread and the job's record moves as SageMaker's
does: InProgress (Starting → Downloading → Training → Uploading) → Completed / Failed /
Stopped, with secondary status transitions, final metrics, the model artifact and the training
times. StopTrainingJob (moto: NotImplemented) → Stopping → Stopped. Every status change emits
SageMaker's EventBridge state change event.
"""

from __future__ import annotations

import copy
import inspect
import shutil
from collections.abc import Callable
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker import models as sm_models
from moto.sagemaker.exceptions import ResourceInUseException, ValidationError
from moto.sagemaker.responses import SageMakerResponse

from sagebuild.local.moto_ext.events_delivery import emit_sagemaker
from sagebuild.local.sagemaker.state import Backend, LocalSageMaker, backend_of, current, key
from sagebuild.local.training import TrainingOutcome, TrainingRun

# moto's create_training_job arguments → the CreateTrainingJob request keys TrainingRun reads.
_REQUEST_KEYS = {
    "hyper_parameters": "HyperParameters",
    "algorithm_specification": "AlgorithmSpecification",
    "role_arn": "RoleArn",
    "input_data_config": "InputDataConfig",
    "output_data_config": "OutputDataConfig",
    "resource_config": "ResourceConfig",
    "stopping_condition": "StoppingCondition",
}


def start_training(
    local: LocalSageMaker, backend: Backend, job: Any, request: dict[str, Any]
) -> None:
    """Reset moto's finished record to InProgress and run the job in a thread."""
    job.training_job_status = "InProgress"
    job.secondary_status = "Starting"
    job.secondary_status_transitions = []
    job.final_metric_data_list = None
    job.model_artifacts = None
    job.failure_reason = None
    job.training_start_time = None
    job.training_end_time = None
    job.training_time_in_seconds = None
    job.billable_time_in_seconds = None
    directory = local.job_dir(job.training_job_name)
    shutil.rmtree(directory, ignore_errors=True)

    def on_status(primary: str, secondary: str, message: str) -> None:
        now = utcnow()
        if job.training_job_status != "Stopping":
            job.training_job_status = primary
        if secondary != job.secondary_status or not job.secondary_status_transitions:
            if job.secondary_status_transitions:
                job.secondary_status_transitions[-1]["EndTime"] = now
            job.secondary_status_transitions.append(
                {"Status": secondary, "StartTime": now, "StatusMessage": message}
            )
            if job.training_job_status != "Stopping":
                job.secondary_status = secondary
        if secondary == "Training" and job.training_start_time is None:
            job.training_start_time = now
        job.last_modified_time = now

    run = TrainingRun(job.training_job_name, request, directory, on_status)
    with local.lock:
        local.runs[key(backend, job.training_job_name)] = run

    def work() -> None:
        _finish_training(job, run.run())

    emit_sagemaker(job)
    local.spawn(work, f"training-{job.training_job_name}")


def _finish_training(job: Any, outcome: TrainingOutcome) -> None:
    now = utcnow()
    transitions = job.secondary_status_transitions
    if transitions:
        transitions[-1]["EndTime"] = now
    messages = {
        "Completed": "Training job completed",
        "Failed": outcome.failure_reason or "Training job failed",
        "Stopped": "Training job stopped",
        "MaxRuntimeExceeded": "Job stopped because max run time was exceeded",
    }
    transitions.append(
        {
            "Status": outcome.secondary_status,
            "StartTime": now,
            "EndTime": now,
            "StatusMessage": messages[outcome.secondary_status],
        }
    )
    job.secondary_status = outcome.secondary_status
    job.final_metric_data_list = [
        {"MetricName": name, "Value": value, "Timestamp": now}
        for name, value in sorted(outcome.metrics.items())
    ]
    if outcome.model_artifact:
        job.model_artifacts = {"S3ModelArtifacts": outcome.model_artifact}
    job.failure_reason = outcome.failure_reason
    job.training_end_time = now
    start = job.training_start_time or job.creation_time
    job.training_time_in_seconds = max(1, int((now - start).total_seconds()))
    job.billable_time_in_seconds = job.training_time_in_seconds
    job.training_job_status = outcome.status
    job.last_modified_time = now
    emit_sagemaker(job)


def stop_training(local: LocalSageMaker, backend: Backend, name: str) -> None:
    """StopTrainingJob: an InProgress job goes Stopping, its program gets SIGTERM."""
    job = backend.training_jobs.get(name)
    if job is None:
        arn = sm_models.FakeTrainingJob.arn_formatter(name, backend.account_id, backend.region_name)
        raise ValidationError(message=f"Requested resource not found: {arn}")
    if job.training_job_status != "InProgress":
        raise ValidationError(
            message=f"The request was rejected because the training job is in status "
            f"{job.training_job_status}."
        )
    job.training_job_status = "Stopping"
    job.secondary_status = "Stopping"
    emit_sagemaker(job)
    with local.lock:
        run = local.runs.get(key(backend, name))
    if run is not None:
        run.stop()


def training_log(job_name: str) -> str:
    """The log of a local training job (program output plus `[sagebuild]` lines)."""
    path = current().job_dir(job_name) / "training.log"
    return path.read_text(errors="replace") if path.is_file() else ""


# -- the moto replacements ----------------------------------------------------------------------


def create_training_job(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's create_training_job, then the job really runs (names unique per account)."""

    def create_training_job(self: Backend, *args: Any, **kwargs: Any) -> Any:
        arguments = inspect.signature(original).bind(self, *args, **kwargs).arguments
        arguments.pop("self")
        name = arguments["training_job_name"]
        if name in self.training_jobs:
            raise ResourceInUseException(
                message=f"Training job names must be unique within an AWS account and region, "
                f"and a training job with this name already exists ({name})"
            )
        request = {api: copy.deepcopy(arguments.get(arg)) for arg, api in _REQUEST_KEYS.items()}
        arguments["algorithm_specification"] = copy.deepcopy(arguments["algorithm_specification"])
        job = original(self, **arguments)
        job.algorithm_specification = copy.deepcopy(request["AlgorithmSpecification"])
        start_training(current(), self, job, request)
        return job

    return create_training_job


def stop_training_job(self: Backend, training_job_name: str) -> None:
    stop_training(current(), self, training_job_name)


def respond_stop_training_job(self: SageMakerResponse) -> Any:
    from moto.core.responses import EmptyResult

    backend_of(self).stop_training_job(self._get_param("TrainingJobName"))
    return EmptyResult()
