"""Hyperparameter ranges: which hyperparameter values are HPO ranges, parsed into
`ParameterRange`s, and how a value is sent to SageMaker.

A range is parsed once, when a `Config` is built (`Config.ranges`); validation and the tuning
request (`domain.requests.tuning`) read the parsed ranges from there.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from domain.config.limits import MAX_CATEGORICAL_VALUES, MAX_NESTING, MAX_RANGE_VALUE
from domain.config.types import finite_number


@dataclass(frozen=True)
class ParameterRange:
    """One HPO range parsed from a hyperparameter value."""

    name: str
    kind: str  # "Categorical" | "Continuous" | "Integer"
    values: tuple[Any, ...] = ()
    min_value: float = 0.0
    max_value: float = 0.0
    scaling: str | None = None


_SCALING = ("Auto", "Linear", "Logarithmic", "ReverseLogarithmic")
_RANGE_KEYS = {"Values", "MinValue", "MaxValue", "integer", "ScalingType"}
RANGE_EXPECTED = (
    "expected a number, string, true/false, list, or a range object "
    '({"Values": [...]} or {"MinValue": .., "MaxValue": .., "integer"?, "ScalingType"?})'
)


def as_range_object(value: Any) -> dict[str, Any] | None:
    """Range objects may also arrive JSON-encoded in a string (the original allowed it)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return None
        if isinstance(parsed, dict) and parsed.keys() & _RANGE_KEYS:
            return parsed
    return None


def range_bound_text(value: float) -> str:
    """A range bound as the tuning request sends it (`domain.requests.common.encode_number`)."""
    return str(int(value)) if value.is_integer() else repr(value)


def hyperparameter_text(value: Any, script_mode: bool) -> str | None:
    """A hyperparameter value as SageMaker gets it: JSON in script mode
    (`domain.requests.framework`), else strings as given and the rest as JSON
    (`domain.requests.common.encode_plain`). None when it cannot be encoded."""
    if isinstance(value, str) and not script_mode:
        return value
    try:
        return json.dumps(value, allow_nan=False)
    except (ValueError, TypeError, RecursionError):  # NaN, huge ints, too deep
        return None


def nesting_problem(value: Any) -> str | None:
    """Why a JSON value cannot be sent (a non-finite number, nested too deep), else None.

    Walks the value without recursion, so any depth is safe."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_NESTING:
            return f"expected a value nested at most {MAX_NESTING} levels deep"
        if isinstance(item, float) and not math.isfinite(item):
            return "expected finite numbers (no NaN or Infinity)"
        if isinstance(item, int) and not isinstance(item, bool) and finite_number(item) is None:
            return "expected finite numbers (this one is too large for a float)"
        if isinstance(item, dict):
            pending.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            pending.extend((v, depth + 1) for v in item)
    return None


def parse_range(name: str, value: Any) -> ParameterRange | None:
    """Return the range a hyperparameter value describes, None for a static value.

    Raises ValueError with an "expected ..." sentence for a malformed range object."""
    obj = as_range_object(value)
    if obj is None:
        return None
    unknown = set(obj) - _RANGE_KEYS
    if unknown or not obj:
        raise ValueError(RANGE_EXPECTED)
    scaling = obj.get("ScalingType")
    if scaling is not None and scaling not in _SCALING:
        raise ValueError("expected ScalingType one of " + ", ".join(repr(s) for s in _SCALING))
    if "Values" in obj:
        values = obj["Values"]
        if set(obj) != {"Values"} or not isinstance(values, list) or not values:
            raise ValueError('expected a categorical range {"Values": [one or more values]}')
        if not all(
            isinstance(v, str | bool)
            or (isinstance(v, int | float) and finite_number(v) is not None)
            for v in values
        ):
            raise ValueError(
                "expected categorical Values to be strings, finite numbers or true/false"
            )
        if len(values) > MAX_CATEGORICAL_VALUES:
            raise ValueError(f"expected at most {MAX_CATEGORICAL_VALUES} categorical Values")
        return ParameterRange(name=name, kind="Categorical", values=tuple(values))
    low, high = finite_number(obj.get("MinValue")), finite_number(obj.get("MaxValue"))
    if low is None or high is None or low > high:
        raise ValueError("expected a range with finite numbers MinValue ≤ MaxValue")
    if max(len(range_bound_text(low)), len(range_bound_text(high))) > MAX_RANGE_VALUE:
        raise ValueError(
            f"expected MinValue and MaxValue of at most {MAX_RANGE_VALUE} characters as "
            "SageMaker gets them"
        )
    integer = obj.get("integer", False)
    if isinstance(integer, str):
        integer = integer.lower() == "true"
    if integer and not (low.is_integer() and high.is_integer()):
        raise ValueError("expected whole-number MinValue and MaxValue for an integer range")
    return ParameterRange(
        name=name,
        kind="Integer" if integer else "Continuous",
        min_value=low,
        max_value=high,
        scaling=scaling,
    )


def parse_ranges(hyperparameters: dict[str, Any]) -> dict[str, ParameterRange | str]:
    """Every hyperparameter that is a range object: its `ParameterRange`, or the "expected ..."
    sentence saying why it is malformed. Static values are left out."""
    found: dict[str, ParameterRange | str] = {}
    for name, value in hyperparameters.items():
        try:
            parsed = parse_range(name, value)
        except ValueError as error:
            found[name] = str(error)
            continue
        if parsed is not None:
            found[name] = parsed
    return found
