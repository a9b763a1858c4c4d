"""Value checkers and the annotated types of the schema: each checker coerces a value the way
the original accepted it, or raises one plain "expected ..." sentence (`fail`)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from domain.config.limits import (
    MAX_ENVIRONMENT_VALUE,
    MAX_INSTANCES,
    MAX_TRAINING_HOURS,
    MIN_RUNTIME_SECONDS,
    SECONDS_PER_HOUR,
)


def fail(expected: str) -> PydanticCustomError:
    return PydanticCustomError("sagebuild", expected)


def whole(minimum: int, maximum: int) -> Callable[[Any], int]:
    expected = f"expected a whole number from {minimum} to {maximum}"

    def check(value: Any) -> int:
        if isinstance(value, bool):
            raise fail(expected)
        if isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (  # not NaN or ±Infinity
            isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,30}\s*", value)
        ):
            number = int(value)
        else:
            raise fail(expected)
        if not minimum <= number <= maximum:
            raise fail(expected)
        return number

    return check


def finite_number(value: Any) -> float | None:
    """A finite number (never NaN, ±Infinity, or an integer too large for a float), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def optional_number(value: Any) -> float | None:
    if value is None:
        return None
    number = finite_number(value)
    if number is None:
        raise fail("expected a finite number")
    return number


def positive(value: Any) -> float:
    number = finite_number(value)
    if number is None or number <= 0:
        raise fail("expected a finite number > 0")
    return number


def hours(value: Any) -> int | float:
    """Hours that make a MaxRuntimeInSeconds SageMaker takes: 1 second to 28 days."""
    number = finite_number(value)
    if (
        number is None
        or not 0 < number <= MAX_TRAINING_HOURS
        or int(number * SECONDS_PER_HOUR) < MIN_RUNTIME_SECONDS
    ):
        raise fail(
            f"expected a number of hours from 1 second (1/{SECONDS_PER_HOUR}) "
            f"to {MAX_TRAINING_HOURS} (28 days)"
        )
    return int(number) if number.is_integer() else number


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise fail("expected true or false")


def choice(*choices: str) -> Callable[[Any], str]:
    by_lower = {c.lower(): c for c in choices}
    expected = "expected one of " + ", ".join(repr(c) for c in choices)

    def check(value: Any) -> str:
        if isinstance(value, str) and value.strip().lower() in by_lower:
            return by_lower[value.strip().lower()]
        raise fail(expected)

    return check


def nonempty_text(value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise fail("expected a non-empty string")


def optional_text(value: Any) -> str | None:
    """The original seeded 'none' for unset entry points and source files."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    return nonempty_text(value)


def instance_type(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"ml\.[a-z0-9-]+\.[a-z0-9-]+", value.strip()):
        return value.strip()
    raise fail("expected a SageMaker instance type like 'ml.m5.large'")


_S3_URI = re.compile(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?")


def s3_uri(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    if isinstance(value, str) and _S3_URI.fullmatch(value.strip()):
        return value.strip()
    raise fail("expected an S3 URI like 's3://bucket/key'")


def scalar_text(value: Any) -> str | None:
    """A string, true/false or finite number as text; None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and finite_number(value) is not None:
        return str(value)
    return None


def string_map(value: Any) -> dict[str, str]:
    expected = (
        "expected an object of names to strings, true/false or finite numbers "
        f"(at most {MAX_ENVIRONMENT_VALUE} characters each)"
    )
    if not isinstance(value, dict):
        raise fail(expected)
    out: dict[str, str] = {}
    for key, item in value.items():
        text = scalar_text(item)
        if text is None or len(text) > MAX_ENVIRONMENT_VALUE:
            raise fail(expected)
        out[str(key)] = text
    return out


def hyperparameter_map(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail("expected an object of hyperparameter names to values")
    return {str(k): v for k, v in value.items()}


def string_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return [v.strip() for v in value]
    raise fail("expected a list of names")


InstanceCount = Annotated[int, BeforeValidator(whole(1, MAX_INSTANCES))]
Hours = Annotated[int | float, BeforeValidator(hours)]
Flag = Annotated[bool, BeforeValidator(flag)]
Text = Annotated[str, BeforeValidator(nonempty_text)]
OptionalText = Annotated[str | None, BeforeValidator(optional_text)]
InstanceType = Annotated[str, BeforeValidator(instance_type)]
S3Uri = Annotated[str | None, BeforeValidator(s3_uri)]
StringMap = Annotated[dict[str, str], BeforeValidator(string_map)]
StringList = Annotated[list[str], BeforeValidator(string_list)]
Hyperparameters = Annotated[dict[str, Any], BeforeValidator(hyperparameter_map)]
InputMode = Annotated[str, BeforeValidator(choice("File", "Pipe", "FastFile"))]
