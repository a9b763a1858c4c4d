"""Start and poll the optional ETL and PostProcess state machines (the user's hooks)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from domain import status
from domain.aws import ClientFactory
from domain.jobs import Job, polled, started
from domain.naming import sanitise
from domain.settings import Settings
from domain.state import RunState

HOOKS = ("etl", "postprocess")


def hook_input(state: RunState) -> dict[str, Any]:
    """What a hook receives: the run, its config and what the run produced so far."""
    document = state.to_dict()
    keys = ("run", "config", "context", "training", "model", "deployment")
    return {key: document[key] for key in keys}


def start_hook(
    hook: str, state: RunState, settings: Settings, aws: ClientFactory, now: datetime
) -> Job:
    """StartExecution: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html"""
    if hook not in HOOKS:
        raise ValueError(f"hook must be one of {HOOKS}, got {hook!r}")
    machine = settings.etl_state_machine if hook == "etl" else settings.postprocess_state_machine
    name = f"{sanitise(state.run.execution)[:60]}-{hook}"
    execution = aws("stepfunctions").start_execution(
        stateMachineArn=machine, name=name, input=json.dumps(hook_input(state), default=str)
    )
    return started(execution["executionArn"], now, settings.poll_floor_seconds, hook=hook)


def poll_hook(job: Job, settings: Settings, aws: ClientFactory, now: datetime) -> Job:
    described = aws("stepfunctions").describe_execution(executionArn=job.name)
    new_status = status.normalise("execution", described["status"])
    reason = ""
    if new_status in {status.FAILED, status.STOPPED}:
        reason = (
            " ".join(
                part for part in (described.get("error", ""), described.get("cause", "")) if part
            )
            or f"execution ended {described['status']}"
        )
    return polled(job, new_status, now, settings.poll_floor_seconds, reason=reason)
