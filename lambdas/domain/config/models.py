"""The schema of the parameter document: its nested objects and `Config`, the validated
document of one run.

Field defaults here are the only defaults of the document; `domain.config.defaults` adds the
per-framework ones over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    model_validator,
)

from domain.config.limits import (
    MAX_INT32,
    MAX_INT64,
    MAX_LOG_LEVEL,
    MAX_PARALLEL_TUNING_JOBS,
    MAX_SAMPLING_PERCENTAGE,
    MAX_TAG_KEY,
    MAX_TAG_VALUE,
    MAX_TUNING_JOBS,
    MAX_VOLUME_GB,
)
from domain.config.ranges import ParameterRange, parse_ranges
from domain.config.types import (
    Flag,
    Hours,
    Hyperparameters,
    InputMode,
    InstanceCount,
    InstanceType,
    OptionalText,
    S3Uri,
    StringList,
    StringMap,
    Text,
    choice,
    fail,
    hours,
    nonempty_text,
    optional_number,
    optional_text,
    positive,
    scalar_text,
    whole,
)

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


# --- nested objects ------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _distribution(value: Any) -> str:
    if isinstance(value, bool):
        return "ShardedByS3Key" if value else "FullyReplicated"
    return choice("ShardedByS3Key", "FullyReplicated")(value)


class Shuffle(_Strict):
    Seed: Annotated[int, BeforeValidator(whole(0, MAX_INT64))]


class Channel(_Strict):
    """One training channel: `path` (inside the data bucket) or `uri` (any S3 URI)."""

    path: OptionalText = None
    uri: S3Uri = None
    type: Annotated[
        str, BeforeValidator(choice("S3Prefix", "ManifestFile", "AugmentedManifestFile"))
    ] = "S3Prefix"
    dist: Annotated[str, BeforeValidator(_distribution)] = "FullyReplicated"
    InputMode: Annotated[str | None, BeforeValidator(choice("File", "Pipe", "FastFile"))] = None
    ContentType: Annotated[str | None, BeforeValidator(nonempty_text)] = Field(
        default=None, validation_alias=AliasChoices("ContentType", "contentType")
    )
    CompressionType: Annotated[str | None, BeforeValidator(choice("None", "Gzip"))] = None
    RecordWrapperType: Annotated[str | None, BeforeValidator(choice("None", "RecordIO"))] = None
    AttributeNames: StringList | None = None
    ShuffleConfig: Shuffle | None = None

    @model_validator(mode="after")
    def _one_location(self) -> Channel:
        if self.path and self.uri:
            raise fail("expected either 'path' or 'uri', not both")
        return self


class MetricDefinition(_Strict):
    Name: Text
    Regex: Text


def _tag_key(value: Any) -> str:
    if isinstance(value, str) and value.strip() and len(value.strip()) <= MAX_TAG_KEY:
        return value.strip()
    raise fail(f"expected a non-empty string of at most {MAX_TAG_KEY} characters")


def _tag_value(value: Any) -> str:
    text = None if isinstance(value, bool) else scalar_text(value)
    if text is None or len(text) > MAX_TAG_VALUE:
        raise fail(f"expected a string (or finite number) of at most {MAX_TAG_VALUE} characters")
    return text


class Tag(_Strict):
    Key: Annotated[str, BeforeValidator(_tag_key)]
    Value: Annotated[str, BeforeValidator(_tag_value)]


class TuningObjective(_Strict):
    Name: Text
    Type: Annotated[str, BeforeValidator(choice("Maximize", "Minimize"))]
    Regex: Annotated[str | None, BeforeValidator(optional_text)] = None


class DeployGate(_Strict):
    """What a trained model must reach before it is deployed (checked after training)."""

    MetricName: Text
    Goal: Annotated[str, BeforeValidator(choice("Maximize", "Minimize"))] = "Maximize"
    Threshold: Annotated[float | None, BeforeValidator(optional_number)] = None
    MinImprovement: Annotated[float | None, BeforeValidator(optional_number)] = None


class Approval(_Strict):
    """A person approves each new version before it is deployed (Step Functions task token)."""

    Required: Flag = True
    TimeoutHours: Hours = 24


class DataCapture(_Strict):
    """Capture the endpoint's requests and responses to S3 (for monitoring and retraining)."""

    SamplingPercentage: Annotated[int, BeforeValidator(whole(1, MAX_SAMPLING_PERCENTAGE))] = 100


class AutoScaling(_Strict):
    """Target-tracking autoscaling of the endpoint's variant on invocations per instance."""

    MinCapacity: InstanceCount = 1
    MaxCapacity: InstanceCount = 2
    TargetInvocationsPerInstance: Annotated[float, BeforeValidator(positive)] = 100.0
    ScaleInCooldown: Annotated[int, BeforeValidator(whole(0, MAX_INT32))] = 300
    ScaleOutCooldown: Annotated[int, BeforeValidator(whole(0, MAX_INT32))] = 60

    @model_validator(mode="after")
    def _min_not_above_max(self) -> AutoScaling:
        if self.MinCapacity > self.MaxCapacity:
            raise fail("expected MinCapacity ≤ MaxCapacity")
        return self


class Build(_Strict):
    Training: Flag | None = None
    Inference: Flag | None = None


class PipelineContainer(_Strict):
    """An extra container of an inference pipeline: a `tag` of the stack's repository or an
    `image` URI; the main model container always comes last."""

    tag: Annotated[str | None, BeforeValidator(optional_text)] = None
    image: Annotated[str | None, BeforeValidator(optional_text)] = None
    environment: StringMap = Field(default_factory=dict)
    ModelDataUrl: S3Uri = None

    @model_validator(mode="after")
    def _one_image(self) -> PipelineContainer:
        if bool(self.tag) == bool(self.image):
            raise fail("expected exactly one of 'tag' or 'image'")
        return self


# --- the document --------------------------------------------------------------------------


class Config(_Strict):
    """The validated parameter document of one run (every default filled in)."""

    framework: Annotated[str, BeforeValidator(choice(*FRAMEWORKS))]
    configtrain: Annotated[str, BeforeValidator(choice("SAGEMAKER", "SAGEMAKERHPO"))] = "SAGEMAKER"
    train: Flag = True
    deployEndpoint: Flag = True
    build: Build | None = None
    deploygate: DeployGate | None = None
    approval: Approval | None = None
    # training
    traininstancetype: InstanceType = "ml.m5.large"
    traininstancecount: InstanceCount = 1
    trainvolumesize: Annotated[int, BeforeValidator(whole(1, MAX_VOLUME_GB))] = 10
    trainmaxrun: Hours = 4
    inputmode: InputMode = "File"
    spot: Flag = False
    maxwait: Annotated[
        int | float | None, BeforeValidator(lambda v: None if v is None else hours(v))
    ] = None
    volumekmskey: OptionalText = None
    channels: dict[str, Channel] | None = None
    hyperparameters: Hyperparameters = Field(default_factory=dict)
    metrics: list[MetricDefinition] = Field(default_factory=list)
    Tags: list[Tag] = Field(default_factory=list)
    # tuning
    tuningobjective: TuningObjective | None = None
    maxtrainingjobs: Annotated[int, BeforeValidator(whole(1, MAX_TUNING_JOBS))] = 1
    maxparalleltrainingjobs: Annotated[int, BeforeValidator(whole(1, MAX_PARALLEL_TUNING_JOBS))] = 1
    parentJobs: StringList = Field(default_factory=list)
    WarmStartType: Annotated[
        str, BeforeValidator(choice("IdenticalDataAndAlgorithm", "TransferLearning"))
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
    algorithm: Annotated[str | None, BeforeValidator(optional_text)] = None
    frameworkversion: OptionalText = None
    pyversion: OptionalText = None
    # script mode
    trainentrypoint: OptionalText = None
    trainsourcefile: S3Uri = None
    hostentrypoint: OptionalText = None
    hostsourcefile: S3Uri = None
    enablecloudwatchmetrics: Flag = False
    containerloglevel: Annotated[int, BeforeValidator(whole(0, MAX_LOG_LEVEL))] = 20

    # The hyperparameters' ranges, parsed once (see `ranges`): name -> range or problem.
    _ranges: dict[str, ParameterRange | str] = PrivateAttr(default_factory=dict)

    def model_post_init(self, _context: Any, /) -> None:
        self._ranges = parse_ranges(self.hyperparameters)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copy = super().model_copy(update=update, deep=deep)
        if update and "hyperparameters" in update:
            copy._ranges = parse_ranges(copy.hyperparameters)
        return copy

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

    @property
    def ranges(self) -> tuple[ParameterRange, ...]:
        """The HPO ranges among the hyperparameters, parsed once when the config was built
        (well-formed ones only: parse_config refuses a config with a malformed one)."""
        return tuple(r for r in self._ranges.values() if isinstance(r, ParameterRange))

    def range_of(self, name: str) -> ParameterRange | str | None:
        """A hyperparameter's parsed range, the sentence saying why its range object is
        malformed, or None for a static value."""
        return self._ranges.get(name)

    def parameter_ranges(self) -> list[ParameterRange]:
        """The HPO ranges among the hyperparameters (validated by parse_config)."""
        return list(self.ranges)

    def static_hyperparameters(self) -> dict[str, Any]:
        """The hyperparameters that are not ranges."""
        return {
            name: value for name, value in self.hyperparameters.items() if name not in self._ranges
        }

    def to_document(self) -> dict[str, Any]:
        """The JSON-safe document (round-trips through `parse_config`)."""
        return self.model_dump(mode="json", exclude_none=True)
