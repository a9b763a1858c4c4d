"""Validating a parameter document: `parse_config` (every problem in plain sentences, the
checks across keys), `load_config` (a document that already passed), and the launch
overrides' checks.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from domain import images
from domain.config.defaults import defaults_for, normalise_framework, resolve
from domain.config.limits import (
    MAX_HYPERPARAMETER_KEY,
    MAX_HYPERPARAMETER_VALUE,
    MAX_HYPERPARAMETERS,
    MAX_PARENT_JOBS,
    MAX_RANGE_VALUE,
    MAX_RANGES,
    MAX_TAGS,
    SAGEBUILD_TAGS,
    SCRIPT_MODE_HYPERPARAMETERS,
)
from domain.config.messages import describe, key_name, show, suggest
from domain.config.models import (
    RESERVED_TAG_PREFIXES,
    Build,
    Channel,
    Config,
    MetricDefinition,
    PipelineContainer,
    Shuffle,
    Tag,
    TuningObjective,
)
from domain.config.ranges import (
    RANGE_EXPECTED,
    ParameterRange,
    hyperparameter_text,
    nesting_problem,
)
from domain.errors import InvalidParameters, UnsupportedConfiguration


def merge_overrides(document: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Per-run launch overrides over the stored document: a shallow merge, overrides win."""
    if overrides is None:
        return dict(document)
    if not isinstance(overrides, dict):
        raise InvalidParameters(
            [f"launch overrides: expected a JSON object, got {show(overrides)}"]
        )
    return {**document, **overrides}


def parse_config(document: dict[str, Any], framework: str) -> Config:
    """Validate a parameter document; `framework` (the stack's) applies when the document
    has no `framework` key. Raises `InvalidParameters` naming every bad key."""
    if not isinstance(document, dict):
        raise InvalidParameters(
            [f"the parameter document: expected a JSON object, got {show(document)}"]
        )
    name = normalise_framework(document.get("framework") or framework)
    merged = {**defaults_for(name), **document, "framework": name}

    problems = _unknown_keys(merged)
    known = {k: v for k, v in merged.items() if k in Config.model_fields}
    config: Config | None = None
    bad: set[str] = set()
    try:
        config = Config.model_validate(known)
    except ValidationError as error:
        for item in error.errors():
            problems.append(describe(item, _nested_names()))
            bad.add(str(item["loc"][0]))
        # Check what still can be checked with the bad keys left at their defaults.
        try:
            config = Config.model_validate({k: v for k, v in known.items() if k not in bad})
        except ValidationError:
            config = None
    if config is not None:
        config = resolve(config)
        problems.extend(p for key, p in _semantic_problems(config) if key not in bad)
    if problems or config is None:
        raise InvalidParameters(problems)
    return config


def load_config(document: dict[str, Any]) -> Config:
    """A `Config` from a document that already passed `parse_config` (its `to_document()`).

    Cheap: no defaults merged, no unknown-key scan, no checks across keys; the values are
    still coerced to their types. Raises `InvalidParameters` if the document does not fit the
    schema (it did not come from `parse_config`)."""
    try:
        return Config.model_validate(document)
    except ValidationError as error:
        raise InvalidParameters(
            [describe(item, _nested_names()) for item in error.errors()]
        ) from error


def _semantic_problems(config: Config) -> list[tuple[str, str]]:
    """Checks across keys: (top-level key, sentence)."""
    found, ranges = _hyperparameter_problems(config)
    found.extend(_tuning_problems(config, ranges))
    if len(config.parentJobs) > MAX_PARENT_JOBS:
        found.append(
            (
                "parentJobs",
                f"parentJobs: expected at most {MAX_PARENT_JOBS} tuning jobs, "
                f"got {len(config.parentJobs)}",
            )
        )
    if config.spot and config.maxwait is not None and config.maxwait < config.trainmaxrun:
        found.append(
            (
                "maxwait",
                f"maxwait: expected at least trainmaxrun ({config.trainmaxrun} hours), "
                f"got {show(config.maxwait)}",
            )
        )
    found.extend(_tag_problems(config))
    found.extend(_image_problems(config))
    if config.is_script_mode and config.train and not config.trainentrypoint:
        found.append(
            (
                "trainentrypoint",
                f"trainentrypoint: required for {config.framework} (the script SageMaker runs, "
                "e.g. 'train.py')",
            )
        )
    return found


def _tuning_problems(config: Config, ranges: list[ParameterRange]) -> list[tuple[str, str]]:
    """The ranges and the tuning keys against configtrain: ranges only when tuning, and a
    tuning job's objective, ranges and job counts."""
    if not config.is_tuning:
        return [
            (
                "hyperparameters",
                f"hyperparameters.{key_name(parsed.name)}: a range is only valid when "
                f"configtrain is SAGEMAKERHPO (configtrain is {config.configtrain}), "
                f"got {show(config.hyperparameters[parsed.name])}",
            )
            for parsed in ranges
        ]
    found: list[tuple[str, str]] = []
    if config.tuningobjective is None:
        found.append(
            (
                "tuningobjective",
                "tuningobjective: required when configtrain is SAGEMAKERHPO, expected "
                '{"Name": <metric>, "Type": "Maximize"|"Minimize", "Regex"?: <regex>}',
            )
        )
    elif (
        config.framework != "AMAZON"
        and not config.tuningobjective.Regex
        and config.tuningobjective.Name not in {m.Name for m in config.metrics}
    ):
        found.append(
            (
                "tuningobjective",
                f"tuningobjective: metric {config.tuningobjective.Name!r} has no Regex and "
                "is not in metrics; add a Regex so SageMaker can read it from the logs",
            )
        )
    if not ranges:
        found.append(
            (
                "hyperparameters",
                "hyperparameters: configtrain SAGEMAKERHPO needs at least one range "
                '({"Values": [...]} or {"MinValue": .., "MaxValue": ..})',
            )
        )
    if config.maxparalleltrainingjobs > config.maxtrainingjobs:
        found.append(
            (
                "maxparalleltrainingjobs",
                "maxparalleltrainingjobs: expected at most maxtrainingjobs "
                f"({config.maxtrainingjobs}), got {config.maxparalleltrainingjobs}",
            )
        )
    return found


def _tag_problems(config: Config) -> list[tuple[str, str]]:
    """The Tags SageMaker would refuse: too many, or a reserved prefix."""
    found: list[tuple[str, str]] = []
    if len(config.Tags) > MAX_TAGS:
        found.append(
            (
                "Tags",
                f"Tags: expected at most {MAX_TAGS} tags (SageMaker takes 50, sagebuild adds "
                f"{SAGEBUILD_TAGS}), got {len(config.Tags)}",
            )
        )
    for index, tag in enumerate(config.Tags):
        if tag.Key.lower().startswith(RESERVED_TAG_PREFIXES):
            found.append(
                (
                    "Tags",
                    f"Tags.{index}.Key: the prefixes 'aws:' and 'sagebuild:' are reserved, "
                    f"got {tag.Key!r}",
                )
            )
    return found


def _hyperparameter_problems(
    config: Config,
) -> tuple[list[tuple[str, str]], list[ParameterRange]]:
    """Each hyperparameter as SageMaker would get it: a range or a value it accepts.

    Returns the problems and the well-formed ranges."""
    found: list[tuple[str, str]] = []
    ranges: list[ParameterRange] = []
    script = config.is_script_mode
    static = 0
    for hp_name, value in config.hyperparameters.items():
        key = f"hyperparameters.{key_name(hp_name)}"
        if len(hp_name) > MAX_HYPERPARAMETER_KEY:
            found.append(
                (
                    "hyperparameters",
                    f"{key}: expected a name of at most {MAX_HYPERPARAMETER_KEY} characters, "
                    f"got {len(hp_name)}",
                )
            )
            continue
        if not isinstance(value, str | int | float | bool | list | dict):
            found.append(("hyperparameters", f"{key}: {RANGE_EXPECTED}, got {show(value)}"))
            continue
        problem = nesting_problem(value)
        entry = config.range_of(hp_name)  # parsed once, when the config was built
        if problem is None and isinstance(entry, str):
            problem = entry
        if problem is not None:
            found.append(("hyperparameters", f"{key}: {problem}, got {show(value)}"))
            continue
        parsed = entry if isinstance(entry, ParameterRange) else None
        if parsed is None:
            static += 1
            limit, what = MAX_HYPERPARAMETER_VALUE, "value"
            sent: tuple[Any, ...] = (value,)
        else:
            ranges.append(parsed)
            limit, what = MAX_RANGE_VALUE, "categorical value"
            sent = parsed.values
        longest = max((_sent_length(v, script) for v in sent), default=0)
        if longest > limit:
            encoded = " (JSON-encoded in script mode)" if script else ""
            found.append(
                (
                    "hyperparameters",
                    f"{key}: expected at most {limit} characters per {what} as SageMaker gets "
                    f"it{encoded}, got {longest}",
                )
            )
    allowed = MAX_HYPERPARAMETERS - (SCRIPT_MODE_HYPERPARAMETERS if script else 0)
    if static > allowed:
        why = (
            f" and {config.framework} adds {SCRIPT_MODE_HYPERPARAMETERS} sagemaker_* ones"
            if script
            else ""
        )
        found.append(
            (
                "hyperparameters",
                f"hyperparameters: expected at most {allowed} values besides the ranges "
                f"(SageMaker takes {MAX_HYPERPARAMETERS}{why}), got {static}",
            )
        )
    if len(ranges) > MAX_RANGES:
        found.append(
            (
                "hyperparameters",
                f"hyperparameters: expected at most {MAX_RANGES} ranges, got {len(ranges)}",
            )
        )
    return found, ranges


def _sent_length(value: Any, script_mode: bool) -> int:
    text = hyperparameter_text(value, script_mode)
    return len(text) if text is not None else MAX_HYPERPARAMETER_VALUE + 1


def _image_problems(config: Config) -> list[tuple[str, str]]:
    if config.framework == "AMAZON":
        algorithms = images.algorithms()
        if config.algorithm not in algorithms:
            return [
                (
                    "algorithm",
                    f"algorithm: expected one of {', '.join(algorithms)}, "
                    f"got {show(config.algorithm)}",
                )
            ]
        versions = images.algorithm_versions(config.algorithm)
        if config.frameworkversion not in versions:
            return [
                (
                    "frameworkversion",
                    f"frameworkversion: expected one of {', '.join(versions)} for algorithm "
                    f"{config.algorithm}, got {show(config.frameworkversion)}",
                )
            ]
        return []
    if not config.is_script_mode or (config.TrainingImage and config.InferenceImage):
        return []
    versions = images.framework_versions(config.framework)
    if config.frameworkversion is None or not images.framework_py_versions(
        config.framework, config.frameworkversion
    ):
        return [
            (
                "frameworkversion",
                f"frameworkversion: expected one of {', '.join(versions)} for "
                f"{config.framework}, got {show(config.frameworkversion)}",
            )
        ]
    py = images.framework_py_versions(config.framework, config.frameworkversion)
    if config.pyversion not in py:
        return [
            (
                "pyversion",
                f"pyversion: expected one of {', '.join(py)} for {config.framework} "
                f"{config.frameworkversion}, got {show(config.pyversion)}",
            )
        ]
    return []


def _nested_names() -> list[str]:
    names: set[str] = set()
    for model in (
        Channel,
        Shuffle,
        MetricDefinition,
        Tag,
        TuningObjective,
        Build,
        PipelineContainer,
    ):
        names.update(model.model_fields)
    names.add("contentType")
    return sorted(names)


def _unknown_keys(document: dict[str, Any]) -> list[str]:
    fields = list(Config.model_fields)
    return [
        f"unknown key {key!r}{suggest(str(key), fields)}"
        for key in document
        if key not in Config.model_fields
    ]


def override_problems(
    stored: dict[str, Any], overrides: dict[str, Any], framework: str
) -> list[str]:
    """What is wrong with a trigger's per-run overrides over the stored document.

    [] when nothing is, and also when the stored document is invalid by itself: that is not
    the trigger's fault, and Initialize names it when the run starts.
    """
    if not overrides:
        return []
    try:
        parse_config(merge_overrides(stored, {}), framework)
    except (InvalidParameters, UnsupportedConfiguration):
        return []
    try:
        parse_config(merge_overrides(stored, overrides), framework)
    except InvalidParameters as error:
        return list(error.problems)
    except UnsupportedConfiguration as error:
        return [str(error)]
    return []
