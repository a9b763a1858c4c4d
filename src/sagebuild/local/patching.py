"""The one way the local stack replaces moto's behaviour: lists of `Patch`, installed and undone.

A `Patch` is `(owner, name, value)`: `owner.name = value` while installed, where `owner` is a
class, a module or any object (an attribute), or a dict (a key, e.g. moto's
`default_user_config`). `wrap(owner, name, make)` builds the patch whose value is
`make(original)`, for a replacement that calls what it replaces (classmethods and
staticmethods are unwrapped for `make` and wrapped again). `install(patches)` applies a list
in order and returns the callable that puts back exactly what was there, newest first (an
attribute that did not exist is removed again). Every moto extension (`moto_ext`), the local
CodeBuild and the local SageMaker declare their patches this way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

Patch = tuple[Any, str, Any]
_MISSING = object()


def _current(owner: Any, name: str) -> Any:
    """What `owner` itself holds under `name` (not inherited), or _MISSING."""
    if isinstance(owner, dict):
        return owner.get(name, _MISSING)
    return vars(owner).get(name, _MISSING)


def _set(owner: Any, name: str, value: Any) -> None:
    if isinstance(owner, dict):
        owner[name] = value
    else:
        setattr(owner, name, value)


def _put_back(owner: Any, name: str, previous: Any) -> None:
    if previous is not _MISSING:
        _set(owner, name, previous)
    elif isinstance(owner, dict):
        owner.pop(name, None)
    elif name in vars(owner):
        delattr(owner, name)


def wrap(owner: Any, name: str, make: Callable[[Callable[..., Any]], Any]) -> Patch:
    """The patch replacing `owner.name` with `make(original)` (original as found now).

    For a classmethod or staticmethod (own or inherited), `make` gets the plain function and
    its result is made a classmethod / staticmethod again, so `make` writes
    `def replacement(cls, ...)` and calls `original(cls, ...)`.
    """
    original = owner[name] if isinstance(owner, dict) else inspect.getattr_static(owner, name)
    if isinstance(original, classmethod):
        return (owner, name, classmethod(make(original.__func__)))
    if isinstance(original, staticmethod):
        return (owner, name, staticmethod(make(original.__func__)))
    return (owner, name, make(original))


def install(patches: Iterable[Patch]) -> Callable[[], None]:
    """Apply `patches` in order; returns the callable that puts back what they replaced."""
    saved: list[tuple[Any, str, Any]] = []
    try:
        for owner, name, value in patches:
            saved.append((owner, name, _current(owner, name)))
            _set(owner, name, value)
    except BaseException:
        _undo(saved)
        raise

    def uninstall() -> None:
        _undo(saved)

    return uninstall


def _undo(saved: list[tuple[Any, str, Any]]) -> None:
    while saved:
        _put_back(*saved.pop())


# `apply` / `restore` with an originals dict: the older spelling of `install`, kept for the
# callers that have not moved to it yet.
def apply(patches: Iterable[Patch], originals: dict[tuple[Any, str], Any]) -> None:
    """Set each (owner, name) to its replacement, keeping what was there in `originals`."""
    for owner, name, value in patches:
        originals[(owner, name)] = _current(owner, name)
        _set(owner, name, value)


def restore(patches: Iterable[Patch], originals: dict[tuple[Any, str], Any]) -> None:
    """Put back what `apply` replaced (remove what did not exist before)."""
    for owner, name, _ in patches:
        _put_back(owner, name, originals.pop((owner, name), _MISSING))


__all__ = ["Patch", "apply", "install", "restore", "wrap"]
