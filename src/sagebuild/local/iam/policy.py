"""IAM policy evaluation for identity-based policies: Allow/Deny, wildcards, conditions.

Pure functions, no moto: the local stack's enforcement (`moto_ext.iam_enforcement`) and the
emulated services call `evaluate` with the principal's policy documents and one request.

What AWS documents and this implements (IAM User Guide, "Policy evaluation logic" and "IAM JSON
policy elements reference"):
- an explicit Deny in any statement wins; otherwise an Allow is needed (implicit deny);
- `Action`/`NotAction` match case-insensitively, `Resource`/`NotResource` case-sensitively,
  both with the `*` and `?` wildcards;
- every condition operator in a statement must hold (AND), every key of an operator must hold
  (AND), and a key holds when any of the policy's values matches any of the request's (OR);
- `...IfExists` holds when the key is absent; a negated operator (`StringNotEquals`,
  `ArnNotLike`, ...) holds when the key is absent; `Null` tests presence;
- `ForAnyValue:` / `ForAllValues:` set operators over multivalued keys;
- condition key names are case-insensitive, values of String operators case-sensitive.
Not implemented (documented in docs/local-fidelity.md): policy variables (`${aws:username}`),
Date and IpAddress operators (a statement using one fails the evaluation loudly), permissions
boundaries, session policies, SCPs and resource-based policies.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# A request's condition context: lower-cased key -> values, or None when the key is absent.
ContextLookup = Callable[[str], list[str] | None]


class PolicyError(ValueError):
    """A policy uses something this evaluator cannot evaluate (never silently allowed)."""


@dataclass(frozen=True)
class Request:
    """One authorisation question: may `action` be done on `resource`, in this context."""

    action: str
    resource: str
    context: ContextLookup = field(default=lambda _key: None)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit_deny: bool = False
    statements: tuple[str, ...] = ()  # ids ("policy#index") of the statements that decided


def evaluate(documents: Iterable[tuple[str, Mapping[str, Any]]], request: Request) -> Decision:
    """Evaluate (policy name, document) pairs for one request, as AWS does."""
    allows: list[str] = []
    denies: list[str] = []
    for name, document in documents:
        for index, statement in enumerate(_statements(document)):
            if not _statement_applies(statement, request):
                continue
            sid = f"{name}#{statement.get('Sid', index)}"
            if statement.get("Effect") == "Deny":
                denies.append(sid)
            elif statement.get("Effect") == "Allow":
                allows.append(sid)
    if denies:
        return Decision(allowed=False, explicit_deny=True, statements=tuple(denies))
    return Decision(allowed=bool(allows), statements=tuple(allows))


def statement_ids(documents: Iterable[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """Every statement's id ("policy#index" or "policy#Sid"), for coverage reports."""
    return [
        f"{name}#{statement.get('Sid', index)}"
        for name, document in documents
        for index, statement in enumerate(_statements(document))
    ]


def parse_document(document: str | Mapping[str, Any]) -> Mapping[str, Any]:
    """A policy document as a dict (moto stores some as JSON strings, some URL-encoded)."""
    if isinstance(document, Mapping):
        return document
    return _parse_text(document)


@lru_cache(maxsize=1024)
def _parse_text(document: str) -> Mapping[str, Any]:
    text = document
    if text.lstrip()[:3].upper() == "%7B":
        from urllib.parse import unquote

        text = unquote(text)
    parsed = json.loads(text)
    if not isinstance(parsed, dict):
        raise PolicyError("a policy document must be a JSON object")
    return parsed


# --------------------------------------------------------------------------- statements


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        return [statements]
    return [s for s in statements if isinstance(s, Mapping)]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    return [item for item in items if item is not None]  # AWS::NoValue left by moto


def _statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotAction" in statement:
        if _any_match(statement["NotAction"], request.action, ignore_case=True):
            return False
    elif not _any_match(statement.get("Action"), request.action, ignore_case=True):
        return False
    if "NotResource" in statement:
        if _any_match(statement["NotResource"], request.resource, ignore_case=False):
            return False
    elif "Resource" in statement and not _any_match(
        statement["Resource"], request.resource, ignore_case=False
    ):
        return False
    return conditions_hold(statement.get("Condition") or {}, request.context)


def _any_match(patterns: Any, value: str, *, ignore_case: bool) -> bool:
    return any(wildcard_match(str(p), value, ignore_case=ignore_case) for p in _as_list(patterns))


@lru_cache(maxsize=4096)
def _wildcard_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    translated = fnmatch.translate(pattern.replace("[", "[[]"))
    return re.compile(translated, re.IGNORECASE if ignore_case else 0)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's `*` (any run of characters) and `?` (one character) matching."""
    if pattern == "*":
        return True
    return _wildcard_regex(pattern, ignore_case).match(value) is not None


# --------------------------------------------------------------------------- conditions

_NEGATED = {
    "stringnotequals",
    "stringnotequalsignorecase",
    "stringnotlike",
    "arnnotequals",
    "arnnotlike",
    "numericnotequals",
}


def conditions_hold(block: Mapping[str, Any], context: ContextLookup) -> bool:
    """True when every operator of a statement's Condition block holds for the context."""
    for operator, keys in block.items():
        if not isinstance(keys, Mapping):
            raise PolicyError(f"condition operator {operator} must map keys to values")
        for key, expected in keys.items():
            if not _condition_holds(operator, key, _as_list(expected), context):
                return False
    return True


def _condition_holds(operator: str, key: str, expected: list[Any], context: ContextLookup) -> bool:
    name = operator
    set_operator = ""
    if ":" in name:
        set_operator, name = name.split(":", 1)
        set_operator = set_operator.lower()
    if_exists = name.endswith("IfExists")
    if if_exists:
        name = name[: -len("IfExists")]
    base = name.lower()
    actual = context(key.lower())

    if base == "null":
        wanted = str(expected[0]).lower() == "true" if expected else True
        return (actual is None or actual == []) is wanted
    if actual is None:
        if if_exists or base in _NEGATED:
            return True
        return set_operator == "forallvalues"  # AWS: ForAllValues over an empty set holds
    compare = _comparator(base, operator)
    if set_operator == "forallvalues":
        return all(any(compare(e, a) for e in expected) for a in actual)
    if base in _NEGATED:
        positive = _comparator(_positive(base), operator)
        return not any(positive(e, a) for e in expected for a in actual)
    return any(compare(e, a) for e in expected for a in actual)


def _positive(base: str) -> str:
    return base.replace("not", "", 1)


def _comparator(base: str, operator: str) -> Callable[[Any, str], bool]:
    if base in _NEGATED:
        return _comparator(_positive(base), operator)
    table: dict[str, Callable[[Any, str], bool]] = {
        "stringequals": lambda e, a: str(e) == a,
        "stringequalsignorecase": lambda e, a: str(e).lower() == a.lower(),
        "stringlike": lambda e, a: wildcard_match(str(e), a),
        "arnequals": lambda e, a: wildcard_match(str(e), a),
        "arnlike": lambda e, a: wildcard_match(str(e), a),
        "bool": lambda e, a: str(e).lower() == a.lower(),
        "numericequals": lambda e, a: _number(e) == _number(a),
        "numericlessthan": lambda e, a: _number(a) < _number(e),
        "numericlessthanequals": lambda e, a: _number(a) <= _number(e),
        "numericgreaterthan": lambda e, a: _number(a) > _number(e),
        "numericgreaterthanequals": lambda e, a: _number(a) >= _number(e),
    }
    try:
        return table[base]
    except KeyError:
        raise PolicyError(
            f"condition operator {operator} is not evaluated by the local stack "
            "(docs/local-fidelity.md lists the supported operators)"
        ) from None


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


__all__ = [
    "ContextLookup",
    "Decision",
    "PolicyError",
    "Request",
    "conditions_hold",
    "evaluate",
    "parse_document",
    "statement_ids",
    "wildcard_match",
]
