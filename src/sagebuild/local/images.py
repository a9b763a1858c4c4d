"""The local image registry: what a container image URI means in the local stack.

There is no Docker locally. An image URI resolves to a `LocalImage`:

- a BYOD image built by the local CodeBuild (`register`): the build context directory, whose
  `train` / `serve` programs run as processes with `/opt/ml` remapped by proot;
- a SageMaker framework image (scikit-learn, XGBoost, PyTorch, TensorFlow, MXNet, Chainer),
  recognised by its repository name; its script mode runs with this machine's Python;
- anything else is `unknown` and cannot run locally.

The registry is process-wide (the local stack runs in one process).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

#: Repository-name patterns of the SageMaker framework images, checked in order.
_FRAMEWORK_PATTERNS: tuple[tuple[str, str], ...] = (
    ("sklearn", r"scikit-learn|sklearn"),
    ("xgboost", r"xgboost"),
    ("pytorch", r"pytorch"),
    ("tensorflow", r"tensorflow"),
    ("mxnet", r"mxnet"),
    ("chainer", r"chainer"),
)

#: Frameworks whose code this machine can run (pytorch only when torch is importable).
RUNNABLE_FRAMEWORKS = frozenset({"sklearn", "xgboost", "pytorch"})


@dataclass(frozen=True)
class LocalImage:
    """What an image URI stands for locally."""

    uri: str
    kind: str  # "byod" | a framework name | "unknown"
    context: Path | None = None
    train: Path | None = None
    serve: Path | None = None

    @property
    def is_byod(self) -> bool:
        return self.kind == "byod"


_lock = threading.Lock()
_registry: dict[str, LocalImage] = {}


def repository_name(uri: str) -> str:
    """`123.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1` → `sagemaker-xgboost`."""
    path = uri.split("/", 1)[1] if "/" in uri else uri
    return re.split(r"[:@]", path, maxsplit=1)[0]


def find_program(context: Path, name: str) -> Path | None:
    """The `train`/`serve` program of a build context: top level first, then one level down."""
    top = context / name
    if top.is_file():
        return top
    for candidate in sorted(context.glob(f"*/{name}")):
        if candidate.is_file():
            return candidate
    return None


def register(uri: str, context: Path) -> LocalImage:
    """Register a built context as the image `uri` (replaces an older image with that tag)."""
    image = LocalImage(
        uri=uri,
        kind="byod",
        context=context,
        train=find_program(context, "train"),
        serve=find_program(context, "serve"),
    )
    with _lock:
        _registry[uri] = image
    return image


def unregister(uri: str) -> None:
    with _lock:
        _registry.pop(uri, None)


def registered() -> dict[str, LocalImage]:
    """A copy of the BYOD images built so far, by URI."""
    with _lock:
        return dict(_registry)


def clear() -> None:
    with _lock:
        _registry.clear()


def resolve(uri: str) -> LocalImage:
    """The local meaning of `uri`: a registered BYOD image, a framework image, or unknown."""
    with _lock:
        if uri in _registry:
            return _registry[uri]
        if ":" not in uri.rsplit("/", 1)[-1] and f"{uri}:latest" in _registry:
            return _registry[f"{uri}:latest"]
    name = repository_name(uri).lower()
    for kind, pattern in _FRAMEWORK_PATTERNS:
        if re.search(pattern, name):
            return LocalImage(uri=uri, kind=kind)
    return LocalImage(uri=uri, kind="unknown")


def unavailable_reason(uri: str) -> str:
    """The failure reason for an image the local stack cannot run."""
    known = ", ".join(sorted(registered())) or "none yet"
    return (
        f"image {uri} is not available in the local stack: it is neither a SageMaker framework "
        f"image (scikit-learn, xgboost, pytorch) nor an image built by the local CodeBuild "
        f"(built images: {known})"
    )
