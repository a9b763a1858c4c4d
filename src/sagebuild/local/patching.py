"""Replacing methods on moto's classes and putting them back (local SageMaker and CodeBuild)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Patch = tuple[Any, str, Callable[..., Any]]
_MISSING = object()


def apply(patches: Iterable[Patch], originals: dict[tuple[Any, str], Any]) -> None:
    """Set each (owner, name) to its replacement, keeping what was there in `originals`."""
    for owner, name, function in patches:
        originals[(owner, name)] = owner.__dict__.get(name, _MISSING)
        setattr(owner, name, function)


def restore(patches: Iterable[Patch], originals: dict[tuple[Any, str], Any]) -> None:
    """Put back what `apply` replaced (remove what did not exist before)."""
    for owner, name, _ in patches:
        original = originals.pop((owner, name), _MISSING)
        if original is _MISSING:
            if name in owner.__dict__:
                delattr(owner, name)
        else:
            setattr(owner, name, original)


def install(patches: list[Patch]) -> Callable[[], None]:
    """Apply `patches`; returns the callable that puts back what they replaced."""
    originals: dict[tuple[Any, str], Any] = {}
    apply(patches, originals)
    return lambda: restore(patches, originals)
