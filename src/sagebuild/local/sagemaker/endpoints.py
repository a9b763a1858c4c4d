"""Endpoints: CreateEndpoint, UpdateEndpoint and DeleteEndpoint with real model servers.

- CreateEndpoint (moto: `InService` at once) → Creating → one model server per production
  variant answers `/ping` (`servers`) → InService, or Failed with FailureReason.
- UpdateEndpoint (moto: NotImplemented) → Updating → new servers; the switch happens after they
  answer `/ping`, then the old ones stop. A failed update stays InService on the OLD config
  with FailureReason set (SageMaker's silent rollback). Refused while the endpoint is in
  progress, or while a variant it removes is still an autoscaling target.
- DeleteEndpoint (moto: forgets the record) → also stops the servers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker import models as sm_models
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from sagebuild.local.moto_ext.events_delivery import emit_sagemaker
from sagebuild.local.sagemaker.servers import DeployError, ModelServer, start_server
from sagebuild.local.sagemaker.state import Backend, LocalSageMaker, backend_of, current, key


@dataclass
class EndpointState:
    servers: list[ModelServer] = field(default_factory=list)
    generation: int = 0


def deploy(
    local: LocalSageMaker, backend: Backend, endpoint: Any, config_name: str, update: bool
) -> None:
    """Start servers for `config_name`; on success make them the endpoint's servers."""
    endpoint_key = key(backend, endpoint.endpoint_name)
    with local.lock:
        state = local.endpoints.setdefault(endpoint_key, EndpointState())
        state.generation += 1
        generation = state.generation

    def work() -> None:
        servers: list[ModelServer] = []
        reason = None
        try:
            config = backend.endpoint_configs[config_name]
            for variant in config.production_variants:
                servers.append(start_server(local, backend, endpoint.endpoint_name, variant))
        except DeployError as error:
            reason = str(error)
        except Exception as error:  # noqa: BLE001 - any error fails the deployment
            reason = f"InternalFailure: {error}"
        with local.lock:
            state_now = local.endpoints.get(endpoint_key)
            stale = state_now is None or state_now.generation != generation or local.closed.is_set()
            old: list[ModelServer] = []
            if not stale and reason is None and state_now is not None:
                old, state_now.servers = state_now.servers, servers
            local.starting.difference_update(servers)
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

    local.spawn(work, f"endpoint-{endpoint.endpoint_name}")


def stop_endpoint(local: LocalSageMaker, backend: Backend, name: str) -> None:
    with local.lock:
        state = local.endpoints.pop(key(backend, name), None)
    for server in state.servers if state else []:
        server.stop()


# -- the moto replacements ---------------------------------------------------------------------


def create_endpoint(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's create_endpoint, then the servers start (Creating → InService or Failed)."""

    def create_endpoint(
        self: Backend, endpoint_name: str, endpoint_config_name: str, tags: Any = None
    ) -> Any:
        if endpoint_name in self.endpoints:
            arn = sm_models.FakeEndpoint.arn_formatter(
                endpoint_name, self.account_id, self.region_name
            )
            raise ValidationError(message=f'Cannot create already existing endpoint "{arn}".')
        endpoint = original(
            self, endpoint_name=endpoint_name, endpoint_config_name=endpoint_config_name, tags=tags
        )
        endpoint.endpoint_status = "Creating"
        emit_sagemaker(endpoint)
        deploy(current(), self, endpoint, endpoint_config_name, update=False)
        return endpoint

    return create_endpoint


def update_endpoint(self: Backend, endpoint_name: str, endpoint_config_name: str) -> Any:
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
    deploy(current(), self, endpoint, endpoint_config_name, update=True)
    return endpoint


def delete_endpoint(original: Callable[..., Any]) -> Callable[..., Any]:
    """Deleting, moto's delete_endpoint, then the servers stop."""

    def delete_endpoint(self: Backend, endpoint_name: str) -> None:
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is not None:
            _refuse_autoscaled_variants(self, endpoint, None)
            endpoint.endpoint_status = "Deleting"
            emit_sagemaker(endpoint)
        original(self, endpoint_name)
        stop_endpoint(current(), self, endpoint_name)

    return delete_endpoint


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


def respond_update_endpoint(self: SageMakerResponse) -> Any:
    from moto.core.responses import ActionResult

    endpoint = backend_of(self).update_endpoint(
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
    )
    return ActionResult({"EndpointArn": endpoint.arn})


def endpoint_log(endpoint_name: str) -> str:
    """The logs of every model server started for an endpoint, oldest first."""
    directory = current().endpoint_dir(endpoint_name)
    logs = sorted(directory.glob("*/server.log"), key=lambda p: p.stat().st_mtime)
    return "".join(f"== {p.parent.name}\n{p.read_text(errors='replace')}" for p in logs)


def endpoint_ports(endpoint_name: str) -> list[int]:
    """The 127.0.0.1 ports of the model servers currently serving `endpoint_name`."""
    local = current()
    with local.lock:
        return [
            server.port
            for (_, _, name), state in local.endpoints.items()
            if name == endpoint_name
            for server in state.servers
        ]
