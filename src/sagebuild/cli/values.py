"""Reading what the command line gives: `--set KEY=VALUE` values (JSON when they parse, else the
string, refused when no parameter can hold them) and the LaunchTopic message they go into.
"""

from __future__ import annotations

import json
import math
from typing import Any

from sagebuild.cli_support import domain
from sagebuild.cli_support.errors import UserError

MAX_VALUE_NESTING = 100  # a parameter value nests a few levels; JSON's parser recurses


class _NotFinite(ValueError):
    """A JSON number SageMaker cannot take (NaN, Infinity, beyond a float's range)."""


def _finite_float(token: str) -> float:
    number = float(token)
    if not math.isfinite(number):
        raise _NotFinite(token)
    return number


def _finite_int(token: str) -> int:
    try:
        number = int(token)
        float(number)
    except (ValueError, OverflowError):  # over 4300 digits, or beyond a float's range
        raise _NotFinite(f"{token[:20]}... ({len(token.lstrip('-'))} digits)") from None
    return number


def _not_a_number(token: str) -> Any:
    raise _NotFinite(token)


def _nesting(text: str) -> int:
    """How deep the brackets of a JSON text nest (outside strings), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _is_json(text: str) -> bool:
    """Whether `text` is JSON, whatever its numbers."""
    try:
        json.loads(text, parse_float=len, parse_int=len, parse_constant=len)
    except ValueError:
        return False
    return True


def parse_value(text: str) -> Any:
    """A `--set` value: JSON when it parses (numbers, true, objects...), else the string.

    Raises UserError (an "expected ..." sentence) for JSON that no parameter can hold: nested
    over `MAX_VALUE_NESTING` levels, or a number that is not finite (NaN, Infinity, 1e309)."""
    if text.lstrip()[:1] in ("[", "{") and (depth := _nesting(text)) > MAX_VALUE_NESTING:
        raise UserError(
            f"expected a value nested at most {MAX_VALUE_NESTING} levels deep, got {depth}"
        )
    try:
        return json.loads(
            text, parse_float=_finite_float, parse_int=_finite_int, parse_constant=_not_a_number
        )
    except _NotFinite as error:
        if not _is_json(text):  # "NaNa", "1e999x": strings that begin like a number
            return text
        raise UserError(f"expected finite numbers, got {error}") from None
    except RecursionError:
        raise UserError(
            f"expected a value nested at most {MAX_VALUE_NESTING} levels deep"
        ) from None
    except ValueError:
        return text


def parse_assignments(items: list[str] | None) -> dict[str, Any]:
    """`key=value` items → a dict (values via `parse_value`); raises UserError on a bad item,
    naming its key."""
    found: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"expected KEY=VALUE, got {item!r}")
        name = key.strip()
        try:
            found[name] = parse_value(value)
        except UserError as error:
            shown = name if name.isprintable() else repr(name)
            raise UserError(f"{shown}: {error}") from None
    return found


def launch_message(
    train: bool | None, overrides: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    """The LaunchTopic message, written by the codec the Launch function reads it with
    (`domain.launch_message`); no overrides leave the key out."""
    message: dict[str, Any] = domain.launch_message().document(
        train=train, overrides=overrides or None, reason=reason
    )
    return message
