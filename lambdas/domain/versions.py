"""The version record: what the last successful run deployed (the VersionParameterStore)."""

from __future__ import annotations

from datetime import datetime

from domain.aws import ClientFactory, write_json_parameter


def version_record(state: dict, now: datetime) -> dict:
    training = state.get("training") or {}
    deployment = state.get("deployment") or {}
    return {
        "version": int(state["run"]["version"]),
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
    record = version_record(state, now)
    write_json_parameter(aws, parameter, record)
    return {"version": record["version"]}
