"""The image choice of a run: which training and hosting image its requests name.

`TrainingImage` / `InferenceImage` win; BYOD uses the image built into the stack's repository;
AMAZON and the script-mode frameworks use SageMaker's prebuilt image for the region, from the
image catalogue (`domain.images`, a leaf module the config's validation uses too).
"""

from __future__ import annotations

from domain import images
from domain.config import Config


def training_image(config: Config, region: str, repository_uri: str, version_tag: str) -> str:
    """The training image of a run: `TrainingImage` if set; BYOD builds into the stack's
    repository (`<repository_uri>:<version_tag>`); AMAZON and script-mode frameworks use
    SageMaker's image for the region, cpu/gpu from the training instance type."""
    if config.TrainingImage:
        return config.TrainingImage
    return _image(config, region, repository_uri, version_tag, "training")


def inference_image(config: Config, region: str, repository_uri: str, version_tag: str) -> str:
    """The hosting image of a run: like `training_image`, with `InferenceImage`, the
    inference repositories, and cpu/gpu from the HOST instance type."""
    if config.InferenceImage:
        return config.InferenceImage
    return _image(config, region, repository_uri, version_tag, "inference")


def _image(config: Config, region: str, repository_uri: str, version_tag: str, scope: str) -> str:
    if config.framework == "BYOD":
        return f"{repository_uri}:{version_tag}"
    if config.framework == "AMAZON":
        algorithm = config.algorithm or ""
        version = config.frameworkversion or images.algorithm_default_version(algorithm) or ""
        return images.algorithm_image(algorithm, version, region)
    instance = config.traininstancetype if scope == "training" else config.hostinstancetype
    return images.framework_image(
        config.framework,
        config.frameworkversion or "",
        config.pyversion or "",
        instance,
        region,
        scope,
    )
