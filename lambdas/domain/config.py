"""The parameter document: its one typed schema, per-framework defaults and validation.

This module is the only place that knows the keys of the SSM parameter document (see
`docs/configuration.md`). `parse_config` turns a raw document into a `Config` with every
default filled in, or raises `InvalidParameters` listing every bad key in plain sentences.
"""

from __future__ import annotations

import difflib
import json
import math
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
RESERVED_TAG_PREFIXES = ("aws:", "sagebuild:")

# --- SageMaker's limits ------------------------------------------------------------------
# Where each bound comes from: a shape of botocore's SageMaker model
# (botocore/data/sagemaker/2017-07-24/service-2.json), else the SageMaker documentation.
# Where neither gives a maximum (the instance counts are account quotas that AWS raises on
# request) the ceiling is sagebuild's own, there only so that a typo or 10**400 is refused
# here rather than by SageMaker in the middle of a run; raise it if your quota is higher.
SECONDS_PER_HOUR = 3600
# MaxRuntimeInSeconds: min 1; its documentation: "The maximum value is 28 days" (2419200 s,
# also MaxPendingTimeInSeconds' max). MaxWaitTimeInSeconds: min 1, no max in the model, and
# "must be equal to or greater than MaxRuntimeInSeconds": sagebuild holds it to 28 days too.
# approval.TimeoutHours (a Step Functions task token timeout) shares the same bounds.
MIN_RUNTIME_SECONDS = 1
MAX_RUNTIME_SECONDS = 28 * 24 * SECONDS_PER_HOUR
MAX_TRAINING_HOURS = MAX_RUNTIME_SECONDS // SECONDS_PER_HOUR  # 672
# VolumeSizeInGB: min 1, no max in the model; 16384 is the max of every SageMaker EBS volume
# shape that has one (ProcessingVolumeSizeInGB, ClusterEbsVolumeSizeInGB,
# NotebookInstanceVolumeSizeInGB) and EBS gp2's own limit (16 TiB).
MAX_VOLUME_GB = 16384
# TrainingInstanceCount (min 0), InitialTaskCount (min 1) and Application Auto Scaling's
# ResourceCapacity have no max in the models: sagebuild's ceiling, the max of
# ProcessingInstanceCount (the one SageMaker job instance count the model bounds).
MAX_INSTANCES = 100
# ResourceLimits.MaxNumberOfTrainingJobs / MaxParallelTrainingJobs: min 1, no max in the model;
# "Resource Limits for Automatic Model Tuning" (docs): a Bayesian tuning job (the strategy
# sagebuild uses) runs at most 750 training jobs, at most 100 in parallel (default 10).
MAX_TUNING_JOBS = 750
MAX_PARALLEL_TUNING_JOBS = 100
MAX_PARENT_JOBS = 5  # ParentHyperParameterTuningJobs: max 5
# TagKey: 1-128 characters; TagValue: 0-256; TagList: max 50, of which sagebuild's own
# `sagebuild:stack`, `sagebuild:run` and `sagebuild:version` take 3 (domain.requests.common.tags).
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
SAGEBUILD_TAGS = 3
MAX_TAGS = 50 - SAGEBUILD_TAGS
# HyperParameters: max 100 entries; HyperParameterKey: max 256 characters; HyperParameterValue:
# max 2500 characters (the value as sent: JSON-encoded in script mode). Script mode adds up
# to 6 `sagemaker_*` entries (domain.requests.framework).
MAX_HYPERPARAMETERS = 100
SCRIPT_MODE_HYPERPARAMETERS = 6
MAX_HYPERPARAMETER_KEY = 256
MAX_HYPERPARAMETER_VALUE = 2500
# ParameterValue (a range's MinValue, MaxValue and each categorical value): max 256
# characters; ParameterValues (categorical values): max 30; Integer-, Continuous- and
# CategoricalParameterRanges: max 30 each, and the tuning limits page: 30 searched in all.
MAX_RANGE_VALUE = 256
MAX_CATEGORICAL_VALUES = 30
MAX_RANGES = 30
# EnvironmentValue (model environment): max 1024 characters.
MAX_ENVIRONMENT_VALUE = 1024
# SamplingPercentage: 0-100 (sagebuild asks for ≥ 1: 0 captures nothing).
MAX_SAMPLING_PERCENTAGE = 100
# Cooldown (Application Auto Scaling): an integer with no max; AWS integers are 32-bit.
MAX_INT32 = 2**31 - 1
# Seed (ShuffleConfig): a long with no max.
MAX_INT64 = 2**63 - 1
# containerloglevel: a Python logging level, CRITICAL (50) the highest standard one.
MAX_LOG_LEVEL = 50
# Values nest at most this deep (a hyperparameter value holds at most 2500 characters).
MAX_NESTING = 100


# --- value checkers: each raises one plain "expected ..." sentence -----------------------


def _fail(expected: str) -> PydanticCustomError:
    return PydanticCustomError("sagebuild", expected)


def _whole(minimum: int, maximum: int) -> Callable[[Any], int]:
    expected = f"expected a whole number from {minimum} to {maximum}"

    def check(value: Any) -> int:
        if isinstance(value, bool):
            raise _fail(expected)
        if isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (  # not NaN or ±Infinity
            isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,30}\s*", value)
        ):
            number = int(value)
        else:
            raise _fail(expected)
        if not minimum <= number <= maximum:
            raise _fail(expected)
        return number

    return check


def _number(value: Any) -> float | None:
    """A finite number (never NaN, ±Infinity, or an integer too large for a float), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _optional_number(value: Any) -> float | None:
    if value is None:
        return None
    number = _number(value)
    if number is None:
        raise _fail("expected a finite number")
    return number


def _positive(value: Any) -> float:
    number = _number(value)
    if number is None or number <= 0:
        raise _fail("expected a finite number > 0")
    return number


def _hours(value: Any) -> int | float:
    """Hours that make a MaxRuntimeInSeconds SageMaker takes: 1 second to 28 days."""
    number = _number(value)
    if (
        number is None
        or not 0 < number <= MAX_TRAINING_HOURS
        or int(number * SECONDS_PER_HOUR) < MIN_RUNTIME_SECONDS
    ):
        raise _fail(
            f"expected a number of hours from 1 second (1/{SECONDS_PER_HOUR}) "
            f"to {MAX_TRAINING_HOURS} (28 days)"
        )
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


def _scalar_text(value: Any) -> str | None:
    """A string, true/false or finite number as text; None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and _number(value) is not None:
        return str(value)
    return None


def _string_map(value: Any) -> dict[str, str]:
    expected = (
        "expected an object of names to strings, true/false or finite numbers "
        f"(at most {MAX_ENVIRONMENT_VALUE} characters each)"
    )
    if not isinstance(value, dict):
        raise _fail(expected)
    out: dict[str, str] = {}
    for key, item in value.items():
        text = _scalar_text(item)
        if text is None or len(text) > MAX_ENVIRONMENT_VALUE:
            raise _fail(expected)
        out[str(key)] = text
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


InstanceCount = Annotated[int, BeforeValidator(_whole(1, MAX_INSTANCES))]
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
    Seed: Annotated[int, BeforeValidator(_whole(0, MAX_INT64))]


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


def _tag_key(value: Any) -> str:
    if isinstance(value, str) and value.strip() and len(value.strip()) <= MAX_TAG_KEY:
        return value.strip()
    raise _fail(f"expected a non-empty string of at most {MAX_TAG_KEY} characters")


def _tag_value(value: Any) -> str:
    text = None if isinstance(value, bool) else _scalar_text(value)
    if text is None or len(text) > MAX_TAG_VALUE:
        raise _fail(f"expected a string (or finite number) of at most {MAX_TAG_VALUE} characters")
    return text


class Tag(_Strict):
    Key: Annotated[str, BeforeValidator(_tag_key)]
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

    SamplingPercentage: Annotated[int, BeforeValidator(_whole(1, MAX_SAMPLING_PERCENTAGE))] = 100


class AutoScaling(_Strict):
    """Target-tracking autoscaling of the endpoint's variant on invocations per instance."""

    MinCapacity: InstanceCount = 1
    MaxCapacity: InstanceCount = 2
    TargetInvocationsPerInstance: Annotated[float, BeforeValidator(_positive)] = 100.0
    ScaleInCooldown: Annotated[int, BeforeValidator(_whole(0, MAX_INT32))] = 300
    ScaleOutCooldown: Annotated[int, BeforeValidator(_whole(0, MAX_INT32))] = 60

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
        except (ValueError, RecursionError):
            return None
        if isinstance(parsed, dict) and parsed.keys() & _RANGE_KEYS:
            return parsed
    return None


def range_bound_text(value: float) -> str:
    """A range bound as the tuning request sends it (`domain.requests.common.encode_number`)."""
    return str(int(value)) if value.is_integer() else repr(value)


def hyperparameter_text(value: Any, script_mode: bool) -> str | None:
    """A hyperparameter value as SageMaker gets it: JSON in script mode
    (`domain.requests.framework`), else strings as given and the rest as JSON
    (`domain.requests.common.encode_plain`). None when it cannot be encoded."""
    if isinstance(value, str) and not script_mode:
        return value
    try:
        return json.dumps(value, allow_nan=False)
    except (ValueError, TypeError, RecursionError):  # NaN, huge ints, too deep
        return None


def _nesting_problem(value: Any) -> str | None:
    """Why a JSON value cannot be sent (a non-finite number, nested too deep), else None.

    Walks the value without recursion, so any depth is safe."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_NESTING:
            return f"expected a value nested at most {MAX_NESTING} levels deep"
        if isinstance(item, float) and not math.isfinite(item):
            return "expected finite numbers (no NaN or Infinity)"
        if isinstance(item, int) and not isinstance(item, bool) and _number(item) is None:
            return "expected finite numbers (this one is too large for a float)"
        if isinstance(item, dict):
            pending.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            pending.extend((v, depth + 1) for v in item)
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
        if not all(
            isinstance(v, str | bool) or (isinstance(v, int | float) and _number(v) is not None)
            for v in values
        ):
            raise ValueError(
                "expected categorical Values to be strings, finite numbers or true/false"
            )
        if len(values) > MAX_CATEGORICAL_VALUES:
            raise ValueError(f"expected at most {MAX_CATEGORICAL_VALUES} categorical Values")
        return ParameterRange(name=name, kind="Categorical", values=tuple(values))
    low, high = _number(obj.get("MinValue")), _number(obj.get("MaxValue"))
    if low is None or high is None or low > high:
        raise ValueError("expected a range with finite numbers MinValue ≤ MaxValue")
    if max(len(range_bound_text(low)), len(range_bound_text(high))) > MAX_RANGE_VALUE:
        raise ValueError(
            f"expected MinValue and MaxValue of at most {MAX_RANGE_VALUE} characters as "
            "SageMaker gets them"
        )
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
    traininstancecount: InstanceCount = 1
    trainvolumesize: Annotated[int, BeforeValidator(_whole(1, MAX_VOLUME_GB))] = 10
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
    maxtrainingjobs: Annotated[int, BeforeValidator(_whole(1, MAX_TUNING_JOBS))] = 1
    maxparalleltrainingjobs: Annotated[
        int, BeforeValidator(_whole(1, MAX_PARALLEL_TUNING_JOBS))
    ] = 1
    parentJobs: StringList = Field(default_factory=list)
    WarmStartType: Annotated[
        str, BeforeValidator(_choice("IdenticalDataAndAlgorithm", "TransferLearning"))
    ] = "IdenticalDataAndAlgorithm"
    # hosting
    hostinstancetype: InstanceType = "ml.t2.medium"
    hostinstancecount: InstanceCount = 1
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
    containerloglevel: Annotated[int, BeforeValidator(_whole(0, MAX_LOG_LEVEL))] = 20

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
    found, ranges = _hyperparameter_problems(config)
    for parsed in ranges:
        key = f"hyperparameters.{_name(parsed.name)}"
        value = config.hyperparameters[parsed.name]
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
        key = f"hyperparameters.{_name(hp_name)}"
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
            found.append(("hyperparameters", f"{key}: {_RANGE_EXPECTED}, got {_show(value)}"))
            continue
        problem = _nesting_problem(value)
        if problem is None:
            try:
                parsed = parse_range(hp_name, value)
            except ValueError as error:
                problem = str(error)
        if problem is not None:
            found.append(("hyperparameters", f"{key}: {problem}, got {_show(value)}"))
            continue
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
    """A bad value as a problem quotes it: short, and never a value nested too deep to read
    (Python 3.11 cannot repr() one; 3.12 and 3.13 can, which would quote a wall of brackets)."""
    if isinstance(value, dict | list | tuple) and _too_deep(value):
        return "a value too large to show"
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an int of over 4300 digits, a value nested too deep
        text = "a value too large to show"
    return _short(text)


def _too_deep(value: Any) -> bool:
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


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def _name(key: str) -> str:
    """A key as a problem names it: on one line, and short."""
    return _short(key if key.isprintable() else repr(key))


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
    path = ".".join(_name(part) for part in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        parent = ".".join(_name(part) for part in loc[:-1])
        return f"unknown key {loc[-1]!r} in {parent}{_suggest(loc[-1], _nested_names())}"
    if kind == "missing":
        return f"{path}: required"
    expected = error["msg"] if kind == "sagebuild" else _PYDANTIC_EXPECTED.get(kind)
    if expected is None:
        expected = "expected " + error["msg"][:1].lower() + error["msg"][1:]
    return f"{path}: {expected}, got {_show(error.get('input'))}"


def override_problems(stored: dict, overrides: dict, framework: str) -> list[str]:
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
