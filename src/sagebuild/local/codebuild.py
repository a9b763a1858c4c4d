"""Local CodeBuild: StartBuild really builds, without Docker.

`install(work_dir)` patches moto 5.2.5's CodeBuild and returns the uninstaller. Replaced moto
behaviour:

- StartBuild (moto: stores metadata, drops the environment and source overrides) → a build in
  a background thread honouring `environmentVariablesOverride` (`IMAGE_TAG`,
  `DOCKERFILE_PATH`), `sourceLocationOverride` and `sourceTypeOverride`.
- BatchGetBuilds (moto: `SUCCEEDED` on the first call, `phases` grows on every call) → the live
  build: IN_PROGRESS → SUCCEEDED / FAILED / STOPPED, each phase listed once.
- StopBuild (moto: `STOPPED` with fake phases) → stops the running build.
- A build emits "CodeBuild Build State Change" when it starts and ends (moto: no events).

A build: DOWNLOAD_SOURCE takes the project's source (an S3 zip `bucket/key`, or a local
directory given as an absolute path or `file://` location; CodeCommit has no git data in moto
and fails with a clear reason); BUILD checks the Docker context (`$DOCKERFILE_PATH`, a
directory or a Dockerfile, default `Dockerfile` at the top) and registers the context as the
local image `<repository>:<IMAGE_TAG>` in `sagebuild.local.images` (and `:latest-<IMAGE_KIND>`
when `IMAGE_KIND` is set, like the template's buildspec; a training image must have `train`,
an inference image `serve`). The repository is
`REPOSITORY_URI` / `IMAGE_REPOSITORY_URI`, or `<AWS_ACCOUNT_ID>.dkr.ecr.<AWS_DEFAULT_REGION>
.amazonaws.com/<IMAGE_REPO_NAME>` (the original's buildspec variables). The buildspec itself is
not run (it is Docker commands). One log file per build: `build_log(build_id)`.
"""

from __future__ import annotations

import copy
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moto.codebuild import models as cb_models
from moto.codebuild.responses import CodeBuildResponse
from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds

from sagebuild.local import images, patching, s3sync
from sagebuild.local.moto_ext.events_delivery import emit_codebuild

Backend = cb_models.CodeBuildBackend
PHASES = (
    "PROVISIONING",
    "DOWNLOAD_SOURCE",
    "INSTALL",
    "PRE_BUILD",
    "BUILD",
    "POST_BUILD",
    "UPLOAD_ARTIFACTS",
    "FINALIZING",
)


class BuildError(Exception):
    """The build fails; the message goes to the log and the failed phase's context."""


def _now() -> str:
    return str(iso_8601_datetime_with_milliseconds())


def _safe(build_id: str) -> str:
    return build_id.replace(":", "_").replace("/", "_")


class LocalBuild:
    """One build's metadata (the dict moto returns) and its work."""

    def __init__(self, metadata: dict[str, Any], project: dict[str, Any], work_dir: Path) -> None:
        self.metadata = metadata
        self.project = project
        self.directory = work_dir / "builds" / _safe(metadata["id"])
        self.log_path = self.directory / "build.log"
        self.stop_requested = threading.Event()

    def log(self, message: str) -> None:
        with self.log_path.open("a") as handle:
            handle.write(message.rstrip("\n") + "\n")

    def env(self) -> dict[str, str]:
        variables = self.metadata["environment"].get("environmentVariables") or []
        return {v["name"]: str(v.get("value", "")) for v in variables}

    def _enter(self, phase: str) -> None:
        phases = self.metadata["phases"]
        if phases and "endTime" not in phases[-1]:
            phases[-1].update(phaseStatus="SUCCEEDED", endTime=_now(), durationInSeconds=0)
        phases.append({"phaseType": phase, "startTime": _now()})
        self.metadata["currentPhase"] = phase
        self.log(f"[Container] Entering phase {phase}")

    def _end(self, status: str, reason: str | None = None) -> None:
        phases = self.metadata["phases"]
        if phases and "endTime" not in phases[-1]:
            phases[-1].update(phaseStatus=status, endTime=_now(), durationInSeconds=0)
            if reason:
                phases[-1]["contexts"] = [{"statusCode": "BUILD_ERROR", "message": reason}]
        phases.append({"phaseType": "COMPLETED", "startTime": _now()})
        self.metadata.update(
            currentPhase="COMPLETED",
            buildStatus=status,
            buildComplete=True,
            endTime=_now(),
        )
        emit_codebuild(self.metadata)

    def run(self) -> None:
        """Run the build to its end; never raises."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log(f"[Container] local build {self.metadata['id']} (no Docker)")
        try:
            self._enter("PROVISIONING")
            self._check_stop()
            self._enter("DOWNLOAD_SOURCE")
            source = self._download_source()
            self._check_stop()
            self._enter("INSTALL")
            self._enter("PRE_BUILD")
            self._enter("BUILD")
            uri = self._build(source)
            self._check_stop()
            self._enter("POST_BUILD")
            self.log(f"registered local image {uri}")
            self._enter("UPLOAD_ARTIFACTS")
            self._enter("FINALIZING")
        except _Stopped:
            self.log("[Container] build stopped")
            self._end("STOPPED")
            return
        except BuildError as error:
            self.log(f"[Container] Phase {self.metadata['currentPhase']} FAILED: {error}")
            self._end("FAILED", str(error))
            return
        except Exception as error:  # noqa: BLE001 - a broken build must end, not hang
            self.log(f"[Container] internal error: {error!r}")
            self._end("FAILED", f"internal error: {error}")
            return
        self.log("[Container] build SUCCEEDED")
        self._end("SUCCEEDED")

    def _check_stop(self) -> None:
        if self.stop_requested.is_set():
            raise _Stopped

    def _download_source(self) -> Path:
        source = self.metadata["source"]
        kind = str(source.get("type", "")).upper()
        location = str(source.get("location", ""))
        target = self.directory / "src"
        shutil.rmtree(target, ignore_errors=True)
        local = location.removeprefix("file://")
        if location.startswith("file://") or (location.startswith("/") and Path(local).exists()):
            if not Path(local).is_dir():
                raise BuildError(f"source directory {local} does not exist")
            shutil.copytree(local, target, symlinks=True)
            self.log(f"copied source directory {local}")
            return target
        if kind == "S3":
            try:
                s3sync.extract_zip(s3sync.get_bytes(location, self._acting_role()), target)
            except s3sync.S3Error as error:
                raise BuildError(f"CLIENT_ERROR: cannot get source {location}: {error}") from error
            except Exception as error:  # noqa: BLE001 - bad zip etc.
                raise BuildError(f"source {location} is not a zip archive: {error}") from error
            self.log(f"downloaded and unzipped s3://{location}")
            return target
        raise BuildError(
            f"source type {kind or 'NONE'} ({location or 'no location'}) is not supported by the "
            "local CodeBuild: use an S3 zip (bucket/key) or sourceLocationOverride with a local "
            "directory"
        )

    def _build(self, source: Path) -> str:
        env = self.env()
        tag = env.get("IMAGE_TAG") or "latest"
        dockerfile_path = env.get("DOCKERFILE_PATH") or ""
        candidate = (source / dockerfile_path).resolve()
        if source.resolve() not in (candidate, *candidate.parents):
            raise BuildError(f"DOCKERFILE_PATH {dockerfile_path} leaves the source directory")
        if candidate.is_dir():
            context, dockerfile = candidate, candidate / "Dockerfile"
        else:
            context, dockerfile = candidate.parent, candidate
        if not dockerfile.is_file():
            raise BuildError(
                f"no Dockerfile at {dockerfile.relative_to(source.resolve())} "
                f"(DOCKERFILE_PATH={dockerfile_path!r}): nothing to build"
            )
        self.log(f"Step 1: docker build {context.relative_to(source.resolve()) or '.'} (local)")
        programs = {name: images.find_program(context, name) for name in ("train", "serve")}
        if not any(programs.values()):
            raise BuildError(
                f"the build context {context.name} has neither a `train` nor a `serve` program: "
                "a SageMaker image needs at least one"
            )
        kind = (env.get("IMAGE_KIND") or "").lower()
        needed = {"training": "train", "inference": "serve"}.get(kind)
        if needed and programs[needed] is None:
            raise BuildError(
                f"the {kind} image's build context {context.name} has no `{needed}` program"
            )
        for name, path in programs.items():
            if path is None:
                self.log(f"note: no `{name}` program in the context")
            elif not path.stat().st_mode & 0o111:
                self.log(f"warning: {path.relative_to(context)} is not executable (chmod +x)")
        repository = self._repository(env)
        self._authorize_push(repository)
        uri = f"{repository}:{tag}"
        image_dir = self.directory / "image"
        shutil.rmtree(image_dir, ignore_errors=True)
        shutil.copytree(context, image_dir, symlinks=True)
        images.register(uri, image_dir)
        if kind:
            images.register(f"{repository}:latest-{kind}", image_dir)
        return uri

    def _acting_role(self) -> s3sync.ActingRole | None:
        """CodeBuild runs the build as the project's service role (session AWSCodeBuild-<id>)."""
        role_arn = str(self.metadata.get("serviceRole") or "")
        build_id = str(self.metadata.get("id", "")).rsplit(":", 1)[-1]
        return s3sync.ActingRole(role_arn, f"AWSCodeBuild-{build_id}") if role_arn else None

    def _authorize_push(self, repository: str) -> None:
        """`docker push` to ECR needs these actions (ECR User Guide, "Pushing an image")."""
        from sagebuild.local.iam.enforcer import ENFORCER, AccessDenied

        role = self._acting_role()
        host, _, name = repository.partition("/")
        if role is None or ".dkr.ecr." not in host:
            return
        account, region = host.split(".")[0], host.split(".")[3]
        arn = f"arn:aws:ecr:{region}:{account}:repository/{name}"
        push = ("BatchCheckLayerAvailability", "InitiateLayerUpload", "UploadLayerPart")
        try:
            ENFORCER.authorize_as_role(
                role.role_arn, role.session_name, "ecr:GetAuthorizationToken", "*"
            )
            for action in (*push, "CompleteLayerUpload", "PutImage"):
                ENFORCER.authorize_as_role(role.role_arn, role.session_name, f"ecr:{action}", arn)
        except AccessDenied as denied:
            raise BuildError(f"CLIENT_ERROR: docker push {repository}: {denied}") from None

    def _repository(self, env: dict[str, str]) -> str:
        for name in ("REPOSITORY_URI", "IMAGE_REPOSITORY_URI"):
            if env.get(name):
                return env[name].rsplit(":", 1)[0] if "/" in env[name] else env[name]
        repo = env.get("IMAGE_REPO_NAME")
        if not repo:
            raise BuildError(
                "no image repository: set REPOSITORY_URI, IMAGE_REPOSITORY_URI or IMAGE_REPO_NAME "
                "in the project environment"
            )
        if "/" in repo and "." in repo.split("/", 1)[0]:
            return repo
        account = env.get("AWS_ACCOUNT_ID") or self.metadata["arn"].split(":")[4]
        region = env.get("AWS_DEFAULT_REGION") or self.metadata["arn"].split(":")[3]
        return f"{account}.dkr.ecr.{region}.amazonaws.com/{repo}"


class _Stopped(Exception):
    pass


class LocalCodeBuild:
    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.lock = threading.Lock()
        self.builds: dict[str, LocalBuild] = {}
        self.threads: list[threading.Thread] = []

    def start(self, build: LocalBuild) -> None:
        with self.lock:
            self.builds[build.metadata["id"]] = build
            thread = threading.Thread(target=build.run, name="build", daemon=True)
            self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def shutdown(self) -> None:
        with self.lock:
            builds, threads = list(self.builds.values()), list(self.threads)
        for build in builds:
            build.stop_requested.set()
        for thread in threads:
            thread.join(timeout=10)


_active: LocalCodeBuild | None = None
_restore: Callable[[], None] | None = None


def _local() -> LocalCodeBuild:
    if _active is None:
        raise RuntimeError("sagebuild.local.codebuild is not installed")
    return _active


def _response_start_build(original: Callable[..., Any]) -> Callable[..., Any]:
    """StartBuild with the overrides moto drops, then the local build in a thread."""

    def start_build(self: CodeBuildResponse) -> Any:
        result = original(self)
        metadata = result.result["build"] if hasattr(result, "result") else None
        if metadata is None:  # moto changed shape: fall back to the latest build of the project
            backend = self.codebuild_backend
            metadata = backend.build_metadata[self._get_param("projectName")].build_metadata
        project = self.codebuild_backend.codebuild_projects[self._get_param("projectName")]
        info = project.project_metadata
        source = dict(info.get("source") or {})
        if self._get_param("sourceTypeOverride"):
            source["type"] = self._get_param("sourceTypeOverride")
        if self._get_param("sourceLocationOverride"):
            source["location"] = self._get_param("sourceLocationOverride")
        if self._get_param("buildspecOverride"):
            source["buildspec"] = self._get_param("buildspecOverride")
        environment = dict(info.get("environment") or {})
        variables = {v["name"]: v for v in environment.get("environmentVariables") or []}
        for override in self._get_param("environmentVariablesOverride") or []:
            variables[override["name"]] = {"type": "PLAINTEXT", **override}
        environment["environmentVariables"] = list(variables.values())
        if self._get_param("imageOverride"):
            environment["image"] = self._get_param("imageOverride")
        current = _now()
        metadata.update(
            source=source,
            environment=environment,
            currentPhase="SUBMITTED",
            buildStatus="IN_PROGRESS",
            buildComplete=False,
            startTime=current,
            phases=[
                {
                    "phaseType": "SUBMITTED",
                    "phaseStatus": "SUCCEEDED",
                    "startTime": current,
                    "endTime": current,
                    "durationInSeconds": 0,
                },
            ],
            logs={
                "groupName": f"/aws/codebuild/{info['name']}",
                "streamName": metadata["id"].split(":", 1)[1],
            },
        )
        metadata.pop("endTime", None)
        if self._get_param("sourceVersion"):
            metadata["sourceVersion"] = self._get_param("sourceVersion")
        local = _local()
        response = copy.deepcopy(metadata)  # as StartBuild answered, before the build moves on
        emit_codebuild(metadata)
        local.start(LocalBuild(metadata, info, local.work_dir))
        return ActionResult({"build": response})

    return start_build


def _batch_get_builds(self: Backend, ids: list[str]) -> list[dict[str, Any]]:
    """The builds as they are now (no phase appended per call, unlike moto)."""
    found = {b["id"]: b for history in self.build_metadata_history.values() for b in history}
    return [found[i] for i in ids if i in found]


def _stop_build(_self: Backend, build_id: str) -> dict[str, Any] | None:
    with _local().lock:
        build = _local().builds.get(build_id)
    if build is None:
        return None
    if not build.metadata.get("buildComplete"):
        build.stop_requested.set()
        build.metadata["buildStatus"] = "STOPPED"
    return build.metadata


def _patches() -> list[patching.Patch]:
    return [
        patching.wrap(CodeBuildResponse, "start_build", _response_start_build),
        (Backend, "batch_get_builds", _batch_get_builds),
        (Backend, "stop_build", _stop_build),
    ]


def install(work_dir: Path) -> Callable[[], None]:
    """Make moto's CodeBuild run local builds; returns the uninstaller (stops running builds)."""
    global _active, _restore
    if _active is not None:
        _uninstall()
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    _active = LocalCodeBuild(work_dir)
    _restore = patching.install(_patches())
    installed = _active

    def uninstall() -> None:
        if _active is installed:
            _uninstall()

    return uninstall


def _uninstall() -> None:
    global _active, _restore
    if _active is not None:
        _active.shutdown()
    _active = None
    if _restore is not None:
        _restore()
    _restore = None


def build_log(build_id: str) -> str:
    """The log of a local build."""
    path = _local().work_dir / "builds" / _safe(build_id) / "build.log"
    return path.read_text(errors="replace") if path.is_file() else ""
