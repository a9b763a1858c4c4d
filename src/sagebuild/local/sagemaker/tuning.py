"""Hyperparameter tuning jobs: random search over real training jobs.

moto completes CreateHyperParameterTuningJob at once with a fake best job. Here the tuning job
starts up to MaxNumberOfTrainingJobs real training jobs `<tuning>-NNN-<hash>`,
MaxParallelTrainingJobs at a time (at most one per CPU), each with a random point of the
ParameterRanges; its counters and BestTrainingJob follow the objective metric of the jobs.
StopHyperParameterTuningJob and ListTrainingJobsForHyperParameterTuningJob (moto:
NotImplemented) are implemented.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import math
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceNotFound, ValidationError
from moto.sagemaker.responses import SageMakerResponse

from sagebuild.local.moto_ext.events_delivery import emit_sagemaker
from sagebuild.local.sagemaker.jobs import stop_training
from sagebuild.local.sagemaker.state import Backend, LocalSageMaker, backend_of, current, key


@dataclass
class TuningState:
    jobs: list[str] = field(default_factory=list)
    tuned: dict[str, dict[str, str]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)


def start_tuning(local: LocalSageMaker, backend: Backend, tuning_job: Any) -> None:
    """Reset moto's finished record to InProgress and run the search in a thread."""
    tuning_job.hyper_parameter_tuning_job_status = "InProgress"
    tuning_job.hyper_parameter_tuning_end_time = None
    tuning_job.best_training_job = None
    tuning_job.OverallBestTrainingJob = None
    tuning_job.tuning_job_completion_details = None
    tuning_job.consumed_resources = None
    tuning_job.failure_reason = None
    _update_counters(local, backend, tuning_job, TuningState())
    state = TuningState()
    with local.lock:
        local.tuning[key(backend, tuning_job.hyper_parameter_tuning_job_name)] = state
    emit_sagemaker(tuning_job)
    local.spawn(
        lambda: _run_tuning(local, backend, tuning_job, state),
        f"tuning-{tuning_job.hyper_parameter_tuning_job_name}",
    )


def _run_tuning(
    local: LocalSageMaker, backend: Backend, tuning_job: Any, state: TuningState
) -> None:
    name = tuning_job.hyper_parameter_tuning_job_name
    config = tuning_job.hyper_parameter_tuning_job_config or {}
    definition = (
        tuning_job.training_job_definition or ((tuning_job.training_job_definitions or [{}])[0])
    )
    limits = config.get("ResourceLimits") or {}
    max_jobs = int(limits.get("MaxNumberOfTrainingJobs") or 1)
    parallel = max(1, min(int(limits.get("MaxParallelTrainingJobs") or 1), os.cpu_count() or 1))
    rng = random.Random(name)
    running: list[str] = []
    try:
        for index in range(1, max_jobs + 1):
            while len(running) >= parallel and not state.stop.is_set():
                running = [j for j in running if _job_running(backend, j)]
                _update_counters(local, backend, tuning_job, state)
                state.stop.wait(0.05)
            if state.stop.is_set() or local.closed.is_set():
                break
            tuned = sample_hyperparameters(config.get("ParameterRanges") or {}, rng)
            digest = hashlib.sha1(f"{name}{index}{json.dumps(tuned)}".encode()).hexdigest()
            job_name = f"{name}-{index:03d}-{digest[:8]}"
            hyperparameters = dict(definition.get("StaticHyperParameters") or {})
            hyperparameters.update(tuned)
            with local.lock:
                state.jobs.append(job_name)
                state.tuned[job_name] = tuned
            backend.create_training_job(
                training_job_name=job_name,
                hyper_parameters=hyperparameters,
                algorithm_specification=copy.deepcopy(
                    definition.get("AlgorithmSpecification") or {}
                ),
                role_arn=definition.get("RoleArn", ""),
                input_data_config=copy.deepcopy(definition.get("InputDataConfig") or []),
                output_data_config=copy.deepcopy(definition.get("OutputDataConfig") or {}),
                resource_config=copy.deepcopy(definition.get("ResourceConfig") or {}),
                vpc_config=definition.get("VpcConfig"),
                stopping_condition=copy.deepcopy(definition.get("StoppingCondition") or {}),
                tags=[],
                enable_network_isolation=bool(definition.get("EnableNetworkIsolation")),
                enable_inter_container_traffic_encryption=False,
                enable_managed_spot_training=False,
                checkpoint_config=definition.get("CheckpointConfig"),
                debug_hook_config=None,
                debug_rule_configurations=None,
                tensor_board_output_config=None,
                experiment_config=None,
            )
            running.append(job_name)
            _update_counters(local, backend, tuning_job, state)
        while running:
            if state.stop.is_set():
                for job_name in running:
                    with contextlib.suppress(ValidationError):
                        stop_training(local, backend, job_name)
            running = [j for j in running if _job_running(backend, j)]
            _update_counters(local, backend, tuning_job, state)
            time.sleep(0.05)
    finally:
        _update_counters(local, backend, tuning_job, state)
        _finish_tuning(local, tuning_job, state, backend)


def _job_running(backend: Backend, name: str) -> bool:
    job = backend.training_jobs.get(name)
    return job is not None and job.training_job_status in ("InProgress", "Stopping")


def _objective(tuning_job: Any) -> tuple[str, str]:
    objective = (tuning_job.hyper_parameter_tuning_job_config or {}).get(
        "HyperParameterTuningJobObjective"
    ) or {}
    return objective.get("Type", "Maximize"), objective.get("MetricName", "")


def training_job_summary(
    local: LocalSageMaker, backend: Backend, tuning_job: Any, name: str
) -> dict[str, Any]:
    """A HyperParameterTrainingJobSummary of one training job of `tuning_job`."""
    job = backend.training_jobs[name]
    kind, metric = _objective(tuning_job)
    with local.lock:
        state = local.tuning.get(key(backend, tuning_job.hyper_parameter_tuning_job_name))
        tuned = dict(state.tuned.get(name, {})) if state else {}
    summary: dict[str, Any] = {
        "TrainingJobName": name,
        "TrainingJobArn": job.arn,
        "TuningJobName": tuning_job.hyper_parameter_tuning_job_name,
        "CreationTime": job.creation_time,
        "TrainingJobStatus": job.training_job_status,
        "TunedHyperParameters": tuned,
    }
    if job.training_start_time:
        summary["TrainingStartTime"] = job.training_start_time
    if job.training_end_time:
        summary["TrainingEndTime"] = job.training_end_time
    if job.failure_reason:
        summary["FailureReason"] = job.failure_reason
    values = {m["MetricName"]: m["Value"] for m in job.final_metric_data_list or []}
    if metric in values:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": kind,
            "MetricName": metric,
            "Value": values[metric],
        }
        summary["ObjectiveStatus"] = "Succeeded"
    elif job.training_job_status in ("InProgress", "Stopping"):
        summary["ObjectiveStatus"] = "Pending"
    else:
        summary["ObjectiveStatus"] = "Failed"
    return summary


def _summaries(
    local: LocalSageMaker, backend: Backend, tuning_job: Any, state: TuningState
) -> list[Any]:
    with local.lock:
        names = list(state.jobs)
    return [
        training_job_summary(local, backend, tuning_job, n)
        for n in names
        if n in backend.training_jobs
    ]


def _update_counters(
    local: LocalSageMaker, backend: Backend, tuning_job: Any, state: TuningState
) -> None:
    summaries = _summaries(local, backend, tuning_job, state)
    statuses = [s["TrainingJobStatus"] for s in summaries]
    tuning_job.training_job_status_counters = {
        "Completed": statuses.count("Completed"),
        "InProgress": statuses.count("InProgress") + statuses.count("Stopping"),
        "RetryableError": 0,
        "NonRetryableError": statuses.count("Failed"),
        "Stopped": statuses.count("Stopped"),
    }
    objectives = [s["ObjectiveStatus"] for s in summaries]
    tuning_job.objective_status_counters = {
        "Succeeded": objectives.count("Succeeded"),
        "Pending": objectives.count("Pending"),
        "Failed": objectives.count("Failed"),
    }
    kind, _ = _objective(tuning_job)
    scored = [s for s in summaries if s["ObjectiveStatus"] == "Succeeded"]
    if scored:
        sign = -1.0 if kind == "Minimize" else 1.0
        best = max(
            scored,
            key=lambda s: sign * s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"],
        )
        tuning_job.best_training_job = best
        tuning_job.OverallBestTrainingJob = best
    tuning_job.last_modified_time = utcnow()


def _finish_tuning(
    local: LocalSageMaker, tuning_job: Any, state: TuningState, backend: Backend
) -> None:
    counters = tuning_job.training_job_status_counters
    now = utcnow()
    if state.stop.is_set() or local.closed.is_set():
        tuning_job.hyper_parameter_tuning_job_status = "Stopped"
    elif tuning_job.best_training_job is None:
        tuning_job.hyper_parameter_tuning_job_status = "Failed"
        reasons = [
            s.get("FailureReason", "")
            for s in _summaries(local, backend, tuning_job, state)
            if s.get("FailureReason")
        ]
        last = f" Last failure: {reasons[-1]}" if reasons else ""
        tuning_job.failure_reason = (
            f"No training job reported the objective metric "
            f"({counters['NonRetryableError']} failed).{last}"
        )[:1024]
    else:
        tuning_job.hyper_parameter_tuning_job_status = "Completed"
    tuning_job.hyper_parameter_tuning_end_time = now
    tuning_job.last_modified_time = now
    emit_sagemaker(tuning_job)


def sample_hyperparameters(ranges: dict[str, Any], rng: random.Random) -> dict[str, str]:
    """One random point of a tuning job's ParameterRanges, as hyperparameter strings."""
    values: dict[str, str] = {}
    for item in ranges.get("IntegerParameterRanges") or []:
        low, high = int(item["MinValue"]), int(item["MaxValue"])
        if item.get("ScalingType") in ("Logarithmic", "ReverseLogarithmic") and low > 0:
            values[item["Name"]] = str(round(math.exp(rng.uniform(math.log(low), math.log(high)))))
        else:
            values[item["Name"]] = str(rng.randint(low, high))
    for item in ranges.get("ContinuousParameterRanges") or []:
        low_f, high_f = float(item["MinValue"]), float(item["MaxValue"])
        if item.get("ScalingType") == "Logarithmic" and low_f > 0:
            value = math.exp(rng.uniform(math.log(low_f), math.log(high_f)))
        else:
            value = rng.uniform(low_f, high_f)
        values[item["Name"]] = f"{value:.6g}"
    for item in ranges.get("CategoricalParameterRanges") or []:
        values[item["Name"]] = str(rng.choice(list(item["Values"])))
    return values


# -- the moto replacements ----------------------------------------------------------------------


def create_hyper_parameter_tuning_job(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's create_hyper_parameter_tuning_job, then the search runs."""

    def create_hyper_parameter_tuning_job(self: Backend, *args: Any, **kwargs: Any) -> str:
        arn = original(self, *args, **kwargs)
        name = arn.split("/")[-1]
        start_tuning(current(), self, self.hyper_parameter_tuning_jobs[name])
        return str(arn)

    return create_hyper_parameter_tuning_job


def _tuning_job(backend: Backend, name: str) -> Any:
    if name not in backend.hyper_parameter_tuning_jobs:
        raise ResourceNotFound(message=f"Could not find hyper parameter tuning job '{name}'.")
    return backend.hyper_parameter_tuning_jobs[name]


def stop_hyper_parameter_tuning_job(self: Backend, name: str) -> None:
    tuning_job = _tuning_job(self, name)
    if tuning_job.hyper_parameter_tuning_job_status != "InProgress":
        raise ValidationError(
            message=f"The request was rejected because the tuning job is in status "
            f"{tuning_job.hyper_parameter_tuning_job_status}."
        )
    tuning_job.hyper_parameter_tuning_job_status = "Stopping"
    emit_sagemaker(tuning_job)
    local = current()
    with local.lock:
        state = local.tuning.get(key(self, name))
    if state is not None:
        state.stop.set()


def list_training_jobs_for_tuning(
    self: Backend,
    name: str,
    status_equals: str | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> list[dict[str, Any]]:
    tuning_job = _tuning_job(self, name)
    local = current()
    with local.lock:
        state = local.tuning.get(key(self, name))
    summaries = _summaries(local, self, tuning_job, state) if state else []
    if status_equals:
        summaries = [s for s in summaries if s["TrainingJobStatus"] == status_equals]
    reverse = sort_order != "Ascending"
    if sort_by == "FinalObjectiveMetricValue":
        scored = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
        scored.sort(
            key=lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"],
            reverse=reverse,
        )
        return scored
    if sort_by == "Name":
        return sorted(summaries, key=lambda s: s["TrainingJobName"], reverse=reverse)
    if sort_by == "Status":
        return sorted(summaries, key=lambda s: s["TrainingJobStatus"], reverse=reverse)
    return sorted(summaries, key=lambda s: s["CreationTime"], reverse=reverse)


def respond_stop_tuning_job(self: SageMakerResponse) -> Any:
    from moto.core.responses import EmptyResult

    backend_of(self).stop_hyper_parameter_tuning_job(self._get_param("HyperParameterTuningJobName"))
    return EmptyResult()


def respond_list_training_jobs_for_tuning(self: SageMakerResponse) -> Any:
    from moto.core.responses import ActionResult

    summaries = backend_of(self).list_training_jobs_for_hyper_parameter_tuning_job(
        self._get_param("HyperParameterTuningJobName"),
        status_equals=self._get_param("StatusEquals"),
        sort_by=self._get_param("SortBy"),
        sort_order=self._get_param("SortOrder"),
    )
    start = int(self._get_param("NextToken") or 0)
    size = int(self._get_param("MaxResults") or 100)
    result: dict[str, Any] = {"TrainingJobSummaries": summaries[start : start + size]}
    if start + size < len(summaries):
        result["NextToken"] = str(start + size)
    return ActionResult(result)
