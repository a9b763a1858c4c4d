"""Stack updates change only what changed (replaces moto's `ResourceMap.build_resource_diff`).

moto fills in a resource's JSON while creating it (for example an empty `Properties`), so on
the next update_stack every such resource compares as modified and is replaced: the stack's
SNS topics got new ARNs on any parameter change. Here the comparison ignores an absent versus
empty `Properties`, and a resource counts as modified only when its JSON changed or it
references a parameter whose value changed (what CloudFormation does). After the update, a
resource whose Condition turned true is created and one whose Condition turned false is
deleted (moto evaluates Conditions only at create).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation import parsing


def _normal(resource: dict[str, Any]) -> dict[str, Any]:
    return {**resource, "Properties": resource.get("Properties") or {}}


def build_resource_diff(
    self: Any, other_template: dict[str, Any], parameters: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    old, new = self._resource_json_map, other_template["Resources"]
    given = parameters or {}
    changed_parameters = [name for name in given if self.input_parameters.get(name) != given[name]]
    modified = []
    for name in new:
        if name not in old:
            continue
        if _normal(new[name]) != _normal(old[name]) or any(
            p in parsing.get_references_from_template(new[name]) for p in changed_parameters
        ):
            modified.append(name)
    return {
        "Add": [name for name in new if name not in old],
        "Modify": modified,
        "Remove": [name for name in old if name not in new],
    }


def _apply_conditions(resources: Any, template: dict[str, Any]) -> None:
    """Create what a condition now allows; delete what it no longer does."""
    for name, resource_json in template["Resources"].items():
        condition = resource_json.get("Condition")
        if not condition:
            continue
        wanted = bool(resources.lazy_condition_map[condition])
        existing = resources._parsed_resources.get(name)
        if wanted and existing is None:
            resources._parsed_resources[name] = parsing.parse_and_create_resource(
                name, resource_json, resources, resources._account_id, resources._region_name
            )
        elif not wanted and existing is not None:
            resources._delete_resource(existing, resource_json)
            resources._parsed_resources[name] = None


def install() -> Callable[[], None]:
    original_diff = parsing.ResourceMap.build_resource_diff
    original_update = parsing.ResourceMap.update

    def update(self: Any, template: dict[str, Any], parameters: Any = None) -> None:
        original_update(self, template, parameters)
        _apply_conditions(self, template)

    parsing.ResourceMap.build_resource_diff = build_resource_diff  # type: ignore[method-assign]
    parsing.ResourceMap.update = update  # type: ignore[method-assign]

    def uninstall() -> None:
        parsing.ResourceMap.build_resource_diff = original_diff  # type: ignore[method-assign]
        parsing.ResourceMap.update = original_update  # type: ignore[method-assign]

    return uninstall
