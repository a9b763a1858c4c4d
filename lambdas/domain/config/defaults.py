"""The defaults of the parameter document, in one place: the `Config` schema's field defaults
plus one small per-framework overlay, and the derived defaults filled once a config is built.

The stack seeds the stored document with the framework only (and, in script mode, where the
code is); `parse_config` fills everything else from here when a run starts.
"""

from __future__ import annotations

import copy
from typing import Any

from domain import images
from domain.config.messages import show
from domain.config.models import FRAMEWORKS, RETIRED_FRAMEWORKS, SCRIPT_MODE_FRAMEWORKS, Config
from domain.errors import InvalidParameters, UnsupportedConfiguration

# The framework-specific defaults, over the schema's: script mode's entry point and framework
# version, a larger host for the deep-learning frameworks' images than the schema's
# ml.t2.medium, BYOD's Dockerfile folders, AMAZON's algorithm.
_SCRIPT_MODE: dict[str, Any] = {"trainentrypoint": "train.py"}
_DEEP_LEARNING_HOST: dict[str, Any] = {"hostinstancetype": "ml.m5.large"}
FRAMEWORK_DEFAULTS: dict[str, dict[str, Any]] = {
    "BYOD": {
        "dockerfile_path_Training": "training/docker",
        "dockerfile_path_Inference": "inference/docker",
    },
    "AMAZON": {"algorithm": "xgboost"},
    "SCIKIT": {**_SCRIPT_MODE, "frameworkversion": "1.2-1"},
    "XGBOOST": {**_SCRIPT_MODE, "frameworkversion": "1.7-1"},
    "PYTORCH": {**_SCRIPT_MODE, "frameworkversion": "2.1", **_DEEP_LEARNING_HOST},
    "TENSORFLOW": {**_SCRIPT_MODE, "frameworkversion": "2.13", **_DEEP_LEARNING_HOST},
    "MXNET": {**_SCRIPT_MODE, "frameworkversion": "1.9", **_DEEP_LEARNING_HOST},
}

# Schema defaults a fresh document leaves out: warm starts and inference pipelines are
# opt-in, and script mode's own switches mean nothing to BYOD and AMAZON.
_NOT_SEEDED = frozenset({"parentJobs", "pipeline"})
_SCRIPT_MODE_ONLY = frozenset({"enablecloudwatchmetrics", "containerloglevel"})


def normalise_framework(framework: Any) -> str:
    """The canonical framework name; CHAINER raises `UnsupportedConfiguration`."""
    name = framework.strip().upper() if isinstance(framework, str) else ""
    if name in RETIRED_FRAMEWORKS:
        raise UnsupportedConfiguration(RETIRED_FRAMEWORKS[name])
    if name not in FRAMEWORKS:
        raise InvalidParameters(
            [f"framework: expected one of {', '.join(FRAMEWORKS)}, got {show(framework)}"]
        )
    return name


def _schema_defaults(framework: str) -> dict[str, Any]:
    """The schema's field defaults a fresh document of the framework spells out."""
    found: dict[str, Any] = {}
    for key, field in Config.model_fields.items():
        if key in _NOT_SEEDED or (
            key in _SCRIPT_MODE_ONLY and framework not in SCRIPT_MODE_FRAMEWORKS
        ):
            continue
        if field.is_required():
            continue
        value = field.get_default(call_default_factory=True)
        if value is not None:
            found[key] = value
    return found


def defaults_for(framework: str) -> dict[str, Any]:
    """A fresh document for a framework: the keys a user is expected to edit, each at its
    default (a new copy on every call).

    Derived defaults are left out so that they follow the keys they derive from: `pyversion`
    (from the framework version's image), AMAZON's `frameworkversion` (from `algorithm`),
    `hostentrypoint`/`hostsourcefile` (from the training ones), `maxwait` (from `trainmaxrun`).
    """
    name = normalise_framework(framework)
    return copy.deepcopy({"framework": name, **_schema_defaults(name), **FRAMEWORK_DEFAULTS[name]})


def resolve(config: Config) -> Config:
    """Fill the derived defaults (see `defaults_for`)."""
    updates: dict[str, Any] = {}
    if config.framework == "AMAZON" and config.frameworkversion is None:
        default = images.algorithm_default_version(config.algorithm or "")
        if default:
            updates["frameworkversion"] = default
    if config.is_script_mode and config.pyversion is None and config.frameworkversion:
        py = images.framework_py_versions(config.framework, config.frameworkversion)
        if py:
            updates["pyversion"] = py[0]
    if config.is_script_mode:
        updates["hostentrypoint"] = config.inference_entrypoint
        updates["hostsourcefile"] = config.inference_sourcefile
    if config.spot and config.maxwait is None:
        updates["maxwait"] = config.trainmaxrun
    return config.model_copy(update=updates)
