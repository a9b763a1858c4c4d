"""Start and poll the CodeBuild image builds (training and inference images, BYOD)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import status
from domain.aws import ClientFactory
from domain.jobs import Job, polled, started
from domain.settings import Settings
from domain.state import RunState

IMAGES = ("training", "inference")


def start_image_build(
    image: str, state: RunState, settings: Settings, aws: ClientFactory, now: datetime
) -> Job:
    """StartBuild: https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html"""
    if image not in IMAGES:
        raise ValueError(f"image must be one of {IMAGES}, got {image!r}")
    context = state.context
    training = image == "training"
    tag = context.names.training_image_tag if training else context.names.inference_image_tag
    config = state.config
    dockerfile = config.dockerfile_path_Training if training else config.dockerfile_path_Inference
    build = aws("codebuild").start_build(
        projectName=settings.image_build_project,
        environmentVariablesOverride=[
            {"name": "IMAGE_TAG", "value": tag, "type": "PLAINTEXT"},
            {"name": "IMAGE_KIND", "value": image, "type": "PLAINTEXT"},
            {
                "name": "DOCKERFILE_PATH",
                "value": str(dockerfile),
                "type": "PLAINTEXT",
            },
        ],
    )["build"]
    return started(
        build["id"],
        now,
        settings.poll_floor_seconds,
        image=f"{context.resources.image_repository_uri}:{tag}",
    )


def _failure_reason(build: dict[str, Any]) -> str:
    for phase in build.get("phases", []):
        if phase.get("phaseStatus") in {"FAILED", "FAULT", "TIMED_OUT", "STOPPED"}:
            messages = "; ".join(c.get("message", "") for c in phase.get("contexts", []))
            return f"phase {phase.get('phaseType')} {phase.get('phaseStatus')}: {messages}".strip()
    return f"build ended {build.get('buildStatus')}"


def poll_image_build(job: Job, settings: Settings, aws: ClientFactory, now: datetime) -> Job:
    build = aws("codebuild").batch_get_builds(ids=[job.name])["builds"][0]
    new_status = status.normalise("codebuild", build["buildStatus"])
    reason = _failure_reason(build) if new_status in {status.FAILED, status.STOPPED} else ""
    return polled(job, new_status, now, settings.poll_floor_seconds, reason=reason)
