"""The registry of request builders: one builder per framework family, behind one interface."""

from __future__ import annotations

from domain.config import normalise_framework
from domain.requests.amazon import AmazonBuilder
from domain.requests.byod import ByodBuilder
from domain.requests.common import FrameworkBuilder
from domain.requests.framework import ScriptModeBuilder

_SCRIPT_MODE = ScriptModeBuilder()
BUILDERS: dict[str, FrameworkBuilder] = {
    "BYOD": ByodBuilder(),
    "AMAZON": AmazonBuilder(),
    "SCIKIT": _SCRIPT_MODE,
    "XGBOOST": _SCRIPT_MODE,
    "PYTORCH": _SCRIPT_MODE,
    "TENSORFLOW": _SCRIPT_MODE,
    "MXNET": _SCRIPT_MODE,
}


def builder_for(framework: str) -> FrameworkBuilder:
    """The builder of a framework (CHAINER raises `UnsupportedConfiguration`)."""
    return BUILDERS[normalise_framework(framework)]
