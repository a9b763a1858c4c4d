"""Local SageMaker: moto's SageMaker with jobs that really run and statuses that move.

`install(work_dir)` patches moto 5.2.5 in this process (decorator mode and an in-process
`ThreadedMotoServer` alike) and returns the function that undoes it and stops every job and
server it started. Each patch names the moto behaviour it replaces:

- CreateTrainingJob (moto: `Completed` at once, a fake metric, MetricDefinitions
  overwritten) → a real job (`training.TrainingRun`) in a background thread: InProgress
  (Starting → Downloading → Training → Uploading) → Completed / Failed / Stopped.
- StopTrainingJob (moto: NotImplemented) → Stopping → Stopped.
- CreateHyperParameterTuningJob (moto: `Completed`, a fake best job) → random search: up to
  MaxNumberOfTrainingJobs real training jobs `<tuning>-NNN-<hash>`, MaxParallelTrainingJobs
  at a time (at most one per CPU); counters and BestTrainingJob from the objective metric.
- StopHyperParameterTuningJob, ListTrainingJobsForHyperParameterTuningJob (moto:
  NotImplemented) → implemented.
- CreateEndpoint (moto: `InService` at once) → Creating → one model server per production
  variant answers `/ping` → InService, or Failed with FailureReason.
- UpdateEndpoint (moto: NotImplemented) → Updating → new servers; the switch happens after they
  answer `/ping`, then the old ones stop. A failed update stays InService on the OLD config
  with FailureReason set (SageMaker's silent rollback).
- DeleteEndpoint (moto: forgets the record) → also stops the servers.
- InvokeEndpoint, sagemaker-runtime (moto: canned `body`) → Body/ContentType/Accept forwarded
  over HTTP to the live server; an error answer is a ModelError (HTTP 424).
- Status changes of training jobs, tuning jobs and endpoints emit SageMaker's EventBridge state
  change events (moto: none), through `moto_ext.events_delivery.emit_sagemaker`.

Data comes from and goes to moto's S3 backend objects directly (`s3sync`), which works in both
moto modes without endpoints or credentials. Files live under `work_dir`: `training/<job>/`
(the `/opt/ml` stand-in and `training.log`) and `endpoints/<endpoint>/<variant>-<n>/`
(`server.log`).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import http.client
import importlib.util
import inspect
import json
import logging
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.utils import utcnow
from moto.sagemaker import models as sm_models
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from sagebuild.local import datacapture, images, patching, s3sync
from sagebuild.local.moto_ext.events_delivery import emit_sagemaker
from sagebuild.local.training import TrainingOutcome, TrainingRun, _tail

LOG = logging.getLogger(__name__)

BackendClass = sm_models.SageMakerModelBackend
Backend = Any  # a SageMakerModelBackend, with the methods added here
_SRC_ROOT = str(Path(__file__).resolve().parents[2])

#: How long a new model server may take to answer /ping (proot makes BYOD imports slower).
PING_TIMEOUT_SECONDS = 30.0
BYOD_PING_TIMEOUT_SECONDS = 60.0

_REQUEST_KEYS = {
    "hyper_parameters": "HyperParameters",
    "algorithm_specification": "AlgorithmSpecification",
    "role_arn": "RoleArn",
    "input_data_config": "InputDataConfig",
    "output_data_config": "OutputDataConfig",
    "resource_config": "ResourceConfig",
    "stopping_condition": "StoppingCondition",
}


class ModelError(ServiceException):
    """sagemaker-runtime's ModelError (HTTP 424): the model server answered with an error."""

    code = "ModelError"

    def __init__(self, message: str, status: int, original: str, log_stream: str) -> None:
        super().__init__(message)
        self.OriginalStatusCode = status
        self.OriginalMessage = original
        self.LogStreamArn = log_stream


class EndpointNotFound(ServiceException):
    code = "ValidationError"


@dataclass(eq=False)
class ModelServer:
    """One running model server process for one production variant."""

    variant: str
    weight: float
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=3)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@dataclass
class EndpointState:
    servers: list[ModelServer] = field(default_factory=list)
    generation: int = 0


@dataclass
class TuningState:
    jobs: list[str] = field(default_factory=list)
    tuned: dict[str, dict[str, str]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


DEFAULT_SERVING_PORT = 8080  # where a container serves when it ignores SAGEMAKER_BIND_TO_PORT


def _ping(port: int, timeout: float = 1.0) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", "/ping")
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


def _key(backend: Backend, name: str) -> tuple[str, str, str]:
    return (backend.account_id, backend.region_name, name)


class LocalSageMaker:
    """The state of the installed local SageMaker: runs, tuning jobs, endpoint servers."""

    def __init__(self, work_dir: Path, region: str) -> None:
        self.work_dir = work_dir
        self.region = region
        self.lock = threading.RLock()
        self.closed = threading.Event()
        self.runs: dict[tuple[str, str, str], TrainingRun] = {}
        self.threads: list[threading.Thread] = []
        self.tuning: dict[tuple[str, str, str], TuningState] = {}
        self.endpoints: dict[tuple[str, str, str], EndpointState] = {}
        self.starting: set[ModelServer] = set()  # servers not yet owned by an endpoint

    def spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self.lock:
            self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def shutdown(self) -> None:
        self.closed.set()
        with self.lock:
            for tuning in self.tuning.values():
                tuning.stop.set()
            for run in self.runs.values():
                run.stop()
        for thread in list(self.threads):
            thread.join(timeout=10)
        with self.lock:
            servers = [s for state in self.endpoints.values() for s in state.servers]
            servers += list(self.starting)
            self.endpoints.clear()
        for server in servers:
            server.stop()

    # -- training --------------------------------------------------------------------------

    def job_dir(self, name: str) -> Path:
        return self.work_dir / "training" / name

    def start_training(self, backend: Backend, job: Any, request: dict[str, Any]) -> None:
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
        directory = self.job_dir(job.training_job_name)
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
        with self.lock:
            self.runs[_key(backend, job.training_job_name)] = run

        def work() -> None:
            outcome = run.run()
            self._finish_training(job, outcome)

        emit_sagemaker(job)
        self.spawn(work, f"training-{job.training_job_name}")

    @staticmethod
    def _finish_training(job: Any, outcome: TrainingOutcome) -> None:
        now = utcnow()
        messages = {
            "Completed": "Training job completed",
            "Failed": outcome.failure_reason or "Training job failed",
            "Stopped": "Training job stopped",
            "MaxRuntimeExceeded": "Job stopped because max run time was exceeded",
        }
        transitions = job.secondary_status_transitions
        if transitions:
            transitions[-1]["EndTime"] = now
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

    def stop_training(self, backend: Backend, name: str) -> None:
        job = backend.training_jobs.get(name)
        if job is None:
            arn = sm_models.FakeTrainingJob.arn_formatter(
                name, backend.account_id, backend.region_name
            )
            raise ValidationError(message=f"Requested resource not found: {arn}")
        if job.training_job_status != "InProgress":
            raise ValidationError(
                message=f"The request was rejected because the training job is in status "
                f"{job.training_job_status}."
            )
        job.training_job_status = "Stopping"
        job.secondary_status = "Stopping"
        emit_sagemaker(job)
        with self.lock:
            run = self.runs.get(_key(backend, name))
        if run is not None:
            run.stop()

    # -- tuning ----------------------------------------------------------------------------

    def start_tuning(self, backend: Backend, tuning_job: Any) -> None:
        tuning_job.hyper_parameter_tuning_job_status = "InProgress"
        tuning_job.hyper_parameter_tuning_end_time = None
        tuning_job.best_training_job = None
        tuning_job.OverallBestTrainingJob = None
        tuning_job.tuning_job_completion_details = None
        tuning_job.consumed_resources = None
        tuning_job.failure_reason = None
        self._update_counters(backend, tuning_job, TuningState())
        state = TuningState()
        with self.lock:
            self.tuning[_key(backend, tuning_job.hyper_parameter_tuning_job_name)] = state
        emit_sagemaker(tuning_job)
        self.spawn(
            lambda: self._run_tuning(backend, tuning_job, state),
            f"tuning-{tuning_job.hyper_parameter_tuning_job_name}",
        )

    def _run_tuning(self, backend: Backend, tuning_job: Any, state: TuningState) -> None:
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
                    running = [j for j in running if self._job_running(backend, j)]
                    self._update_counters(backend, tuning_job, state)
                    state.stop.wait(0.05)
                if state.stop.is_set() or self.closed.is_set():
                    break
                tuned = sample_hyperparameters(config.get("ParameterRanges") or {}, rng)
                digest = hashlib.sha1(f"{name}{index}{json.dumps(tuned)}".encode()).hexdigest()
                job_name = f"{name}-{index:03d}-{digest[:8]}"
                hyperparameters = dict(definition.get("StaticHyperParameters") or {})
                hyperparameters.update(tuned)
                with self.lock:
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
                self._update_counters(backend, tuning_job, state)
            while running:
                if state.stop.is_set():
                    for job_name in running:
                        with contextlib.suppress(ValidationError):
                            self.stop_training(backend, job_name)
                running = [j for j in running if self._job_running(backend, j)]
                self._update_counters(backend, tuning_job, state)
                time.sleep(0.05)
        finally:
            self._update_counters(backend, tuning_job, state)
            self._finish_tuning(tuning_job, state, backend)

    @staticmethod
    def _job_running(backend: Backend, name: str) -> bool:
        job = backend.training_jobs.get(name)
        return job is not None and job.training_job_status in ("InProgress", "Stopping")

    def _objective(self, tuning_job: Any) -> tuple[str, str]:
        objective = (tuning_job.hyper_parameter_tuning_job_config or {}).get(
            "HyperParameterTuningJobObjective"
        ) or {}
        return objective.get("Type", "Maximize"), objective.get("MetricName", "")

    def training_job_summary(self, backend: Backend, tuning_job: Any, name: str) -> dict[str, Any]:
        """A HyperParameterTrainingJobSummary of one training job of `tuning_job`."""
        job = backend.training_jobs[name]
        kind, metric = self._objective(tuning_job)
        with self.lock:
            state = self.tuning.get(_key(backend, tuning_job.hyper_parameter_tuning_job_name))
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

    def _summaries(self, backend: Backend, tuning_job: Any, state: TuningState) -> list[Any]:
        with self.lock:
            names = list(state.jobs)
        return [
            self.training_job_summary(backend, tuning_job, n)
            for n in names
            if n in backend.training_jobs
        ]

    def _update_counters(self, backend: Backend, tuning_job: Any, state: TuningState) -> None:
        summaries = self._summaries(backend, tuning_job, state)
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
        kind, _ = self._objective(tuning_job)
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

    def _finish_tuning(self, tuning_job: Any, state: TuningState, backend: Backend) -> None:
        counters = tuning_job.training_job_status_counters
        now = utcnow()
        if state.stop.is_set() or self.closed.is_set():
            tuning_job.hyper_parameter_tuning_job_status = "Stopped"
        elif tuning_job.best_training_job is None:
            tuning_job.hyper_parameter_tuning_job_status = "Failed"
            reasons = [
                s.get("FailureReason", "")
                for s in self._summaries(backend, tuning_job, state)
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

    # -- endpoints ---------------------------------------------------------------------------

    def endpoint_dir(self, endpoint: str) -> Path:
        return self.work_dir / "endpoints" / endpoint

    def deploy(self, backend: Backend, endpoint: Any, config_name: str, update: bool) -> None:
        """Start servers for `config_name`; on success make them the endpoint's servers."""
        key = _key(backend, endpoint.endpoint_name)
        with self.lock:
            state = self.endpoints.setdefault(key, EndpointState())
            state.generation += 1
            generation = state.generation

        def work() -> None:
            servers: list[ModelServer] = []
            reason = None
            try:
                config = backend.endpoint_configs[config_name]
                for variant in config.production_variants:
                    servers.append(self._start_server(backend, endpoint.endpoint_name, variant))
            except _DeployError as error:
                reason = str(error)
            except Exception as error:  # noqa: BLE001 - any error fails the deployment
                reason = f"InternalFailure: {error}"
            with self.lock:
                current = self.endpoints.get(key)
                stale = current is None or current.generation != generation or self.closed.is_set()
                old: list[ModelServer] = []
                if not stale and reason is None and current is not None:
                    old, current.servers = current.servers, servers
                self.starting.difference_update(servers)
            if stale or reason is not None:
                for server in servers:
                    server.stop()
            if stale:
                return
            now = utcnow()
            if reason is None:
                new_config = backend.endpoint_configs[config_name]
                endpoint.endpoint_config_name = config_name
                endpoint.production_variants = endpoint._process_production_variants(
                    new_config.production_variants
                )
                endpoint.failure_reason = None
            else:
                endpoint.failure_reason = reason[:1024]
            endpoint.endpoint_status = "InService" if (reason is None or update) else "Failed"
            endpoint.pending_deployment_summary = None
            endpoint.last_modified_time = now
            emit_sagemaker(endpoint)
            for server in old:
                server.stop()

        self.spawn(work, f"endpoint-{endpoint.endpoint_name}")

    def _start_server(
        self, backend: Backend, endpoint: str, variant: dict[str, Any]
    ) -> ModelServer:
        variant_name = variant.get("VariantName", "AllTraffic")
        model = backend._models.get(variant.get("ModelName", ""))
        if model is None:
            raise _DeployError(f"Could not find model {variant.get('ModelName')!r}.")
        container = model.primary_container or (model.containers or [{}])[0]
        uri = container.get("Image", "")
        image = images.resolve(uri)
        directory = self.endpoint_dir(endpoint) / f"{variant_name}-{uuid.uuid4().hex[:8]}"
        opt_ml = directory / "opt_ml"
        model_dir = opt_ml / "model"
        model_dir.mkdir(parents=True, exist_ok=True)
        log_path = directory / "server.log"
        prefix = f"production variant {variant_name} (model {model.model_name})"

        if image.kind == "unknown":
            raise _DeployError(f"{prefix}: {images.unavailable_reason(uri)}")
        if not image.is_byod and image.kind not in images.RUNNABLE_FRAMEWORKS:
            raise _DeployError(f"{prefix}: framework {image.kind} is not runnable locally")
        if image.kind == "pytorch" and importlib.util.find_spec("torch") is None:
            raise _DeployError(f"{prefix}: PyTorch is not installed in the local stack's Python")
        model_data = container.get("ModelDataUrl")
        # SageMaker pulls the image and loads the model and code as the model's ExecutionRoleArn.
        role_arn = str(getattr(model, "execution_role_arn", "") or "")
        as_role = s3sync.ActingRole(role_arn, "SageMaker") if role_arn else None
        try:
            if as_role is not None:
                from sagebuild.local.iam.enforcer import ENFORCER

                ENFORCER.authorize_image_pull(role_arn, as_role.session_name, uri)
        except PermissionError as denied:
            raise _DeployError(f"{prefix}: cannot pull image {uri}: {denied}") from None
        try:
            if model_data:
                s3sync.extract_tar(s3sync.get_bytes(model_data, as_role), model_dir)
        except (s3sync.S3Error, OSError, ValueError) as error:
            raise _DeployError(
                f"{prefix}: cannot get ModelDataUrl {model_data}: {error}"
            ) from error

        environment = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
        port = _free_port()
        env = dict(os.environ)
        env.update(environment)
        env["SAGEMAKER_BIND_TO_PORT"] = str(port)
        env["SAGEBUILD_BIND_HOST"] = "127.0.0.1"
        env["PYTHONUNBUFFERED"] = "1"
        timeout = PING_TIMEOUT_SECONDS
        if image.is_byod:
            if image.serve is None:
                raise _DeployError(f"{prefix}: image {uri} has no `serve` program")
            if shutil.which("proot") is None:
                raise _DeployError(
                    f"{prefix}: image {uri} is a BYOD image; running its `serve` program locally "
                    "needs proot to map /opt/ml (apt-get install proot)"
                )
            env["PYTHONPATH"] = str(image.serve.parent)
            command = [
                "proot",
                "-b",
                f"{opt_ml.resolve()}:/opt/ml",
                *TrainingRun._interpreter(image.serve),
            ]
            cwd = image.serve.parent
            timeout = BYOD_PING_TIMEOUT_SECONDS
        else:
            program = environment.get("SAGEMAKER_PROGRAM", "")
            code_dir = directory / "code"
            submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
            try:
                if submit.startswith("s3://"):
                    s3sync.extract_tar(s3sync.get_bytes(submit, as_role), code_dir)
                elif submit and Path(submit.removeprefix("file://")).is_dir():
                    shutil.copytree(submit.removeprefix("file://"), code_dir)
                elif (model_dir / "code").is_dir():
                    code_dir = model_dir / "code"
            except (s3sync.S3Error, OSError, ValueError) as error:
                raise _DeployError(
                    f"{prefix}: cannot get SAGEMAKER_SUBMIT_DIRECTORY {submit}: {error}"
                ) from error
            command = [
                sys.executable,
                "-m",
                "sagebuild.local.serving",
                "--model-dir",
                str(model_dir),
                "--port",
                str(port),
            ]
            if program:
                command += ["--code-dir", str(code_dir), "--program", program]
            elif image.kind == "xgboost":
                command += ["--default-accept", "text/csv"]
            env["PYTHONPATH"] = os.pathsep.join([str(code_dir), _SRC_ROOT])
            cwd = directory
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        server = ModelServer(
            variant_name, float(variant.get("InitialVariantWeight") or 1.0), port, process, log_path
        )
        with self.lock:
            self.starting.add(server)
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                server.stop()
                tail = _tail(log_path, 3)
                hint = (
                    f" (another server holds the port: make `serve` listen on "
                    f"SAGEMAKER_BIND_TO_PORT={port} instead of a fixed port)"
                    if "Address already in use" in tail
                    else ""
                )
                raise _DeployError(
                    f"The primary container for {prefix} did not pass the ping health check: "
                    f"the model server exited with code {process.returncode}: {tail}{hint}"
                )
            if _ping(port, timeout=0.5):
                return server
            slow = time.monotonic() > deadline - timeout + 3  # give our port a head start
            if slow and port != DEFAULT_SERVING_PORT and _ping(DEFAULT_SERVING_PORT, timeout=0.2):
                server.stop()
                raise _DeployError(
                    f"The primary container for {prefix} did not pass the ping health check: "
                    f"its server answers on port {DEFAULT_SERVING_PORT} instead of "
                    f"SAGEMAKER_BIND_TO_PORT={port}; make `serve` listen on the port in "
                    "SAGEMAKER_BIND_TO_PORT (default 8080), as SageMaker does for every container"
                )
            if time.monotonic() > deadline or self.closed.is_set():
                server.stop()
                raise _DeployError(
                    f"The primary container for {prefix} did not pass the ping health check: "
                    f"nothing answered GET /ping on port {port} (SAGEMAKER_BIND_TO_PORT) within "
                    f"{timeout:g} s"
                )
            time.sleep(0.05)

    def stop_endpoint(self, backend: Backend, name: str) -> None:
        with self.lock:
            state = self.endpoints.pop(_key(backend, name), None)
        for server in state.servers if state else []:
            server.stop()

    def server_for(self, account: str, region: str, name: str, variant: str | None) -> ModelServer:
        with self.lock:
            state = self.endpoints.get((account, region, name))
            servers = list(state.servers) if state else []
        if variant:
            servers = [s for s in servers if s.variant == variant]
        if not servers:
            raise EndpointNotFound(f"Endpoint {name} of account {account} not found.")
        return random.choices(servers, weights=[s.weight for s in servers])[0]


class _DeployError(Exception):
    """A production variant could not start; the message is the endpoint's FailureReason."""


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


# -- the patches ------------------------------------------------------------------------------

_active: LocalSageMaker | None = None
_originals: dict[tuple[Any, str], Any] = {}


def _local() -> LocalSageMaker:
    if _active is None:
        raise RuntimeError("sagebuild.local.sagemaker is not installed")
    return _active


def _original(owner: Any, name: str) -> Any:
    return _originals[(owner, name)]


def _create_training_job(self: Backend, *args: Any, **kwargs: Any) -> Any:
    original = _original(BackendClass, "create_training_job")
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
    _local().start_training(self, job, request)
    return job


def _stop_training_job(self: Backend, training_job_name: str) -> None:
    _local().stop_training(self, training_job_name)


def _create_hyper_parameter_tuning_job(self: Backend, *args: Any, **kwargs: Any) -> str:
    arn = _original(BackendClass, "create_hyper_parameter_tuning_job")(self, *args, **kwargs)
    name = arn.split("/")[-1]
    _local().start_tuning(self, self.hyper_parameter_tuning_jobs[name])
    return str(arn)


def _tuning_job(backend: Backend, name: str) -> Any:
    if name not in backend.hyper_parameter_tuning_jobs:
        raise ResourceNotFound(message=f"Could not find hyper parameter tuning job '{name}'.")
    return backend.hyper_parameter_tuning_jobs[name]


def _stop_hyper_parameter_tuning_job(self: Backend, name: str) -> None:
    tuning_job = _tuning_job(self, name)
    if tuning_job.hyper_parameter_tuning_job_status != "InProgress":
        raise ValidationError(
            message=f"The request was rejected because the tuning job is in status "
            f"{tuning_job.hyper_parameter_tuning_job_status}."
        )
    tuning_job.hyper_parameter_tuning_job_status = "Stopping"
    emit_sagemaker(tuning_job)
    local = _local()
    with local.lock:
        state = local.tuning.get(_key(self, name))
    if state is not None:
        state.stop.set()


def _list_training_jobs_for_tuning(
    self: Backend,
    name: str,
    status_equals: str | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
) -> list[dict[str, Any]]:
    tuning_job = _tuning_job(self, name)
    local = _local()
    with local.lock:
        state = local.tuning.get(_key(self, name))
        names = list(state.jobs) if state else []
    summaries = [
        local.training_job_summary(self, tuning_job, n) for n in names if n in self.training_jobs
    ]
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


def _create_endpoint(
    self: Backend, endpoint_name: str, endpoint_config_name: str, tags: Any = None
) -> Any:
    if endpoint_name in self.endpoints:
        arn = sm_models.FakeEndpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
        raise ValidationError(message=f'Cannot create already existing endpoint "{arn}".')
    endpoint = _original(BackendClass, "create_endpoint")(
        self, endpoint_name=endpoint_name, endpoint_config_name=endpoint_config_name, tags=tags
    )
    endpoint.endpoint_status = "Creating"
    emit_sagemaker(endpoint)
    _local().deploy(self, endpoint, endpoint_config_name, update=False)
    return endpoint


def _update_endpoint(self: Backend, endpoint_name: str, endpoint_config_name: str) -> Any:
    endpoint = self.endpoints.get(endpoint_name)
    if endpoint is None:
        arn = sm_models.FakeEndpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
        raise ValidationError(message=f"Could not find endpoint '{arn}'.")
    if endpoint_config_name not in self.endpoint_configs:
        arn = sm_models.FakeEndpointConfig.arn_formatter(
            endpoint_config_name, self.account_id, self.region_name
        )
        raise ValidationError(message=f"Could not find endpoint configuration '{arn}'.")
    if endpoint.endpoint_status in _IN_PROGRESS:
        # AWS's answer while an endpoint is being created or updated (SageMaker API reference,
        # UpdateEndpoint: "When SageMaker receives the request, it sets the endpoint status to
        # Updating"; the service's message as reported by its users).
        raise ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
    if endpoint.endpoint_status != "InService":
        raise ValidationError(
            message=f"Cannot update endpoint {endpoint_name} while it is "
            f"{endpoint.endpoint_status}; the endpoint must be InService."
        )
    _refuse_autoscaled_variants(self, endpoint, self.endpoint_configs[endpoint_config_name])
    endpoint.endpoint_status = "Updating"
    endpoint.failure_reason = None
    endpoint.pending_deployment_summary = {
        "EndpointConfigName": endpoint_config_name,
        "StartTime": utcnow(),
    }
    endpoint.last_modified_time = utcnow()
    emit_sagemaker(endpoint)
    _local().deploy(self, endpoint, endpoint_config_name, update=True)
    return endpoint


def _delete_endpoint(self: Backend, endpoint_name: str) -> None:
    endpoint = self.endpoints.get(endpoint_name)
    if endpoint is not None:
        _refuse_autoscaled_variants(self, endpoint, None)
        endpoint.endpoint_status = "Deleting"
        emit_sagemaker(endpoint)
    _original(BackendClass, "delete_endpoint")(self, endpoint_name)
    _local().stop_endpoint(self, endpoint_name)


# Statuses in which SageMaker refuses UpdateEndpoint with "Cannot update in-progress endpoint".
_IN_PROGRESS = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})
_SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def _scaled_variants(backend: Backend, endpoint: str) -> set[str]:
    """Variants of `endpoint` with a registered Application Auto Scaling scalable target."""
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    scaling = applicationautoscaling_backends[backend.account_id][backend.region_name]
    prefix = f"endpoint/{endpoint}/variant/"
    return {
        resource_id[len(prefix) :]
        for resource_id, target in scaling.targets.get(_SCALABLE_DIMENSION, {}).items()
        if resource_id.startswith(prefix) and target.service_namespace == "sagemaker"
    }


def _refuse_autoscaled_variants(backend: Backend, endpoint: Any, new_config: Any) -> None:
    """UpdateEndpoint / DeleteEndpoint fail while a variant they remove is still autoscaled.

    SageMaker Developer Guide, "Update endpoints that use auto scaling": "If the update would
    change the instance type for any model that is a target for auto scaling, the update
    fails ... Before you update the endpoint, delete any scaling policies configured for it
    and deregister the variant as a scalable target" (also when the update removes the
    variant). "Delete endpoints configured for auto scaling": DeleteEndpoint deregisters the
    targets itself only if the caller may call DeregisterScalableTarget, else it fails with the
    message below (the service's wording, as reported by its users). The local stack does not
    know the caller here, so DeleteEndpoint always refuses (stricter than AWS, never looser):
    deregister first, as the SageMaker guide's steps do.
    """
    scaled = _scaled_variants(backend, endpoint.endpoint_name)
    if not scaled:
        return
    current = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    old_types = {
        v["VariantName"]: v.get("InstanceType")
        for v in (current.production_variants if current else [])
    }
    if new_config is None:
        raise ValidationError(
            message="An Application AutoScaling scalable target exists for a variant being "
            "deleted, and the IAM identity used to invoke DeleteEndpoint does not have "
            "application-autoscaling:DeregisterScalableTarget permission to deregister the "
            "scalable target."
        )
    new_types = {v["VariantName"]: v.get("InstanceType") for v in new_config.production_variants}
    blocked = sorted(
        variant
        for variant in scaled
        if variant not in new_types
        or (variant in old_types and new_types[variant] != old_types[variant])
    )
    if blocked:
        # The guide's rule; this wording is ours (the service's exact text is not published).
        raise ValidationError(
            message=f"The production variant(s) {', '.join(blocked)} of endpoint "
            f'"{endpoint.arn}" are registered as scalable targets with Application Auto '
            "Scaling and would be removed or change instance type. Delete their scaling "
            "policies and deregister them (DeregisterScalableTarget) before UpdateEndpoint."
        )


# Response-layer actions moto 5.2.5 does not have.


def _backend(response: SageMakerResponse) -> Backend:
    return response.sagemaker_backend


def _response_stop_training_job(self: SageMakerResponse) -> Any:
    from moto.core.responses import EmptyResult

    _backend(self).stop_training_job(self._get_param("TrainingJobName"))
    return EmptyResult()


def _response_update_endpoint(self: SageMakerResponse) -> Any:
    from moto.core.responses import ActionResult

    endpoint = _backend(self).update_endpoint(
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
    )
    return ActionResult({"EndpointArn": endpoint.arn})


def _response_stop_tuning_job(self: SageMakerResponse) -> Any:
    from moto.core.responses import EmptyResult

    _backend(self).stop_hyper_parameter_tuning_job(self._get_param("HyperParameterTuningJobName"))
    return EmptyResult()


def _response_list_training_jobs_for_tuning(self: SageMakerResponse) -> Any:
    from moto.core.responses import ActionResult

    summaries = _backend(self).list_training_jobs_for_hyper_parameter_tuning_job(
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


def _response_invoke_endpoint(self: SageMakerRuntimeResponse) -> Any:
    name = self._get_params().get("EndpointName") or self.path.split("/")[2]
    headers = {k.lower(): v for k, v in self.headers.items()}
    server = _local().server_for(
        self.current_account,
        self.region,
        name,
        headers.get("x-amzn-sagemaker-target-variant"),
    )
    body = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
    request_headers = {"Content-Type": headers.get("content-type", "application/octet-stream")}
    if headers.get("accept"):
        request_headers["Accept"] = headers["accept"]
    log_stream = (
        f"arn:aws:logs:{self.region}:{self.current_account}:log-group:"
        f"/aws/sagemaker/Endpoints/{name}"
    )
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.request("POST", "/invocations", body=body, headers=request_headers)
        response = connection.getresponse()
        payload = response.read()
        content_type = response.getheader("Content-Type") or "application/octet-stream"
        connection.close()
    except OSError as error:
        raise ModelError(
            f"Model server of production variant {server.variant} did not answer: {error}",
            500,
            str(error),
            log_stream,
        ) from error
    if response.status != 200:
        text = payload.decode("utf-8", errors="replace")[:1000]
        kind = "client" if response.status < 500 else "server"
        raise ModelError(
            f'Received {kind} error ({response.status}) from primary with message "{text}". '
            f"See {log_stream} in account {self.current_account} for more information.",
            response.status,
            text,
            log_stream,
        )
    try:
        datacapture.capture_invocation(
            self.current_account,
            self.region,
            name,
            server.variant,
            (request_headers["Content-Type"], body),
            (content_type, payload),
        )
    except s3sync.S3Error as error:
        # SageMaker logs a capture it cannot write; the invocation still answers. The IAM
        # ledger keeps the denial, so the e2e suite fails on it.
        LOG.warning("data capture of endpoint %s failed: %s", name, error)
    return (
        200,
        {"Content-Type": content_type, "x-Amzn-Invoked-Production-Variant": server.variant},
        payload,
    )


_PATCHES: list[tuple[Any, str, Any]] = [
    (BackendClass, "create_training_job", _create_training_job),
    (BackendClass, "stop_training_job", _stop_training_job),
    (BackendClass, "create_hyper_parameter_tuning_job", _create_hyper_parameter_tuning_job),
    (BackendClass, "stop_hyper_parameter_tuning_job", _stop_hyper_parameter_tuning_job),
    (
        BackendClass,
        "list_training_jobs_for_hyper_parameter_tuning_job",
        _list_training_jobs_for_tuning,
    ),
    (BackendClass, "create_endpoint", _create_endpoint),
    (BackendClass, "update_endpoint", _update_endpoint),
    (BackendClass, "delete_endpoint", _delete_endpoint),
    (SageMakerResponse, "stop_training_job", _response_stop_training_job),
    (SageMakerResponse, "update_endpoint", _response_update_endpoint),
    (SageMakerResponse, "stop_hyper_parameter_tuning_job", _response_stop_tuning_job),
    (
        SageMakerResponse,
        "list_training_jobs_for_hyper_parameter_tuning_job",
        _response_list_training_jobs_for_tuning,
    ),
    (SageMakerRuntimeResponse, "invoke_endpoint", _response_invoke_endpoint),
]


def install(work_dir: Path, region: str = "us-east-1") -> Callable[[], None]:
    """Make moto's SageMaker run jobs and endpoints for real; returns the uninstaller.

    The uninstaller stops every training job, tuning job and model server started here and
    restores moto's methods. Installing again first uninstalls the previous installation.
    """
    global _active
    if _active is not None:
        _uninstall()
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    _active = LocalSageMaker(work_dir, region)
    patching.apply(_PATCHES, _originals)
    installed = _active

    def uninstall() -> None:
        if _active is installed:
            _uninstall()

    return uninstall


def _uninstall() -> None:
    global _active
    local = _active
    if local is not None:
        local.shutdown()
    _active = None
    patching.restore(_PATCHES, _originals)


def training_log(job_name: str) -> str:
    """The log of a local training job (program output plus `[sagebuild]` lines)."""
    path = _local().job_dir(job_name) / "training.log"
    return path.read_text(errors="replace") if path.is_file() else ""


def endpoint_log(endpoint_name: str) -> str:
    """The logs of every model server started for an endpoint, oldest first."""
    directory = _local().endpoint_dir(endpoint_name)
    logs = sorted(directory.glob("*/server.log"), key=lambda p: p.stat().st_mtime)
    return "".join(f"== {p.parent.name}\n{p.read_text(errors='replace')}" for p in logs)


def endpoint_ports(endpoint_name: str) -> list[int]:
    """The 127.0.0.1 ports of the model servers currently serving `endpoint_name`."""
    local = _local()
    with local.lock:
        return [
            server.port
            for (_, _, name), state in local.endpoints.items()
            if name == endpoint_name
            for server in state.servers
        ]
