"""The moto patches that hook the local SageMaker in, and `install`.

Each patch names the moto 5.2.5 behaviour it replaces (module docstrings say how): the
backend's training, tuning and endpoint methods, the response-layer actions moto does not
have, and sagemaker-runtime's InvokeEndpoint. They work in decorator mode and in an
in-process `ThreadedMotoServer` alike.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from moto.sagemaker.responses import SageMakerResponse
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from sagebuild.local import patching
from sagebuild.local.sagemaker import endpoints, jobs, runtime, state, tuning
from sagebuild.local.sagemaker.state import BackendClass, LocalSageMaker


def _patches() -> list[patching.Patch]:
    """The patches, wrapping moto's methods as they are now (call before installing)."""
    return [
        (
            BackendClass,
            "create_training_job",
            jobs.create_training_job(BackendClass.create_training_job),
        ),
        (BackendClass, "stop_training_job", jobs.stop_training_job),
        (
            BackendClass,
            "create_hyper_parameter_tuning_job",
            tuning.create_hyper_parameter_tuning_job(
                BackendClass.create_hyper_parameter_tuning_job
            ),
        ),
        (BackendClass, "stop_hyper_parameter_tuning_job", tuning.stop_hyper_parameter_tuning_job),
        (
            BackendClass,
            "list_training_jobs_for_hyper_parameter_tuning_job",
            tuning.list_training_jobs_for_tuning,
        ),
        (BackendClass, "create_endpoint", endpoints.create_endpoint(BackendClass.create_endpoint)),
        (BackendClass, "update_endpoint", endpoints.update_endpoint),
        (BackendClass, "delete_endpoint", endpoints.delete_endpoint(BackendClass.delete_endpoint)),
        (SageMakerResponse, "stop_training_job", jobs.respond_stop_training_job),
        (SageMakerResponse, "update_endpoint", endpoints.respond_update_endpoint),
        (SageMakerResponse, "stop_hyper_parameter_tuning_job", tuning.respond_stop_tuning_job),
        (
            SageMakerResponse,
            "list_training_jobs_for_hyper_parameter_tuning_job",
            tuning.respond_list_training_jobs_for_tuning,
        ),
        (SageMakerRuntimeResponse, "invoke_endpoint", runtime.respond_invoke_endpoint),
    ]


_restore: Callable[[], None] | None = None


def install(work_dir: Path, region: str = "us-east-1") -> Callable[[], None]:
    """Make moto's SageMaker run jobs and endpoints for real; returns the uninstaller.

    The uninstaller stops every training job, tuning job and model server started here and
    restores moto's methods. Installing again first uninstalls the previous installation.
    """
    global _restore
    _uninstall()
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    installed = LocalSageMaker(work_dir, region)
    state.activate(installed)
    _restore = patching.install(_patches())

    def uninstall() -> None:
        if state.installed() is installed:
            _uninstall()

    return uninstall


def _uninstall() -> None:
    global _restore
    local = state.installed()
    if local is not None:
        local.shutdown()
    state.activate(None)
    restore, _restore = _restore, None
    if restore is not None:
        restore()
