"""The parameter document: its one typed schema, per-framework defaults and validation.

This module is the only place that knows the keys of the SSM parameter document (see
`docs/configuration.md`). `parse_config` turns a raw document into a `Config` with every
default filled in, or raises `InvalidParameters` listing every bad key in plain sentences.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from domain import images
from domain.errors import InvalidParameters, UnsupportedConfiguration

FRAMEWORKS = ("BYOD", "AMAZON", "SCIKIT", "XGBOOST", "PYTORCH", "TENSORFLOW", "MXNET")
SCRIPT_MODE_FRAMEWORKS = frozenset({"SCIKIT", "XGBOOST", "PYTORCH", "TENSORFLOW", "MXNET"})
RETIRED_FRAMEWORKS = {
    "CHAINER": (
        "framework CHAINER is no longer supported: SageMaker retired the Chainer containers "
        "(Chainer itself is in maintenance-only mode). Use PYTORCH (the usual migration path "
        "from Chainer) or bring your own container with BYOD."
    ),
}
MAX_TRAINING_HOURS = 28 * 24  # SageMaker's MaxRuntimeInSeconds limit: 28 days
RESERVED_TAG_PREFIXES = ("aws:", "sagebuild:")
MAX_PARENT_JOBS = 5  # SageMaker's limit on warm-start parents


# --- value checkers: each raises one plain "expected ..." sentence -----------------------


def _fail(expected: str) -> PydanticCustomError:
    return PydanticCustomError("sagebuild", expected)


def _whole(minimum: int) -> Callable[[Any], int]:
    expected = f"expected a whole number ≥ {minimum}"

    def check(value: Any) -> int:
        if isinstance(value, bool):
            raise _fail(expected)
        if isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value)
        ):
            number = int(value)
        else:
            raise _fail(expected)
        if number < minimum:
            raise _fail(expected)
        return number

    return check


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _optional_number(value: Any) -> float | None:
    if value is None:
        return None
    number = _number(value)
    if number is None:
        raise _fail("expected a number")
    return number


def _positive(value: Any) -> float:
    number = _number(value)
    if number is None or number <= 0:
        raise _fail("expected a number > 0")
    return number


def _hours(value: Any) -> int | float:
    number = _number(value)
    if number is None or not 0 < number <= MAX_TRAINING_HOURS:
        raise _fail(f"expected a number of hours > 0 and ≤ {MAX_TRAINING_HOURS} (28 days)")
    return int(number) if number.is_integer() else number


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _fail("expected true or false")


def _choice(*choices: str) -> Callable[[Any], str]:
    by_lower = {c.lower(): c for c in choices}
    expected = "expected one of " + ", ".join(repr(c) for c in choices)

    def check(value: Any) -> str:
        if isinstance(value, str) and value.strip().lower() in by_lower:
            return by_lower[value.strip().lower()]
        raise _fail(expected)

    return check


def _text(value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _fail("expected a non-empty string")


def _optional_text(value: Any) -> str | None:
    """The original seeded 'none' for unset entry points and source files."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    return _text(value)


def _instance_type(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"ml\.[a-z0-9-]+\.[a-z0-9-]+", value.strip()):
        return value.strip()
    raise _fail("expected a SageMaker instance type like 'ml.m5.large'")


_S3_URI = re.compile(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?")


def _s3_uri(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    if isinstance(value, str) and _S3_URI.fullmatch(value.strip()):
        return value.strip()
    raise _fail("expected an S3 URI like 's3://bucket/key'")


def _string_map(value: Any) -> dict[str, str]:
    expected = "expected an object of names to strings"
    if not isinstance(value, dict):
        raise _fail(expected)
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool):
            out[str(key)] = "true" if item else "false"
        elif isinstance(item, str | int | float):
            out[str(key)] = str(item)
        else:
            raise _fail(expected)
    return out


def _hyperparameters(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail("expected an object of hyperparameter names to values")
    return {str(k): v for k, v in value.items()}


def _string_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return [v.strip() for v in value]
    raise _fail("expected a list of names")


WholeNumber = Annotated[int, BeforeValidator(_whole(1))]
Hours = Annotated[int | float, BeforeValidator(_hours)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Text = Annotated[str, BeforeValidator(_text)]
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
InstanceType = Annotated[str, BeforeValidator(_instance_type)]
S3Uri = Annotated[str | None, BeforeValidator(_s3_uri)]
StringMap = Annotated[dict[str, str], BeforeValidator(_string_map)]
StringList = Annotated[list[str], BeforeValidator(_string_list)]
Hyperparameters = Annotated[dict[str, Any], BeforeValidator(_hyperparameters)]
InputMode = Annotated[str, BeforeValidator(_choice("File", "Pipe", "FastFile"))]


# --- nested objects ------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _distribution(value: Any) -> str:
    if isinstance(value, bool):
        return "ShardedByS3Key" if value else "FullyReplicated"
    return _choice("ShardedByS3Key", "FullyReplicated")(value)


class Shuffle(_Strict):
    Seed: Annotated[int, BeforeValidator(_whole(0))]


class Channel(_Strict):
    """One training channel: `path` (inside the data bucket) or `uri` (any S3 URI)."""

    path: OptionalText = None
    uri: S3Uri = None
    type: Annotated[
        str, BeforeValidator(_choice("S3Prefix", "ManifestFile", "AugmentedManifestFile"))
    ] = "S3Prefix"
    dist: Annotated[str, BeforeValidator(_distribution)] = "FullyReplicated"
    InputMode: Annotated[str | None, BeforeValidator(_choice("File", "Pipe", "FastFile"))] = None
    ContentType: Annotated[str | None, BeforeValidator(_text)] = Field(
        default=None, validation_alias=AliasChoices("ContentType", "contentType")
    )
    CompressionType: Annotated[str | None, BeforeValidator(_choice("None", "Gzip"))] = None
    RecordWrapperType: Annotated[str | None, BeforeValidator(_choice("None", "RecordIO"))] = None
    AttributeNames: StringList | None = None
    ShuffleConfig: Shuffle | None = None

    @model_validator(mode="after")
    def _one_location(self) -> Channel:
        if self.path and self.uri:
            raise _fail("expected either 'path' or 'uri', not both")
        return self


class MetricDefinition(_Strict):
    Name: Text
    Regex: Text


def _tag_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _fail("expected a string")


class Tag(_Strict):
    Key: Text
    Value: Annotated[str, BeforeValidator(_tag_value)]


class TuningObjective(_Strict):
    Name: Text
    Type: Annotated[str, BeforeValidator(_choice("Maximize", "Minimize"))]
    Regex: Annotated[str | None, BeforeValidator(_optional_text)] = None


class DeployGate(_Strict):
    """What a trained model must reach before it is deployed (checked after training)."""

    MetricName: Text
    Goal: Annotated[str, BeforeValidator(_choice("Maximize", "Minimize"))] = "Maximize"
    Threshold: Annotated[float | None, BeforeValidator(_optional_number)] = None
    MinImprovement: Annotated[float | None, BeforeValidator(_optional_number)] = None


class Approval(_Strict):
    """A person approves each new version before it is deployed (Step Functions task token)."""

    Required: Flag = True
    TimeoutHours: Hours = 24


class DataCapture(_Strict):
    """Capture the endpoint's requests and responses to S3 (for monitoring and retraining)."""

    SamplingPercentage: Annotated[int, BeforeValidator(_whole(1))] = 100

    @field_validator("SamplingPercentage")
    @classmethod
    def _at_most_100(cls, value: int) -> int:
        if value > 100:
            raise _fail("expected a whole number from 1 to 100")
        return value


class AutoScaling(_Strict):
    """Target-tracking autoscaling of the endpoint's variant on invocations per instance."""

    MinCapacity: Annotated[int, BeforeValidator(_whole(1))] = 1
    MaxCapacity: Annotated[int, BeforeValidator(_whole(1))] = 2
    TargetInvocationsPerInstance: Annotated[float, BeforeValidator(_positive)] = 100.0
    ScaleInCooldown: Annotated[int, BeforeValidator(_whole(0))] = 300
    ScaleOutCooldown: Annotated[int, BeforeValidator(_whole(0))] = 60

    @model_validator(mode="after")
    def _min_not_above_max(self) -> AutoScaling:
        if self.MinCapacity > self.MaxCapacity:
            raise _fail("expected MinCapacity ≤ MaxCapacity")
        return self


class Build(_Strict):
    Training: Flag | None = None
    Inference: Flag | None = None


class PipelineContainer(_Strict):
    """An extra container of an inference pipeline: a `tag` of the stack's repository or an
    `image` URI; the main model container always comes last."""

    tag: Annotated[str | None, BeforeValidator(_optional_text)] = None
    image: Annotated[str | None, BeforeValidator(_optional_text)] = None
    environment: StringMap = Field(default_factory=dict)
    ModelDataUrl: S3Uri = None

    @model_validator(mode="after")
    def _one_image(self) -> PipelineContainer:
        if bool(self.tag) == bool(self.image):
            raise _fail("expected exactly one of 'tag' or 'image'")
        return self


# --- hyperparameter ranges -----------------------------------------------------------------


@dataclass(frozen=True)
class ParameterRange:
    """One HPO range parsed from a hyperparameter value."""

    name: str
    kind: str  # "Categorical" | "Continuous" | "Integer"
    values: tuple[Any, ...] = ()
    min_value: float = 0.0
    max_value: float = 0.0
    scaling: str | None = None


_SCALING = ("Auto", "Linear", "Logarithmic", "ReverseLogarithmic")
_RANGE_KEYS = {"Values", "MinValue", "MaxValue", "integer", "ScalingType"}
_RANGE_EXPECTED = (
    "expected a number, string, true/false, list, or a range object "
    '({"Values": [...]} or {"MinValue": .., "MaxValue": .., "integer"?, "ScalingType"?})'
)


def _as_range_object(value: Any) -> dict | None:
    """Range objects may also arrive JSON-encoded in a string (the original allowed it)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        if isinstance(parsed, dict) and parsed.keys() & _RANGE_KEYS:
            return parsed
    return None


def parse_range(name: str, value: Any) -> ParameterRange | None:
    """Return the range a hyperparameter value describes, None for a static value.

    Raises ValueError with an "expected ..." sentence for a malformed range object."""
    obj = _as_range_object(value)
    if obj is None:
        return None
    unknown = set(obj) - _RANGE_KEYS
    if unknown or not obj:
        raise ValueError(_RANGE_EXPECTED)
    scaling = obj.get("ScalingType")
    if scaling is not None and scaling not in _SCALING:
        raise ValueError("expected ScalingType one of " + ", ".join(repr(s) for s in _SCALING))
    if "Values" in obj:
        values = obj["Values"]
        if set(obj) != {"Values"} or not isinstance(values, list) or not values:
            raise ValueError('expected a categorical range {"Values": [one or more values]}')
        if not all(isinstance(v, str | int | float | bool) for v in values):
            raise ValueError("expected categorical Values to be strings, numbers or true/false")
        return ParameterRange(name=name, kind="Categorical", values=tuple(values))
    low, high = _number(obj.get("MinValue")), _number(obj.get("MaxValue"))
    if low is None or high is None or low > high:
        raise ValueError("expected a range with numbers MinValue ≤ MaxValue")
    integer = obj.get("integer", False)
    if isinstance(integer, str):
        integer = integer.lower() == "true"
    if integer and not (low.is_integer() and high.is_integer()):
        raise ValueError("expected whole-number MinValue and MaxValue for an integer range")
    return ParameterRange(
        name=name,
        kind="Integer" if integer else "Continuous",
        min_value=low,
        max_value=high,
        scaling=scaling,
    )


# --- the document --------------------------------------------------------------------------


class Config(_Strict):
    """The validated parameter document of one run (every default filled in)."""

    framework: Annotated[str, BeforeValidator(_choice(*FRAMEWORKS))]
    configtrain: Annotated[str, BeforeValidator(_choice("SAGEMAKER", "SAGEMAKERHPO"))] = "SAGEMAKER"
    train: Flag = True
    deployEndpoint: Flag = True
    build: Build | None = None
    deploygate: DeployGate | None = None
    approval: Approval | None = None
    # training
    traininstancetype: InstanceType = "ml.m5.large"
    traininstancecount: WholeNumber = 1
    trainvolumesize: WholeNumber = 10
    trainmaxrun: Hours = 4
    inputmode: InputMode = "File"
    spot: Flag = False
    maxwait: Annotated[
        int | float | None, BeforeValidator(lambda v: None if v is None else _hours(v))
    ] = None
    volumekmskey: OptionalText = None
    channels: dict[str, Channel] | None = None
    hyperparameters: Hyperparameters = Field(default_factory=dict)
    metrics: list[MetricDefinition] = Field(default_factory=list)
    Tags: list[Tag] = Field(default_factory=list)
    # tuning
    tuningobjective: TuningObjective | None = None
    maxtrainingjobs: WholeNumber = 1
    maxparalleltrainingjobs: WholeNumber = 1
    parentJobs: StringList = Field(default_factory=list)
    WarmStartType: Annotated[
        str, BeforeValidator(_choice("IdenticalDataAndAlgorithm", "TransferLearning"))
    ] = "IdenticalDataAndAlgorithm"
    # hosting
    hostinstancetype: InstanceType = "ml.t2.medium"
    hostinstancecount: WholeNumber = 1
    modelhostingenvironment: StringMap = Field(default_factory=dict)
    datacapture: DataCapture | None = None
    autoscaling: AutoScaling | None = None
    ModelArtifacts: S3Uri = None
    pipeline: list[PipelineContainer] = Field(default_factory=list)
    # images
    TrainingImage: OptionalText = None
    InferenceImage: OptionalText = None
    dockerfile_path_Training: OptionalText = None
    dockerfile_path_Inference: OptionalText = None
    algorithm: Annotated[str | None, BeforeValidator(_optional_text)] = None
    frameworkversion: OptionalText = None
    pyversion: OptionalText = None
    # script mode
    trainentrypoint: OptionalText = None
    trainsourcefile: S3Uri = None
    hostentrypoint: OptionalText = None
    hostsourcefile: S3Uri = None
    enablecloudwatchmetrics: Flag = False
    containerloglevel: Annotated[int, BeforeValidator(_whole(0))] = 20

    # --- derived views used by the request builders ---

    @property
    def is_script_mode(self) -> bool:
        return self.framework in SCRIPT_MODE_FRAMEWORKS

    @property
    def is_tuning(self) -> bool:
        return self.configtrain == "SAGEMAKERHPO"

    @property
    def inference_entrypoint(self) -> str | None:
        return self.hostentrypoint or self.trainentrypoint

    @property
    def inference_sourcefile(self) -> str | None:
        return self.hostsourcefile or self.trainsourcefile

    @property
    def build_training_image(self) -> bool:
        """Build the training image with CodeBuild (BYOD without a prebuilt image)."""
        if self.build is not None and self.build.Training is not None:
            return self.build.Training
        return self.framework == "BYOD" and not self.TrainingImage

    @property
    def build_inference_image(self) -> bool:
        if self.build is not None and self.build.Inference is not None:
            return self.build.Inference
        return self.framework == "BYOD" and not self.InferenceImage

    def parameter_ranges(self) -> list[ParameterRange]:
        """The HPO ranges among the hyperparameters (validated by parse_config)."""
        found = (parse_range(name, value) for name, value in self.hyperparameters.items())
        return [r for r in found if r is not None]

    def static_hyperparameters(self) -> dict[str, Any]:
        """The hyperparameters that are not ranges."""
        return {
            name: value
            for name, value in self.hyperparameters.items()
            if _as_range_object(value) is None
        }

    def to_document(self) -> dict:
        """The JSON-safe document (round-trips through `parse_config`)."""
        return self.model_dump(mode="json", exclude_none=True)


# --- defaults ------------------------------------------------------------------------------

_COMMON_DEFAULTS: dict[str, Any] = {
    "configtrain": "SAGEMAKER",
    "train": True,
    "deployEndpoint": True,
    "traininstancetype": "ml.m5.large",
    "traininstancecount": 1,
    "trainvolumesize": 10,
    "trainmaxrun": 4,
    "inputmode": "File",
    "spot": False,
    "hyperparameters": {},
    "metrics": [],
    "Tags": [],
    "maxtrainingjobs": 1,
    "maxparalleltrainingjobs": 1,
    "WarmStartType": "IdenticalDataAndAlgorithm",
    "hostinstancetype": "ml.t2.medium",
    "hostinstancecount": 1,
    "modelhostingenvironment": {},
}

_SCRIPT_DEFAULTS: dict[str, Any] = {
    "trainentrypoint": "train.py",
    "enablecloudwatchmetrics": False,
    "containerloglevel": 20,
}

_FRAMEWORK_DEFAULTS: dict[str, dict[str, Any]] = {
    "BYOD": {
        "dockerfile_path_Training": "training/docker",
        "dockerfile_path_Inference": "inference/docker",
    },
    "AMAZON": {"algorithm": "xgboost"},
    "SCIKIT": {**_SCRIPT_DEFAULTS, "frameworkversion": "1.2-1"},
    "XGBOOST": {**_SCRIPT_DEFAULTS, "frameworkversion": "1.7-1"},
    "PYTORCH": {**_SCRIPT_DEFAULTS, "frameworkversion": "2.1", "hostinstancetype": "ml.m5.large"},
    "TENSORFLOW": {
        **_SCRIPT_DEFAULTS,
        "frameworkversion": "2.13",
        "hostinstancetype": "ml.m5.large",
    },
    "MXNET": {**_SCRIPT_DEFAULTS, "frameworkversion": "1.9", "hostinstancetype": "ml.m5.large"},
}


def normalise_framework(framework: Any) -> str:
    """The canonical framework name; CHAINER raises `UnsupportedConfiguration`."""
    name = framework.strip().upper() if isinstance(framework, str) else ""
    if name in RETIRED_FRAMEWORKS:
        raise UnsupportedConfiguration(RETIRED_FRAMEWORKS[name])
    if name not in FRAMEWORKS:
        raise InvalidParameters(
            [f"framework: expected one of {', '.join(FRAMEWORKS)}, got {_show(framework)}"]
        )
    return name


def defaults_for(framework: str) -> dict:
    """The document the template seeds for a framework (keys a user is expected to edit).

    Derived defaults are left out so that they follow the keys they derive from: `pyversion`
    (from the framework version's image), AMAZON's `frameworkversion` (from `algorithm`),
    `hostentrypoint`/`hostsourcefile` (from the training ones)."""
    name = normalise_framework(framework)
    return json.loads(
        json.dumps({"framework": name, **_COMMON_DEFAULTS, **_FRAMEWORK_DEFAULTS[name]})
    )


# --- parsing -------------------------------------------------------------------------------


def merge_overrides(document: dict, overrides: dict | None) -> dict:
    """Per-run launch overrides over the stored document: a shallow merge, overrides win."""
    if overrides is None:
        return dict(document)
    if not isinstance(overrides, dict):
        raise InvalidParameters(
            [f"launch overrides: expected a JSON object, got {_show(overrides)}"]
        )
    return {**document, **overrides}


def parse_config(document: dict, framework: str) -> Config:
    """Validate a parameter document; `framework` (the stack's) applies when the document
    has no `framework` key. Raises `InvalidParameters` naming every bad key."""
    if not isinstance(document, dict):
        raise InvalidParameters(
            [f"the parameter document: expected a JSON object, got {_show(document)}"]
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
            problems.append(_describe(item))
            bad.add(str(item["loc"][0]))
        # Check what still can be checked with the bad keys left at their defaults.
        try:
            config = Config.model_validate({k: v for k, v in known.items() if k not in bad})
        except ValidationError:
            config = None
    if config is not None:
        config = _resolve(config)
        problems.extend(p for key, p in _semantic_problems(config) if key not in bad)
    if problems or config is None:
        raise InvalidParameters(problems)
    return config


def _resolve(config: Config) -> Config:
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


def _semantic_problems(config: Config) -> list[tuple[str, str]]:
    """Checks across keys: (top-level key, sentence)."""
    found: list[tuple[str, str]] = []
    ranges: list[ParameterRange] = []
    for hp_name, value in config.hyperparameters.items():
        key = f"hyperparameters.{hp_name}"
        if not isinstance(value, str | int | float | bool | list | dict):
            found.append(("hyperparameters", f"{key}: {_RANGE_EXPECTED}, got {_show(value)}"))
            continue
        try:
            parsed = parse_range(hp_name, value)
        except ValueError as error:
            found.append(("hyperparameters", f"{key}: {error}, got {_show(value)}"))
            continue
        if parsed is None:
            continue
        ranges.append(parsed)
        if not config.is_tuning:
            found.append(
                (
                    "hyperparameters",
                    f"{key}: a range is only valid when configtrain is SAGEMAKERHPO "
                    f"(configtrain is {config.configtrain}), got {_show(value)}",
                )
            )
    if config.is_tuning:
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
                f"got {_show(config.maxwait)}",
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


def _image_problems(config: Config) -> list[tuple[str, str]]:
    if config.framework == "AMAZON":
        algorithms = images.algorithms()
        if config.algorithm not in algorithms:
            return [
                (
                    "algorithm",
                    f"algorithm: expected one of {', '.join(algorithms)}, "
                    f"got {_show(config.algorithm)}",
                )
            ]
        versions = images.algorithm_versions(config.algorithm)
        if config.frameworkversion not in versions:
            return [
                (
                    "frameworkversion",
                    f"frameworkversion: expected one of {', '.join(versions)} for algorithm "
                    f"{config.algorithm}, got {_show(config.frameworkversion)}",
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
                f"{config.framework}, got {_show(config.frameworkversion)}",
            )
        ]
    py = images.framework_py_versions(config.framework, config.frameworkversion)
    if config.pyversion not in py:
        return [
            (
                "pyversion",
                f"pyversion: expected one of {', '.join(py)} for {config.framework} "
                f"{config.frameworkversion}, got {_show(config.pyversion)}",
            )
        ]
    return []


# --- messages ------------------------------------------------------------------------------


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


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


def _suggest(key: str, choices: list[str]) -> str:
    by_lower = {c.lower(): c for c in choices}
    if key.lower() in by_lower:
        return f" (did you mean {by_lower[key.lower()]!r}?)"
    close = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""


def _unknown_keys(document: dict) -> list[str]:
    fields = list(Config.model_fields)
    return [
        f"unknown key {key!r}{_suggest(str(key), fields)}"
        for key in document
        if key not in Config.model_fields
    ]


_PYDANTIC_EXPECTED = {
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "list_type": "expected a list",
    "string_type": "expected a string",
    "missing": "required",
}


def _describe(error: Any) -> str:
    loc = [str(part) for part in error["loc"]]
    path = ".".join(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = ".".join(loc[:-1])
        return f"unknown key {loc[-1]!r} in {parent}{_suggest(loc[-1], _nested_names())}"
    if kind == "missing":
        return f"{path}: required"
    expected = error["msg"] if kind == "sagebuild" else _PYDANTIC_EXPECTED.get(kind)
    if expected is None:
        expected = "expected " + error["msg"][:1].lower() + error["msg"][1:]
    return f"{path}: {expected}, got {_show(error.get('input'))}"
