"""Local SageMaker: moto's SageMaker with jobs that really run and statuses that move.

`install(work_dir)` patches moto 5.2.5 in this process (decorator mode and an in-process
`ThreadedMotoServer` alike) and returns the function that undoes it and stops every job and
server it started. The package along its seams:

- `jobs`: CreateTrainingJob runs a real job (`sagebuild.local.training.TrainingRun`) in a
  background thread: InProgress (Starting → Downloading → Training → Uploading) → Completed /
  Failed / Stopped; StopTrainingJob → Stopping → Stopped.
- `tuning`: CreateHyperParameterTuningJob is a random search over real training jobs;
  StopHyperParameterTuningJob and ListTrainingJobsForHyperParameterTuningJob.
- `endpoints`: CreateEndpoint, UpdateEndpoint (switch after `/ping`, silent rollback on
  failure) and DeleteEndpoint, over the model servers of `servers`.
- `runtime`: InvokeEndpoint forwarded to a live model server; errors are ModelError (424).
- `patches`: the moto patches (`sagebuild.local.patching`) and `install`.
- `state`: the installed instance, its lock, threads, runs, tuning jobs and servers.

Status changes of training jobs, tuning jobs and endpoints emit SageMaker's EventBridge state
change events (moto: none), through `moto_ext.events_delivery.emit_sagemaker`. Data comes from
and goes to moto's S3 backend objects directly (`s3sync`), which works in both moto modes
without endpoints or credentials. Files live under `work_dir`: `training/<job>/` (the
`/opt/ml` stand-in and `training.log`) and `endpoints/<endpoint>/<variant>-<n>/`
(`server.log`).
"""

from sagebuild.local.sagemaker.endpoints import endpoint_log, endpoint_ports
from sagebuild.local.sagemaker.jobs import training_log
from sagebuild.local.sagemaker.patches import install
from sagebuild.local.sagemaker.runtime import EndpointNotFound, ModelError
from sagebuild.local.sagemaker.servers import (
    BYOD_PING_TIMEOUT_SECONDS,
    DEFAULT_SERVING_PORT,
    PING_TIMEOUT_SECONDS,
    ModelServer,
)
from sagebuild.local.sagemaker.state import LocalSageMaker
from sagebuild.local.sagemaker.tuning import sample_hyperparameters

__all__ = [
    "BYOD_PING_TIMEOUT_SECONDS",
    "DEFAULT_SERVING_PORT",
    "PING_TIMEOUT_SECONDS",
    "EndpointNotFound",
    "LocalSageMaker",
    "ModelError",
    "ModelServer",
    "endpoint_log",
    "endpoint_ports",
    "install",
    "sample_hyperparameters",
    "training_log",
]
