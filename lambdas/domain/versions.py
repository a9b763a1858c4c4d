"""The version record: what the last successful run deployed (the VersionParameterStore)."""

from __future__ import annotations

from datetime import datetime

from domain.aws import ClientFactory, write_json_parameter


def deployed_version(state: dict) -> int:
    """The version a run deploys (allocated at Create Endpoint Config), 0 before that."""
    value = (state.get("deployment") or {}).get("version")
    return value if isinstance(value, int) else 0


def version_record(state: dict, now: datetime) -> dict:
    training = state.get("training") or {}
    deployment = state.get("deployment") or {}
    return {
        "version": deployed_version(state),
        "run": int(state["run"].get("run_number") or 0),
        "execution": state["run"]["execution"],
        "recorded_at": now.isoformat(),
        "model": state["model"]["name"],
        "model_data_url": state["model"]["model_data_url"],
        "training_job": training.get("name", ""),
        "metrics": training.get("metrics", []),
        "endpoint_config": deployment.get("endpoint_config", "")
        if state["flags"]["deploy"]
        else "",
    }


def record_version(state: dict, parameter: str, aws: ClientFactory, now: datetime) -> dict:
    """Write the version record when the run deployed (a run with deploy off keeps it)."""
    if not deployed_version(state):
        return {"version": 0}
    record = version_record(state, now)
    write_json_parameter(aws, parameter, record)
    return {"version": record["version"]}
