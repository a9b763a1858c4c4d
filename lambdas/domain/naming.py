"""Names of what a run creates: short, unique per run, valid for SageMaker, traceable to a version.

SageMaker names allow [a-zA-Z0-9-], at most 63 characters (tuning jobs 32). A long stack name
is cut and followed by a hash so names stay unique (the original hashed the whole name, which
broke its rollback chain; here the numbers stay readable). What every run creates carries its
run number (`<stack>-r<N>-<suffix>`); the endpoint config carries the version the run deploys
(`<stack>-v<N>-<suffix>`), which rollback reads back.
"""

from __future__ import annotations

import hashlib
import re

from domain.context import Names

MAX_NAME = 63
MAX_TUNING_NAME = 32
_VERSION_IN_NAME = re.compile(r"-v(\d+)-[0-9a-z]+$")


def sanitise(text: str) -> str:
    """Lower-case [a-z0-9-] with no leading, trailing or doubled hyphens."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower())
    return re.sub(r"-{2,}", "-", cleaned).strip("-") or "sagebuild"


def _fit(prefix: str, tail: str, limit: int) -> str:
    name = f"{prefix}-{tail}"
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(prefix.encode()).hexdigest()[:6]
    room = limit - len(tail) - len(digest) - 2
    return f"{prefix[:room].rstrip('-')}-{digest}-{tail}"


def endpoint_name(stack: str, override: str = "") -> str:
    """The stack's endpoint: the given name, or the stack name made valid."""
    return sanitise(override or stack)[:MAX_NAME].rstrip("-")


def run_suffix(execution: str) -> str:
    """Six characters unique to one execution."""
    return hashlib.sha256(execution.encode()).hexdigest()[:6]


def run_names(stack: str, endpoint: str, run: int, execution: str) -> Names:
    """The names of run number `run` (the endpoint config is named when it gets its version)."""
    base = sanitise(stack)
    tail = f"r{run}-{run_suffix(execution)}"
    return Names(
        training_job=_fit(base, tail, MAX_NAME),
        tuning_job=_fit(base, tail, MAX_TUNING_NAME),
        model=_fit(base, tail, MAX_NAME),
        endpoint_config="",
        endpoint=endpoint,
        training_image_tag=f"training-r{run}",
        inference_image_tag=f"inference-r{run}",
    )


def endpoint_config_name(stack: str, version: int, execution: str) -> str:
    return _fit(sanitise(stack), f"v{version}-{run_suffix(execution)}", MAX_NAME)


def version_of(name: str) -> int | None:
    """The run version encoded in a model or endpoint config name, if any."""
    match = _VERSION_IN_NAME.search(name)
    return int(match.group(1)) if match else None


def execution_name(source: str, message_id: str) -> str:
    """A Step Functions execution name (at most 80 characters) for a trigger."""
    return f"{sanitise(source)[:20]}-{sanitise(message_id)}"[:80].rstrip("-")
