"""The installed local SageMaker: its work directory, its lock, its threads and what runs.

One `LocalSageMaker` is active between `install` and its uninstaller (`patches`); the moto
replacements find it with `current()`. Training runs, tuning jobs and endpoint servers are
keyed by (account, region, name), like moto's backends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moto.sagemaker import models as sm_models

if TYPE_CHECKING:
    from sagebuild.local.sagemaker.endpoints import EndpointState
    from sagebuild.local.sagemaker.servers import ModelServer
    from sagebuild.local.sagemaker.tuning import TuningState
    from sagebuild.local.training import TrainingRun

BackendClass = sm_models.SageMakerModelBackend
Backend = Any  # a SageMakerModelBackend, with the methods added here
Key = tuple[str, str, str]


def key(backend: Backend, name: str) -> Key:
    return (backend.account_id, backend.region_name, name)


def backend_of(response: Any) -> Backend:
    """The backend of a SageMakerResponse, with the methods moto 5.2.5 lacks added here."""
    return response.sagemaker_backend


class LocalSageMaker:
    """The state of the installed local SageMaker: runs, tuning jobs, endpoint servers."""

    def __init__(self, work_dir: Path, region: str) -> None:
        self.work_dir = work_dir
        self.region = region
        self.lock = threading.RLock()
        self.closed = threading.Event()
        self.runs: dict[Key, TrainingRun] = {}
        self.threads: list[threading.Thread] = []
        self.tuning: dict[Key, TuningState] = {}
        self.endpoints: dict[Key, EndpointState] = {}
        self.starting: set[ModelServer] = set()  # servers not yet owned by an endpoint

    def job_dir(self, name: str) -> Path:
        """`training/<job>/`: the job's `/opt_ml` stand-in and `training.log`."""
        return self.work_dir / "training" / name

    def endpoint_dir(self, endpoint: str) -> Path:
        """`endpoints/<endpoint>/`: one `<variant>-<n>/` (with `server.log`) per server."""
        return self.work_dir / "endpoints" / endpoint

    def spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self.lock:
            self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def shutdown(self) -> None:
        """Stop every tuning job, training run and model server started here."""
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


_active: LocalSageMaker | None = None


def current() -> LocalSageMaker:
    """The installed local SageMaker; RuntimeError when none is."""
    if _active is None:
        raise RuntimeError("sagebuild.local.sagemaker is not installed")
    return _active


def installed() -> LocalSageMaker | None:
    return _active


def activate(local: LocalSageMaker | None) -> None:
    """Make `local` the installed one (None: none is)."""
    global _active
    _active = local
