"""The problem sentences: how a bad value is quoted, a key named, a pydantic error worded,
and a "did you mean" suggested. Tests compare these sentences word for word."""

from __future__ import annotations

import difflib
from typing import Any

from domain.config.limits import MAX_NESTING


def show(value: Any) -> str:
    """A bad value as a problem quotes it: short, and never a value nested too deep to read
    (Python 3.11 cannot repr() one; 3.12 and 3.13 can, which would quote a wall of brackets)."""
    if isinstance(value, dict | list | tuple) and too_deep(value):
        return "a value too large to show"
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an int of over 4300 digits, a value nested too deep
        text = "a value too large to show"
    return short(text)


def too_deep(value: Any) -> bool:
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_NESTING:
            return True
        if isinstance(item, dict):
            pending.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            pending.extend((v, depth + 1) for v in item)
    return False


def short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def key_name(key: str) -> str:
    """A key as a problem names it: on one line, and short."""
    return short(key if key.isprintable() else repr(key))


def suggest(key: str, choices: list[str]) -> str:
    by_lower = {c.lower(): c for c in choices}
    if key.lower() in by_lower:
        return f" (did you mean {by_lower[key.lower()]!r}?)"
    close = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""


_PYDANTIC_EXPECTED = {
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "list_type": "expected a list",
    "string_type": "expected a string",
    "missing": "required",
}


def describe(error: Any, nested_names: list[str]) -> str:
    """One pydantic error as a problem sentence; `nested_names` are the keys of the nested
    objects, for a "did you mean" on an unknown one."""
    loc = [str(part) for part in error["loc"]]
    path = ".".join(key_name(part) for part in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = ".".join(key_name(part) for part in loc[:-1])
        return f"unknown key {loc[-1]!r} in {parent}{suggest(loc[-1], nested_names)}"
    if kind == "missing":
        return f"{path}: required"
    expected = error["msg"] if kind == "sagebuild" else _PYDANTIC_EXPECTED.get(kind)
    if expected is None:
        expected = "expected " + error["msg"][:1].lower() + error["msg"][1:]
    return f"{path}: {expected}, got {show(error.get('input'))}"
