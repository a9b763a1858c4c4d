"""The run's state document, typed: what Initialize builds and every later step reads.

Step Functions carries the document from state to state as JSON (docs/architecture.md, "The
state document"); each Task receives it as `{"state": <document>, ...arguments}` (the one
payload shape of statemachine/pipeline.asl.json) and its result lands under one key of it
(the Task's ResultPath). `RunState.from_event` reads that payload back into these types and
`RunState.to_dict` writes the same document again.

The parameter document inside (`config`) was validated once, by Initialize
(`domain.config.parse_config`); later steps load it without re-running the semantic checks.
The names of the flags and of the loop records are defined here once: the ASL contract test,
the benchmarks and the handler tests import them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypedDict

from domain.context import RunContext
from domain.errors import InvalidParameters, InvalidState
from domain.jobs import Job

if TYPE_CHECKING:  # the schema (pydantic) loads when a document is read, not on import:
    from domain.config import Config  # the Launch function imports notifications → state


class Metric(TypedDict):
    """A training job's final metric (FinalMetricDataList's MetricName/Value)."""

    MetricName: str
    Value: float


@dataclass(frozen=True)
class Flags:
    """Which optional parts of the pipeline this run takes (the ASL's Choice states read them)."""

    etl: bool = False
    train: bool = True
    tune: bool = False
    gate: bool = False
    approval: bool = False
    build_training_image: bool = False
    build_inference_image: bool = False
    deploy: bool = True
    postprocess: bool = False

    def to_dict(self) -> dict[str, bool]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Flags:
        return cls(**{name: bool(data[name]) for name in FLAGS if name in data})


FLAGS: tuple[str, ...] = tuple(f.name for f in fields(Flags))
# The start/poll loops of a run, in the order a run takes them: each is a `Job` record under
# its own key of the document (the ResultPath of its Start and Poll states).
LOOP_KEYS: tuple[str, ...] = (
    "etl",
    "training_image_build",
    "training",
    "inference_image_build",
    "deployment",
    "postprocess",
)


@dataclass(frozen=True)
class RunInfo:
    """Who the run is: its stack, number, execution and what started it."""

    stack: str
    run_number: int
    execution: str
    framework: str
    started_at: str
    trigger: dict[str, Any]
    execution_arn: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunInfo:
        return cls(
            stack=str(data["stack"]),
            run_number=int(data["run_number"]),
            execution=str(data["execution"]),
            framework=str(data["framework"]),
            started_at=str(data.get("started_at", "")),
            trigger=dict(data.get("trigger") or {}),
            execution_arn=str(data.get("execution_arn", "")),
        )


@dataclass(frozen=True)
class EndpointInfo:
    """The stack's endpoint as Initialize found it."""

    exists: bool = False
    status: str = ""
    previous_config: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EndpointInfo:
        return cls(
            exists=bool(data.get("exists")),
            status=str(data.get("status", "")),
            previous_config=str(data.get("previous_config", "")),
        )


@dataclass(frozen=True)
class ModelInfo:
    """The SageMaker model Create Model made ("" before it)."""

    name: str = ""
    model_data_url: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelInfo:
        return cls(
            name=str(data.get("name", "")), model_data_url=str(data.get("model_data_url", ""))
        )


def _set_fields(record: GateResult | ApprovalStep) -> dict[str, Any]:
    """A record's fields that are set (the document leaves out None and "")."""
    return {k: v for k, v in asdict(record).items() if v is not None and v != ""}


@dataclass(frozen=True)
class GateResult:
    """What the quality gate compared (empty until Check Quality Gate passed)."""

    metric: str = ""
    value: float | None = None
    goal: str = ""
    threshold: float | None = None
    live_value: float | None = None
    needed: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return _set_fields(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateResult:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass(frozen=True)
class ApprovalStep:
    """The approval step: its timeout (from Initialize), then the approver's answer."""

    timeout_seconds: int = 0
    approved: bool | None = None
    by: str = ""
    at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return _set_fields(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApprovalStep:
        approved = data.get("approved")
        return cls(
            timeout_seconds=int(data.get("timeout_seconds") or 0),
            approved=None if approved is None else bool(approved),
            by=str(data.get("by", "")),
            at=str(data.get("at", "")),
        )


@dataclass(frozen=True)
class ErrorInfo:
    """A Step Functions error object, as a Catch's ResultPath writes it."""

    Error: str = ""
    Cause: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ErrorInfo:
        data = data or {}
        return cls(Error=str(data.get("Error", "")), Cause=str(data.get("Cause", "")))


@dataclass(frozen=True)
class RunState:
    """One run's state document."""

    run: RunInfo
    context: RunContext
    config: Config
    flags: Flags
    endpoint: EndpointInfo
    etl: Job = field(default_factory=Job)
    training_image_build: Job = field(default_factory=Job)
    training: Job = field(default_factory=Job)
    inference_image_build: Job = field(default_factory=Job)
    deployment: Job = field(default_factory=Job)
    postprocess: Job = field(default_factory=Job)
    model: ModelInfo = field(default_factory=ModelInfo)
    gate: GateResult = field(default_factory=GateResult)
    approval: ApprovalStep = field(default_factory=ApprovalStep)
    error: ErrorInfo = field(default_factory=ErrorInfo)
    # What the last steps returned (Configure Autoscaling, Clean Up Deploy, Record Version).
    autoscaling: dict[str, Any] = field(default_factory=dict)
    cleanup: dict[str, Any] = field(default_factory=dict)
    recorded: dict[str, Any] = field(default_factory=dict)

    # --- reading and writing the document ---

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> RunState:
        """The state of a Task's payload `{"state": <document>, ...}`."""
        document = event.get("state") if isinstance(event, Mapping) else None
        if not isinstance(document, Mapping):
            raise InvalidState("the step's payload has no state document under 'state'")
        return cls.from_dict(document)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> RunState:
        from domain.config import load_config

        if not is_run_document(document):
            raise InvalidState(
                "not a run's state document (no run, context and config): "
                "only the states after Initialize carry one"
            )
        try:
            return cls(
                run=RunInfo.from_dict(document["run"]),
                context=RunContext.from_dict(document["context"]),
                config=load_config(document["config"]),
                flags=Flags.from_dict(document.get("flags") or {}),
                endpoint=EndpointInfo.from_dict(document.get("endpoint") or {}),
                **{key: Job.from_dict(document.get(key)) for key in LOOP_KEYS},
                model=ModelInfo.from_dict(document.get("model") or {}),
                gate=GateResult.from_dict(document.get("gate") or {}),
                approval=ApprovalStep.from_dict(document.get("approval") or {}),
                error=ErrorInfo.from_dict(document.get("error")),
                autoscaling=dict(document.get("autoscaling") or {}),
                cleanup=dict(document.get("cleanup") or {}),
                recorded=dict(document.get("recorded") or {}),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidState(f"the run's state document is malformed: {error}") from error

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "run": asdict(self.run),
            "context": self.context.to_dict(),
            "config": self.config.to_document(),
            "flags": self.flags.to_dict(),
            "endpoint": asdict(self.endpoint),
            **{key: self.job(key).to_dict() for key in LOOP_KEYS},
            "model": asdict(self.model),
            "gate": self.gate.to_dict(),
            "approval": self.approval.to_dict(),
            "error": asdict(self.error),
        }
        for key in ("autoscaling", "cleanup", "recorded"):
            if getattr(self, key):
                document[key] = getattr(self, key)
        return document

    # --- what the steps ask of it ---

    def job(self, key: str) -> Job:
        """The loop record under `key` (one of LOOP_KEYS)."""
        if key not in LOOP_KEYS:
            raise ValueError(f"loop key must be one of {LOOP_KEYS}, got {key!r}")
        job: Job = getattr(self, key)
        return job

    @property
    def version(self) -> int:
        """The version this run deploys (allocated at Create Endpoint Config), 0 before that."""
        value = self.deployment.extra.get("version")
        return value if isinstance(value, int) else 0

    @property
    def metrics(self) -> list[Metric]:
        """The final metrics of the training (or the tuning job's best training job)."""
        found = self.training.extra.get("metrics") or []
        return [Metric(MetricName=str(m["MetricName"]), Value=float(m["Value"])) for m in found]


def is_run_document(document: Mapping[str, Any]) -> bool:
    """Whether a document is a run's (Initialize ended) rather than a launch input."""
    return all(isinstance(document.get(key), Mapping) for key in ("run", "context", "config"))


@dataclass(frozen=True)
class LaunchInput:
    """What an execution starts with (the Launch function's input): before Initialize."""

    trigger: dict[str, Any]
    overrides: dict[str, Any]
    error: ErrorInfo = field(default_factory=ErrorInfo)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any], strict: bool = True) -> LaunchInput:
        """Raises InvalidParameters for overrides that are not an object (unless not strict)."""
        trigger = document.get("trigger")
        overrides = document.get("overrides") or {}
        if not isinstance(overrides, dict):
            if strict:
                raise InvalidParameters(
                    [f"overrides: expected a JSON object of parameter keys, got {overrides!r}"]
                )
            overrides = {}
        return cls(
            trigger=dict(trigger) if isinstance(trigger, Mapping) else {},
            overrides=overrides,
            error=ErrorInfo.from_dict(document.get("error")),
        )


def payload_state(event: Mapping[str, Any]) -> RunState | LaunchInput:
    """The payload's document: a run's state, or (when Initialize failed) the launch input."""
    document = event.get("state")
    if not isinstance(document, Mapping):
        raise InvalidState("the step's payload has no state document under 'state'")
    if is_run_document(document):
        return RunState.from_dict(document)
    return LaunchInput.from_dict(document, strict=False)
