"""Stop what an ended run left running: its training or tuning job, image builds, hook runs.

Step Functions stops only the state machine when a run is aborted, times out or fails; the
SageMaker job, the CodeBuild build and the nested ETL/PostProcess executions it started keep
running (and billing). The Run Ended function finds them from the run's last state document
(GetExecutionHistory) and from the names every run derives at Initialize, and stops each one
still in progress. "Already ended" and "never started" are not errors.

An UpdateEndpoint in progress cannot be cancelled (SageMaker has no such API): it completes,
or SageMaker rolls it back itself when it fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from domain.aws import ClientFactory, is_not_found
from domain.hooks import HOOKS
from domain.naming import sanitise
from domain.state import RunState, is_run_document

ENDED_BADLY = ("FAILED", "ABORTED", "TIMED_OUT")
_STATE_EXITED = "StateExited"


@dataclass(frozen=True)
class EndedRun:
    execution_arn: str
    status: str  # SUCCEEDED | FAILED | ABORTED | TIMED_OUT

    @property
    def name(self) -> str:
        return self.execution_arn.split(":")[-1]


def _history(aws: ClientFactory, execution_arn: str) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "reverseOrder": True}
    while True:
        page = aws("stepfunctions").get_execution_history(**kwargs)
        yield from page.get("events", [])
        if not page.get("nextToken"):
            return
        kwargs["nextToken"] = page["nextToken"]


def last_state(aws: ClientFactory, execution_arn: str) -> RunState | None:
    """The last state document the run's states passed on (None if Initialize never ended)."""
    for event in _history(aws, execution_arn):
        if not str(event.get("type", "")).endswith(_STATE_EXITED):
            continue
        details = event.get("stateExitedEventDetails") or {}
        try:
            document = json.loads(details.get("output") or "{}")
        except ValueError:
            continue
        if isinstance(document, dict) and is_run_document(document):
            return RunState.from_dict(document)
    return None


def _training_names(state: RunState) -> tuple[set[str], set[str]]:
    names = state.context.names
    training, tuning = {names.training_job}, {names.tuning_job}
    record = state.training
    if record.name:
        (tuning if record.extra.get("kind") == "tuning" else training).add(record.name)
    return training - {""}, tuning - {""}


def _stop_training(aws: ClientFactory, name: str) -> str | None:
    sagemaker = aws("sagemaker")
    try:
        status = sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
        if status != "InProgress":
            return None
        sagemaker.stop_training_job(TrainingJobName=name)
    except ClientError as error:
        if is_not_found(error):
            return None
        raise
    return f"training job {name}"


def _stop_tuning(aws: ClientFactory, name: str) -> str | None:
    sagemaker = aws("sagemaker")
    try:
        described = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if described["HyperParameterTuningJobStatus"] != "InProgress":
            return None
        sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    except ClientError as error:
        if is_not_found(error):
            return None
        raise
    return f"tuning job {name}"


def _stop_builds(aws: ClientFactory, state: RunState) -> list[str]:
    builds = (state.training_image_build.name, state.inference_image_build.name)
    ids = [build_id for build_id in builds if build_id]
    if not ids:
        return []
    codebuild, stopped = aws("codebuild"), list[str]()
    for build in codebuild.batch_get_builds(ids=ids).get("builds", []):
        if build.get("buildStatus") == "IN_PROGRESS":
            codebuild.stop_build(id=build["id"])
            stopped.append(f"image build {build['id']}")
    return stopped


def hook_execution_arn(machine: str, execution: str, hook: str) -> str:
    """The nested execution a run starts for a hook (named as `hooks.start_hook` names it)."""
    name = f"{sanitise(execution)[:60]}-{hook}"
    return f"{machine.replace(':stateMachine:', ':execution:')}:{name}"


def _stop_hooks(aws: ClientFactory, execution: str, machines: dict[str, str]) -> list[str]:
    stepfunctions, stopped = aws("stepfunctions"), list[str]()
    for hook in HOOKS:
        machine = machines.get(hook, "")
        if not machine:
            continue
        arn = hook_execution_arn(machine, execution, hook)
        try:
            if stepfunctions.describe_execution(executionArn=arn)["status"] != "RUNNING":
                continue
            stepfunctions.stop_execution(
                executionArn=arn, error="sagebuild.RunStopped", cause=f"run {execution} ended"
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                continue
            raise
        stopped.append(f"{hook} execution {arn.split(':')[-1]}")
    return stopped


def stop_run_work(
    run: EndedRun, state: RunState | None, aws: ClientFactory, machines: dict[str, str]
) -> list[str]:
    """Stop every job, build and hook execution the run left in progress; what was stopped.

    Without a state document (the run ended in Initialize) it started nothing but, perhaps,
    the hook executions named after it."""
    if run.status not in ENDED_BADLY:
        return []
    stopped: list[str] = []
    if state is not None:
        training, tuning = _training_names(state)
        stopped += [found for name in sorted(training) if (found := _stop_training(aws, name))]
        stopped += [found for name in sorted(tuning) if (found := _stop_tuning(aws, name))]
        stopped += _stop_builds(aws, state)
    execution = state.run.execution if state is not None else run.name
    stopped += _stop_hooks(aws, execution, machines)
    return stopped
