"""Stack updates change only what changed (replaces moto's `ResourceMap.build_resource_diff`).

moto fills in a resource's JSON while creating it (for example an empty `Properties`), so on
the next update_stack every such resource compares as modified and is replaced: the stack's
SNS topics got new ARNs on any parameter change. Here the comparison ignores an absent versus
empty `Properties`, and a resource counts as modified only when its JSON changed or it
references a parameter whose value changed, or uses `Fn::If` on a condition that such a
parameter feeds (its resolved properties change: a role gains a conditional policy), which is
what CloudFormation does. After the update, a
resource whose Condition turned true is created and one whose Condition turned false is
deleted (moto evaluates Conditions only at create).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation import parsing

from sagebuild.local import patching


def _normal(resource: dict[str, Any]) -> dict[str, Any]:
    return {**resource, "Properties": resource.get("Properties") or {}}


def build_resource_diff(
    self: Any, other_template: dict[str, Any], parameters: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    old, new = self._resource_json_map, other_template["Resources"]
    given = parameters or {}
    changed_parameters = [name for name in given if self.input_parameters.get(name) != given[name]]
    touched = _conditions_depending_on(other_template.get("Conditions") or {}, changed_parameters)
    modified = []
    for name in new:
        if name not in old:
            continue
        if (
            _normal(new[name]) != _normal(old[name])
            or any(p in parsing.get_references_from_template(new[name]) for p in changed_parameters)
            or _uses_condition(new[name].get("Properties") or {}, touched)
        ):
            modified.append(name)
    return {
        "Add": [name for name in new if name not in old],
        "Modify": modified,
        "Remove": [name for name in old if name not in new],
    }


def _conditions_depending_on(conditions: dict[str, Any], parameters: list[str]) -> set[str]:
    """Conditions whose value may change with these parameters (directly or via others)."""
    touched: set[str] = set()
    grew = True
    while grew:
        grew = False
        for name, body in conditions.items():
            if name in touched:
                continue
            refs = _refs(body)
            if refs & set(parameters) or refs & touched:
                touched.add(name)
                grew = True
    return touched


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("Ref", "Condition") and isinstance(value, str):
                found.add(value)
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def _uses_condition(node: Any, conditions: set[str]) -> bool:
    """True when a property uses Fn::If on one of `conditions` (its resolved value may change)."""
    if isinstance(node, dict):
        branch = node.get("Fn::If")
        if isinstance(branch, list) and branch and branch[0] in conditions:
            return True
        return any(_uses_condition(v, conditions) for v in node.values())
    if isinstance(node, list):
        return any(_uses_condition(item, conditions) for item in node)
    return False


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
    original_update = parsing.ResourceMap.update

    def update(self: Any, template: dict[str, Any], parameters: Any = None) -> None:
        original_update(self, template, parameters)
        _apply_conditions(self, template)

    return patching.install(
        [
            (parsing.ResourceMap, "build_resource_diff", build_resource_diff),
            (parsing.ResourceMap, "update", update),
        ]
    )
