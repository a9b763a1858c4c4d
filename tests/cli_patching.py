"""Replace one of the CLI's functions in every `sagebuild.cli` module that bound it.

The CLI is a package whose command modules import the functions they share
(`from sagebuild.cli.options import target_of`), so a test that runs a command without AWS
replaces the function under each name that holds it, not only where it is defined.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import pytest


def replace(patch: pytest.MonkeyPatch, module: ModuleType, name: str, value: Any) -> None:
    """`module.name` (as it is now) and every `sagebuild.cli*` binding of it become `value`."""
    current = getattr(module, name)
    for module_name, loaded in list(sys.modules.items()):
        if loaded is None or not module_name.startswith("sagebuild.cli"):
            continue
        for key, bound in list(vars(loaded).items()):
            if bound is current:
                patch.setattr(loaded, key, value)


def offline(patch: pytest.MonkeyPatch, publish: Any, save: Any) -> None:
    """The CLI without AWS: a target that is never used, a stored SCIKIT document, and the
    given publish and save functions."""
    from sagebuild.cli import options, params

    replace(patch, options, "target_of", lambda ctx: object())
    replace(patch, params, "stored", lambda target: {"framework": "SCIKIT"})
    replace(patch, params, "stack_framework", lambda target: "SCIKIT")
    replace(patch, params, "parameter_name", lambda target: "/demo/parameters")
    replace(patch, options, "publish", publish)
    replace(patch, params, "save", save)
