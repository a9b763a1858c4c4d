"""The parameter document: its one typed schema, per-framework defaults and validation.

This package is the only place that knows the keys of the SSM parameter document (see
`docs/configuration.md`). `parse_config` turns a raw document into a `Config` with every
default filled in, or raises `InvalidParameters` listing every bad key in plain sentences;
`load_config` rebuilds a `Config` cheaply from a document that already passed.

Modules: `types` (value checkers), `models` (the schema), `ranges` (HPO ranges), `limits`
(SageMaker's limits and their sources), `defaults`, `validation`, `messages` (the sentences).
The image catalogue it validates versions against is `domain.images`, a leaf module.
"""

from domain.config.defaults import FRAMEWORK_DEFAULTS, defaults_for, normalise_framework
from domain.config.limits import *  # noqa: F403 (every limit, as `domain.config.MAX_...`)
from domain.config.models import (
    FRAMEWORKS,
    RESERVED_TAG_PREFIXES,
    RETIRED_FRAMEWORKS,
    SCRIPT_MODE_FRAMEWORKS,
    Approval,
    AutoScaling,
    Build,
    Channel,
    Config,
    DataCapture,
    DeployGate,
    MetricDefinition,
    PipelineContainer,
    Shuffle,
    Tag,
    TuningObjective,
)
from domain.config.ranges import (
    ParameterRange,
    hyperparameter_text,
    parse_range,
    parse_ranges,
    range_bound_text,
)
from domain.config.validation import (
    load_config,
    merge_overrides,
    override_problems,
    parse_config,
)

__all__ = [
    "FRAMEWORKS",
    "FRAMEWORK_DEFAULTS",
    "RESERVED_TAG_PREFIXES",
    "RETIRED_FRAMEWORKS",
    "SCRIPT_MODE_FRAMEWORKS",
    "Approval",
    "AutoScaling",
    "Build",
    "Channel",
    "Config",
    "DataCapture",
    "DeployGate",
    "MetricDefinition",
    "ParameterRange",
    "PipelineContainer",
    "Shuffle",
    "Tag",
    "TuningObjective",
    "defaults_for",
    "hyperparameter_text",
    "load_config",
    "merge_overrides",
    "normalise_framework",
    "override_problems",
    "parse_config",
    "parse_range",
    "parse_ranges",
    "range_bound_text",
]
