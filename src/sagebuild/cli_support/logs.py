"""Logs of a run: training job, image build and step (Lambda) logs.

On AWS they come from CloudWatch Logs (/aws/sagemaker/TrainingJobs, /aws/codebuild/<project>,
/aws/lambda/<function>). On the local stack the local SageMaker and CodeBuild write one file per
job under the server's work dir (`.../training/<job>/training.log`,
`.../builds/<build id with : and / as _>/build.log`); the CLI reads those files. Lambda output
of the local stack goes to the server's log (`<state dir>/server.log`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sagebuild.cli_support.errors import UserError

KINDS = ("training", "build", "steps")


def _safe(build_id: str) -> str:
    return build_id.replace(":", "_").replace("/", "_")


def work_dir(state_dir: Path) -> Path:
    """The local server's work dir (`sagebuild.local.server`: `<state dir>/work`)."""
    return Path(state_dir) / "work"


def _read(paths: list[Path]) -> str:
    if len(paths) == 1:
        return paths[0].read_text(errors="replace")
    return "\n".join(f"== {p.parent.name}\n" + p.read_text(errors="replace") for p in paths)


def local_training_log(state_dir: Path, job_name: str) -> str:
    """`<work>/sagemaker/training/<job>/training.log`; for a tuning job, those of its jobs."""
    exact = work_dir(state_dir) / "sagemaker" / "training" / job_name / "training.log"
    if exact.is_file():
        return exact.read_text(errors="replace")
    for pattern in (f"training/{job_name}/training.log", f"training/{job_name}-*/training.log"):
        found = sorted(Path(state_dir).rglob(pattern))
        if found:
            return _read(found)
    raise UserError(f"no local log for training job {job_name} under {work_dir(state_dir)}")


def local_build_log(state_dir: Path, build_id: str) -> str:
    """`<work>/codebuild/builds/<build id, : and / as _>/build.log`."""
    exact = work_dir(state_dir) / "codebuild" / "builds" / _safe(build_id) / "build.log"
    if exact.is_file():
        return exact.read_text(errors="replace")
    found = sorted(Path(state_dir).rglob(f"builds/{_safe(build_id)}/build.log"))
    if found:
        return _read(found)
    raise UserError(f"no local log for build {build_id} under {work_dir(state_dir)}")


def _events(logs: Any, group: str, prefix: str | None, start: datetime | None) -> Iterator[str]:
    kwargs: dict[str, Any] = {"logGroupName": group}
    if prefix:
        kwargs["logStreamNamePrefix"] = prefix
    if start is not None:
        kwargs["startTime"] = int(start.timestamp() * 1000)
    while True:
        page = logs.filter_log_events(**kwargs)
        for event in page.get("events", []):
            yield str(event.get("message", "")).rstrip("\n")
        token = page.get("nextToken")
        if not token:
            return
        kwargs["nextToken"] = token


def cloudwatch_training_log(logs: Any, job_name: str) -> str:
    return "\n".join(_events(logs, "/aws/sagemaker/TrainingJobs", f"{job_name}/", None))


def cloudwatch_build_log(logs: Any, project: str, build_id: str) -> str:
    stream = build_id.split(":", 1)[-1]
    return "\n".join(_events(logs, f"/aws/codebuild/{project}", stream, None))


def cloudwatch_step_logs(logs: Any, functions: list[str], start: datetime | None) -> str:
    """The Lambda logs of the stack's functions since the run started, function by function."""
    from botocore.exceptions import ClientError

    parts = []
    for function in functions:
        try:
            lines = list(_events(logs, f"/aws/lambda/{function}", None, start))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                continue
            raise
        if lines:
            parts.append(f"== {function}\n" + "\n".join(lines))
    return "\n".join(parts)
