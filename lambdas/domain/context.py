"""The identity of one run: stack resources and the names this run gives to what it creates."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Names:
    """SageMaker/CodeBuild names of one run (each at most 63 characters)."""

    training_job: str
    tuning_job: str  # at most 32 characters (SageMaker limit)
    model: str
    endpoint_config: str  # "" until Create Endpoint Config allocates the version
    endpoint: str
    training_image_tag: str  # e.g. "training-r3"
    inference_image_tag: str  # e.g. "inference-r3"


@dataclass(frozen=True)
class StackResources:
    """What the stack created, as the step functions see it (from Settings)."""

    stack: str
    region: str
    account: str
    data_bucket: str
    artifact_bucket: str
    checkpoint_bucket: str
    code_bucket: str
    image_repository_uri: str  # <account>.dkr.ecr.<region>.amazonaws.com/<repo>
    training_role_arn: str
    model_role_arn: str
    endpoint: str


@dataclass(frozen=True)
class RunContext:
    """Everything a request builder needs besides the configuration."""

    resources: StackResources
    run: int  # the run number (every run has one)
    names: Names
    version: int = 0  # the version this run deploys, 0 until Create Endpoint Config
    # Versioned copies of the user's scripts (script-mode frameworks), "" when not used.
    training_source_uri: str = ""
    inference_source_uri: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunContext:
        return cls(
            resources=StackResources(**data["resources"]),
            run=int(data["run"]),
            names=Names(**data["names"]),
            version=int(data.get("version") or 0),
            training_source_uri=data.get("training_source_uri", ""),
            inference_source_uri=data.get("inference_source_uri", ""),
        )
