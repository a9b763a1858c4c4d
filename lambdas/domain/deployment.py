"""Create the model and endpoint config, deploy the endpoint, verify it, clean up a failure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from domain import autoscaling, naming, requests, status
from domain.aws import (
    ClientFactory,
    describe_endpoint,
    invoke_json,
    is_not_found,
    read_json_parameter,
)
from domain.errors import DeployFailed, SilentRollback
from domain.jobs import Job, polled, started
from domain.run_table import RunTable
from domain.settings import Settings
from domain.state import ModelInfo, RunState


def _overridden(
    function: str, state: RunState, request: dict[str, Any], aws: ClientFactory
) -> dict[str, Any]:
    """The request a ModelConfigLambda/EndpointConfigLambda override returns for ours."""
    if not function:
        return request
    returned: dict[str, Any] = invoke_json(
        aws, function, {"state": state.to_dict(), "request": request}
    )
    return returned


def create_model(state: RunState, settings: Settings, aws: ClientFactory) -> ModelInfo:
    """CreateModel: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html"""
    model_data_url = str(state.training.extra.get("artifact", ""))
    request = requests.model_request(state.context, state.config, model_data_url)
    request = _overridden(settings.model_config_lambda, state, request, aws)
    aws("sagemaker").create_model(**request)
    return ModelInfo(name=request["ModelName"], model_data_url=model_data_url)


def allocate_version(settings: Settings, aws: ClientFactory) -> int:
    """The next version: one atomic counter, seeded from the version record of older stacks."""
    recorded = read_json_parameter(aws, settings.version_parameter_name).get("version")
    seed = recorded if isinstance(recorded, int) and recorded > 0 else 0
    return RunTable(aws, settings.run_table).next_number("version", at_least=seed)


def create_endpoint_config(state: RunState, settings: Settings, aws: ClientFactory) -> Job:
    """CreateEndpointConfig: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html

    The run gets its version here, when it deploys: runs that fail earlier use none.
    """
    version = allocate_version(settings, aws)
    context = state.context
    config_name = naming.endpoint_config_name(context.resources.stack, version, state.run.execution)
    context = replace(
        context, version=version, names=replace(context.names, endpoint_config=config_name)
    )
    request = requests.endpoint_config_request(context, state.config, state.model.name)
    request = _overridden(settings.endpoint_config_lambda, state, request, aws)
    aws("sagemaker").create_endpoint_config(**request)
    return Job(
        name=context.resources.endpoint,
        extra={
            "endpoint_config": request["EndpointConfigName"],
            "version": version,
            "previous_config": state.endpoint.previous_config,
            "action": "",
        },
    )


def deploy_endpoint(state: RunState, settings: Settings, aws: ClientFactory, now: datetime) -> Job:
    """CreateEndpoint when the endpoint does not exist, else UpdateEndpoint (blue/green)."""
    sagemaker = aws("sagemaker")
    deployment = state.deployment
    endpoint, config = deployment.name, deployment.extra["endpoint_config"]
    current = describe_endpoint(aws, endpoint)
    released: list[dict[str, Any]] = []
    if current is None:
        sagemaker.create_endpoint(
            EndpointName=endpoint,
            EndpointConfigName=config,
            Tags=[{"Key": "sagebuild:stack", "Value": state.run.stack}],
        )
        action = "create"
    elif current["EndpointStatus"] in {"Failed", "OutOfService"}:
        raise DeployFailed(
            f"endpoint {endpoint} is {current['EndpointStatus']} and cannot be updated; "
            "delete it (aws sagemaker delete-endpoint) and start the run again"
        )
    elif current["EndpointStatus"] != "InService":
        raise DeployFailed(
            f"endpoint {endpoint} is {current['EndpointStatus']} (another update or a rollback "
            "is in progress) and SageMaker refuses to update it; start the run again once it "
            "is InService"
        )
    else:
        released = autoscaling.release_for_update(aws, current, config)
        try:
            sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=config)
        except ClientError:
            autoscaling.restore_variants(aws, released)  # the old variants keep serving
            raise
        action = "update"
    extra = {**deployment.extra, "action": action, "released_scaling": released}
    return started(endpoint, now, settings.poll_floor_seconds, **extra)


def poll_endpoint(deployment: Job, settings: Settings, aws: ClientFactory, now: datetime) -> Job:
    current = describe_endpoint(aws, deployment.name)
    if current is None:
        return polled(
            deployment,
            status.FAILED,
            now,
            settings.poll_floor_seconds,
            reason=f"endpoint {deployment.name} disappeared",
            endpoint_status="Missing",
        )
    return polled(
        deployment,
        status.normalise("endpoint", current["EndpointStatus"]),
        now,
        settings.poll_floor_seconds,
        reason=current.get("FailureReason", ""),
        endpoint_status=current["EndpointStatus"],
        current_config=current.get("EndpointConfigName", ""),
    )


def verify_endpoint(deployment: Job) -> None:
    """The endpoint must be InService on this run's config (catches SageMaker's silent rollback)."""
    expected = deployment.extra["endpoint_config"]
    running = deployment.extra.get("current_config", "")
    if running.lower() != expected.lower():
        detail = f": {deployment.reason}" if deployment.reason else ""
        raise SilentRollback(
            f"endpoint {deployment.name} is InService but runs {running or 'no config'} "
            f"instead of {expected} (SageMaker rolled the update back){detail}"
        )


def _delete(call: Callable[..., object], **kwargs: str) -> bool:
    try:
        call(**kwargs)
        return True
    except ClientError as error:
        if is_not_found(error):
            return False
        raise


def clean_up_deploy(state: RunState, aws: ClientFactory) -> dict[str, Any]:
    """Delete what the failed deploy created; the endpoint only if it ended Failed."""
    sagemaker = aws("sagemaker")
    deleted: list[str] = []
    deployment = state.deployment.to_dict()
    endpoint = state.deployment.name or state.context.resources.endpoint
    current = describe_endpoint(aws, endpoint) if endpoint else None
    failed = current is not None and current["EndpointStatus"] == "Failed"
    if failed and _delete(sagemaker.delete_endpoint, EndpointName=endpoint):
        deleted.append(f"endpoint {endpoint}")
    config = deployment.get("endpoint_config", "")
    serving = current is not None and not failed and current.get("EndpointConfigName") == config
    if (
        config
        and not serving
        and _delete(sagemaker.delete_endpoint_config, EndpointConfigName=config)
    ):
        deleted.append(f"endpoint config {config}")
    model = state.model.name
    if model and _delete(sagemaker.delete_model, ModelName=model):
        deleted.append(f"model {model}")
    result: dict[str, Any] = {
        "deleted": deleted,
        "endpoint_status": (current or {}).get("EndpointStatus", "Missing"),
    }
    released = deployment.get("released_scaling") or []
    previous = deployment.get("previous_config", "")
    if released and current is not None and current.get("EndpointConfigName") == previous:
        # The update failed and the old variants serve on: give them their autoscaling back.
        result["restored_scaling"] = autoscaling.restore_variants(aws, released)
    return result
