"""The version record: what the last successful run deployed (the VersionParameterStore)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.aws import ClientFactory, write_json_parameter
from domain.state import RunState


def version_record(state: RunState, now: datetime) -> dict[str, Any]:
    return {
        "version": state.version,
        "run": state.run.run_number,
        "execution": state.run.execution,
        "recorded_at": now.isoformat(),
        "model": state.model.name,
        "model_data_url": state.model.model_data_url,
        "training_job": state.training.name,
        "metrics": state.metrics,
        "endpoint_config": str(state.deployment.extra.get("endpoint_config", ""))
        if state.flags.deploy
        else "",
    }


def record_version(
    state: RunState, parameter: str, aws: ClientFactory, now: datetime
) -> dict[str, int]:
    """Write the version record when the run deployed (a run with deploy off keeps it)."""
    if not state.version:
        return {"version": 0}
    record = version_record(state, now)
    write_json_parameter(aws, parameter, record)
    return {"version": state.version}
