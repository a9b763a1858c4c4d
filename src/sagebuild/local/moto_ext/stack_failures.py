"""A resource that fails fails its stack in the local stack, named, as on AWS.

moto behaviours replaced (moto 5.2.5): an error creating a resource raises out of the API call
(or leaves the stack in CREATE_IN_PROGRESS), and moto's create loop retries a failed resource
four more times. Here a failed resource (any error, or a custom resource's FAILED response:
`custom_resources`) fails the stack with the resource's reason: a `<LogicalId> CREATE_FAILED`
stack event carrying the reason, the stack rolled back to ROLLBACK_COMPLETE (ROLLBACK_FAILED if
the rollback fails too; UPDATE_FAILED / DELETE_FAILED for update and delete, a DELETE_FAILED
stack stays listed) and `StackStatusReason` set. An update honours Conditions as create does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sagebuild.local import patching


class ResourceFailed(Exception):
    """A stack resource could not be created, updated or deleted."""

    def __init__(self, logical_id: str, resource_type: str, reason: str) -> None:
        super().__init__(f"{logical_id} ({resource_type}): {reason}")
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.reason = reason


class Abort(BaseException):
    """Carries a ResourceFailed through moto's retry loops (they catch Exception)."""

    def __init__(self, failure: ResourceFailed) -> None:
        super().__init__(str(failure))
        self.failure = failure


def _failure_of(error: BaseException) -> ResourceFailed:
    if isinstance(error, Abort):
        return error.failure
    if isinstance(error, ResourceFailed):
        return error
    cause = error.__cause__ or error.__context__
    if isinstance(cause, ResourceFailed):
        return cause
    return ResourceFailed("", "", f"{type(error).__name__}: {error}")


def _record(stack: Any, status: str, failure: ResourceFailed) -> None:
    from moto.cloudformation.models import Event

    event = Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=failure.logical_id or stack.name,
        physical_resource_id="",
        resource_type=failure.resource_type or "AWS::CloudFormation::Stack",
        resource_status=status,
        resource_status_reason=failure.reason,
        resource_properties=None,
    )
    stack.events.append(event)


def _forget_resources(stack: Any) -> None:
    """After a rollback or delete: nothing left to list, resolve or (lazily!) re-create.

    moto's resource and output maps are lazy: describing a deleted stack's outputs or listing
    its resources would create the resources again (and re-send custom resource Creates).
    """
    from moto.cloudformation.parsing import OutputMap

    stack.resource_map._resource_json_map = {}
    stack.output_map = OutputMap(stack.resource_map, {"Outputs": {}}, stack.stack_id)


def _patched_parse_and_create(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse_and_create_resource(
        logical_id: str, resource_json: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        try:
            return original(logical_id, resource_json, *args, **kwargs)
        except (ResourceFailed, Abort):
            raise
        except Exception as error:  # noqa: BLE001 - named and re-raised
            raise ResourceFailed(
                logical_id, resource_json.get("Type", ""), f"{type(error).__name__}: {error}"
            ) from error

    return parse_and_create_resource


def _patched_parse_and_update(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse_and_update_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, *args: Any, **kw: Any
    ) -> Any:
        # moto's update ignores Conditions: a resource whose condition is false would be
        # "updated" (and fail on references to other condition-false resources), and one
        # whose condition turned true would never be created. Honour them as create does.
        existing = resources_map._parsed_resources.get(logical_id)
        condition = resource_json.get("Condition")
        if condition and not resources_map.lazy_condition_map[condition]:
            if existing is not None:
                resources_map._delete_resource(existing, resource_json)
            return None
        if existing is None:
            from moto.cloudformation import parsing

            return parsing.parse_and_create_resource(
                logical_id, resource_json, resources_map, *args, **kw
            )
        try:
            updated = original(logical_id, resource_json, resources_map, *args, **kw)
        except Abort:
            raise
        except Exception as error:  # noqa: BLE001 - named; moto would retry it 4 more times
            raise Abort(
                ResourceFailed(
                    logical_id, resource_json.get("Type", ""), f"{type(error).__name__}: {error}"
                )
            ) from error
        if updated is None:
            # moto has no update for this type: keep the resource rather than lose it.
            return resources_map[logical_id]
        return updated

    return parse_and_update_resource


def _stack_create_resources(original_create: Callable[..., Any]) -> Callable[..., None]:
    def create_resources(self: Any) -> None:
        try:
            original_create(self)
        except (Exception, Abort) as error:  # noqa: BLE001 - the stack fails, as on AWS
            failure = _failure_of(error)
            _record(self, "CREATE_FAILED", failure)
            self.status = "ROLLBACK_IN_PROGRESS"
            self.status_reason = (
                f"The following resource(s) failed to create: [{failure.logical_id}]. "
                f"{failure.reason}"
            )
            self._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=failure.reason)
            try:
                self.resource_map.delete()
                _forget_resources(self)
                self.status = "ROLLBACK_COMPLETE"
            except (Exception, Abort) as rollback_error:  # noqa: BLE001
                _record(self, "DELETE_FAILED", _failure_of(rollback_error))
                self.status = "ROLLBACK_FAILED"
            self._add_stack_event(self.status)

    return create_resources


def fail_stack(stack: Any, action: str, status: str, error: BaseException) -> None:
    """Mark `stack` failed by `error` (its status, reason and stack event)."""
    failure = _failure_of(error)
    _record(stack, status, failure)
    stack.status = status
    stack.status_reason = (
        f"The following resource(s) failed to {action}: [{failure.logical_id}]. {failure.reason}"
    )
    stack._add_stack_event(status, resource_status_reason=failure.reason)


def _stack_delete(original_delete: Callable[..., Any]) -> Callable[..., None]:
    def delete(self: Any) -> None:
        try:
            original_delete(self)
            _forget_resources(self)
        except (Exception, Abort) as error:  # noqa: BLE001
            fail_stack(self, "delete", "DELETE_FAILED", error)

    return delete


def _backend_delete_stack(original_backend_delete: Callable[..., Any]) -> Callable[..., None]:
    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        stacks = [s for s in self.stacks.values() if name_or_stack_id in (s.name, s.stack_id)]
        original_backend_delete(self, name_or_stack_id)
        for stack in stacks:
            if stack.status == "DELETE_FAILED":  # stays listed, as on AWS
                self.deleted_stacks.pop(stack.stack_id, None)
                self.stacks[stack.stack_id] = stack

    return delete_stack


def install() -> Callable[[], None]:
    """Fail stacks on failed resources; returns the uninstall callable."""
    from moto.cloudformation import models as cfn_models
    from moto.cloudformation import parsing

    return patching.install(
        [
            # name every failing resource; never retry a failed one
            patching.wrap(parsing, "parse_and_create_resource", _patched_parse_and_create),
            patching.wrap(parsing, "parse_and_update_resource", _patched_parse_and_update),
            patching.wrap(cfn_models.Stack, "create_resources", _stack_create_resources),
            patching.wrap(cfn_models.Stack, "delete", _stack_delete),
            patching.wrap(cfn_models.CloudFormationBackend, "delete_stack", _backend_delete_stack),
        ]
    )


__all__ = ["Abort", "ResourceFailed", "fail_stack", "install"]
