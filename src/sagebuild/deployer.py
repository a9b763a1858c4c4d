"""Deploy the stack to AWS: package (like `sam package`), create/update/delete, publish.

Packaging zips every local `CodeUri` (its code, plus the third-party packages of its
`requirements.txt` installed for the Lambda platform, boto3 left to the runtime) and uploads it
(and every local `DefinitionUri`) to an S3 bucket, rewriting the template to point there. The
platform is the template's: `Globals.Function.Runtime` (python3.13) and `Architectures`
(the `Architecture` stack parameter, x86_64 or arm64), so pip fetches the binary wheels of that
Python for manylinux2014_x86_64 or manylinux2014_aarch64. The dependency install is cached by
the requirements file's hash and the platform under `.sagebuild/build/`. The
SAM transform is left to CloudFormation (`Transform: AWS::Serverless-2016-10-31`, hence
CAPABILITY_AUTO_EXPAND). Stack operations stream the stack events to a callback until the stack
reaches a final status. `publish` uploads the packaged template too and returns the console's
quick-create ("Launch Stack") URL.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sagebuild import assets
from sagebuild.cli_support.errors import UserError
from sagebuild.packaging import iter_package_files, rewrite_local_uris, sha256_of

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
#: The stack's folder (template.yaml, lambdas/...): bundled, or the editable checkout's.
REPO_ROOT = assets.root()
DEFAULT_TEMPLATE = assets.template()
EventCallback = Callable[[dict[str, Any]], None]
PipRunner = Callable[[list[str]], None]
#: pip's platform tag for each Lambda architecture (binary wheels only: pydantic-core).
LAMBDA_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
#: When the template does not say (template.yaml: python3.13, the Architecture parameter).
DEFAULT_RUNTIME = "python3.13"
DEFAULT_ARCHITECTURE = "x86_64"
#: Packages the Lambda runtime provides: never bundled, even when a dependency pulls them in.
RUNTIME_PACKAGES = frozenset({"boto3", "botocore", "s3transfer"})
REQUIREMENTS = "requirements.txt"
_COMPLETE = ".sagebuild-complete"
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


class StackFailed(UserError):
    """A stack operation ended in a failed or rolled-back status."""


def load_template(path: Path) -> dict[str, Any]:
    """The template as a dict, short-form intrinsics (!Ref, !Sub...) in their long form."""
    from samtranslator.yaml_helper import yaml_parse

    try:
        return dict(yaml_parse(Path(path).read_text(encoding="utf-8")))
    except FileNotFoundError as error:
        raise UserError(f"template not found: {path}") from error


def _join(prefix: str, key: str) -> str:
    return f"{prefix.strip('/')}/{key}" if prefix.strip("/") else key


@dataclass(frozen=True)
class LambdaPlatform:
    """The runtime and architecture the Lambda zips are built for."""

    runtime: str = DEFAULT_RUNTIME
    architecture: str = DEFAULT_ARCHITECTURE

    def __post_init__(self) -> None:
        if not re.fullmatch(r"python3\.\d+", self.runtime):
            raise UserError(f"unsupported Lambda runtime {self.runtime} (python3.x only)")
        if self.architecture not in LAMBDA_PLATFORMS:
            raise UserError(
                f"unsupported Lambda architecture {self.architecture} "
                f"(one of {', '.join(LAMBDA_PLATFORMS)})"
            )

    @property
    def python_version(self) -> str:
        """`python3.13` → `3.13` (pip's --python-version)."""
        return self.runtime.removeprefix("python")

    def pip_options(self) -> list[str]:
        return [
            "--platform",
            LAMBDA_PLATFORMS[self.architecture],
            "--implementation",
            "cp",
            "--python-version",
            self.python_version,
            "--only-binary=:all:",
        ]


def _resolve(value: Any, template: dict[str, Any], parameters: dict[str, str]) -> Any:
    """A literal, or a `{"Ref": P}` to a stack parameter: the given value, else its Default."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        if name in parameters:
            return parameters[name]
        return ((template.get("Parameters") or {}).get(name) or {}).get("Default")
    return value


def lambda_platform(
    template: dict[str, Any], parameters: dict[str, str] | None = None
) -> LambdaPlatform:
    """The template's `Globals.Function` Runtime and Architectures (a `!Ref` to a parameter is
    resolved with `parameters`, then the parameter's Default). Every function of the template
    must agree: one set of dependency wheels is built per code folder."""
    parameters = parameters or {}
    function_globals = (template.get("Globals") or {}).get("Function") or {}
    found = set()
    functions = [
        resource.get("Properties") or {}
        for resource in (template.get("Resources") or {}).values()
        if resource.get("Type") == "AWS::Serverless::Function"
    ]
    for properties in functions or [{}]:
        runtime = _resolve(
            properties.get("Runtime", function_globals.get("Runtime", DEFAULT_RUNTIME)),
            template,
            parameters,
        )
        architectures = _resolve(
            properties.get("Architectures", function_globals.get("Architectures")),
            template,
            parameters,
        ) or [DEFAULT_ARCHITECTURE]
        [architecture] = [_resolve(a, template, parameters) for a in architectures]
        found.add((str(runtime), str(architecture)))
    if len(found) != 1:
        raise UserError(
            "the template's functions mix runtimes or architectures: "
            + ", ".join(f"{r} {a}" for r, a in sorted(found))
        )
    [(runtime, architecture)] = found
    return LambdaPlatform(runtime, architecture)


def pip_arguments(
    requirements: Path, target: Path, platform: LambdaPlatform | None = None
) -> list[str]:
    """`pip` arguments installing `requirements` into `target` for the Lambda platform
    (binary wheels only: pydantic-core is compiled)."""
    return [
        "install",
        "--target",
        str(target),
        *(platform or LambdaPlatform()).pip_options(),
        "--no-compile",
        "--disable-pip-version-check",
        "--quiet",
        "-r",
        str(requirements),
    ]


def run_pip(arguments: list[str]) -> None:
    """Run this interpreter's pip (it needs PyPI); a failure is one line."""
    try:
        subprocess.run(  # noqa: S603 - our own interpreter's pip
            [sys.executable, "-m", "pip", *arguments], check=True, capture_output=True, text=True
        )
    except subprocess.CalledProcessError as error:
        lines = [line for line in (error.stderr or error.stdout or "").splitlines() if line]
        raise UserError(
            "installing the Lambda dependencies failed (pip needs PyPI): "
            + (lines[-1].strip() if lines else f"pip exited with {error.returncode}")
        ) from error


def _distribution(name: str) -> str:
    """`boto3-1.34.0.dist-info` → `boto3`; `botocore` → `botocore`."""
    return re.split(r"-\d|\.dist-info$|\.egg-info$|\.pth$", name.lower())[0].replace("-", "_")


def _drop_runtime_packages(directory: Path) -> None:
    for path in list(directory.iterdir()):
        if _distribution(path.name) in RUNTIME_PACKAGES or path.name in ("bin", "__pycache__"):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def install_dependencies(
    requirements: Path,
    cache_dir: Path,
    pip: PipRunner = run_pip,
    platform: LambdaPlatform | None = None,
) -> Path:
    """The directory holding `requirements` installed for the Lambda `platform`, cached by
    their hash and the platform."""
    requirements = Path(requirements)
    platform = platform or LambdaPlatform()
    digest = hashlib.sha256(
        requirements.read_bytes() + " ".join(platform.pip_options()).encode()
    ).hexdigest()[:16]
    target = Path(cache_dir) / "deps" / digest
    if (target / _COMPLETE).is_file():
        return target
    partial = target.with_name(f"{digest}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    pip(pip_arguments(requirements, partial, platform))
    _drop_runtime_packages(partial)
    (partial / _COMPLETE).write_text(f"{requirements}\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def build_function_zip(source_dir: Path, dependencies: Path | None, out: Path) -> Path:
    """One deterministic Lambda zip: the dependencies, then the code (the code wins a clash).

    Same rules as `sagebuild.packaging.build_code_zip`: sorted entries, fixed timestamps and
    modes, no caches, so the zip's hash only changes when its content does."""
    entries: dict[str, Path] = {}
    if dependencies is not None:
        for path in iter_package_files(dependencies):
            name = path.relative_to(dependencies).as_posix()
            if name != _COMPLETE:
                entries[name] = path
    for path in iter_package_files(source_dir):
        entries[path.relative_to(source_dir).as_posix()] = path
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, _FIXED_DATE)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name].read_bytes())
    return out


@dataclass
class Packager:
    """Uploads each local artifact once (by content hash) to `bucket`/`prefix`."""

    s3: Any
    bucket: str
    prefix: str
    base_dir: Path
    build_dir: Path
    cache_dir: Path | None = None
    pip: PipRunner = run_pip
    on_message: Callable[[str], None] = field(default=lambda text: None)
    platform: LambdaPlatform = field(default_factory=LambdaPlatform)

    def __post_init__(self) -> None:
        self._done: dict[Path, str] = {}

    def upload(self, path: Path, key: str) -> str:
        self.s3.upload_file(str(path), self.bucket, key)
        return key

    def dependencies(self, code_dir: Path) -> Path | None:
        requirements = code_dir / REQUIREMENTS
        if not requirements.is_file():
            return None
        cache_dir = self.cache_dir or default_cache_dir(self.base_dir)
        self.on_message(
            f"installing {requirements.relative_to(self.base_dir)} for Lambda "
            f"({self.platform.runtime}, {self.platform.architecture})"
        )
        return install_dependencies(requirements, cache_dir, self.pip, self.platform)

    def code_uri(self, uri: str) -> str:
        path = (self.base_dir / uri).resolve()
        if path not in self._done:
            if path.is_dir():
                archive = build_function_zip(
                    path, self.dependencies(path), self.build_dir / f"{path.name}.zip"
                )
            elif path.is_file():
                archive = path
            else:
                raise UserError(f"CodeUri {uri} not found (relative to {self.base_dir})")
            key = _join(self.prefix, f"code/{path.name}-{sha256_of(archive)[:16]}.zip")
            self.upload(archive, key)
            self._done[path] = f"s3://{self.bucket}/{key}"
        return self._done[path]

    def definition_uri(self, uri: str) -> dict[str, str]:
        path = (self.base_dir / uri).resolve()
        if not path.is_file():
            raise UserError(f"DefinitionUri {uri} not found (relative to {self.base_dir})")
        key = _join(self.prefix, f"statemachine/{path.stem}-{sha256_of(path)[:16]}{path.suffix}")
        self.upload(path, key)
        return {"Bucket": self.bucket, "Key": key}


def default_cache_dir(base_dir: Path) -> Path:
    """`<base_dir>/.sagebuild/build`; `./.sagebuild/build` when the template is the one bundled
    in the installed package (never write into site-packages)."""
    if assets.is_bundled() and Path(base_dir).resolve() == assets.root().resolve():
        return Path.cwd() / ".sagebuild" / "build"
    return Path(base_dir) / ".sagebuild" / "build"


def package(
    template: dict[str, Any],
    base_dir: Path,
    s3: Any,
    bucket: str,
    prefix: str = "",
    *,
    cache_dir: Path | None = None,
    pip: PipRunner = run_pip,
    on_message: Callable[[str], None] = lambda text: None,
    parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A copy of the SAM template with local CodeUri/DefinitionUri uploaded to S3.

    A code directory with a `requirements.txt` gets its packages bundled (installed with `pip`
    for the template's runtime and architecture, `parameters` resolving a `!Ref Architecture`;
    cached under `cache_dir`, default `default_cache_dir(base_dir)`).
    """
    platform = lambda_platform(template, parameters)
    packaged = copy.deepcopy(template)
    with tempfile.TemporaryDirectory(prefix="sagebuild-package-") as build_dir:
        packager = Packager(
            s3,
            bucket,
            prefix,
            Path(base_dir),
            Path(build_dir),
            cache_dir=cache_dir,
            pip=pip,
            on_message=on_message,
            platform=platform,
        )
        rewrite_local_uris(packaged, packager.code_uri, packager.definition_uri)
    return packaged


def upload_template(
    s3: Any, template: dict[str, Any], bucket: str, prefix: str, region: str
) -> str:
    """Upload the packaged template; its HTTPS URL (what TemplateURL and the console take)."""
    body = json.dumps(template, indent=1, sort_keys=False).encode()
    key = _join(prefix, "template.json")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    host = "s3.amazonaws.com" if region == "us-east-1" else f"s3.{region}.amazonaws.com"
    return f"https://{bucket}.{host}/{key}"


def quick_create_url(region: str, template_url: str, stack: str) -> str:
    """The CloudFormation console's quick-create ("Launch Stack") link."""
    return (
        f"https://console.aws.amazon.com/cloudformation/home?region={region}"
        f"#/stacks/quickcreate?templateURL={quote(template_url, safe='')}"
        f"&stackName={quote(stack, safe='')}"
    )


def default_bucket(session: Any, region: str) -> str:
    account = session.client("sts").get_caller_identity()["Account"]
    return f"sagebuild-artifacts-{account}-{region}"


def ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
            raise
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)


def describe(cfn: Any, stack: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return stacks[0] if stacks else None


def _parameters(
    cfn_stack: dict[str, Any] | None, given: dict[str, str], declared: dict[str, Any]
) -> list[dict[str, Any]]:
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise UserError(f"unknown stack parameter(s): {', '.join(unknown)}")
    rows: list[dict[str, Any]] = [
        {"ParameterKey": k, "ParameterValue": str(v)} for k, v in given.items()
    ]
    if cfn_stack is not None:
        existing = {p["ParameterKey"] for p in cfn_stack.get("Parameters") or []}
        rows += [
            {"ParameterKey": k, "UsePreviousValue": True}
            for k in sorted(existing - set(given))
            if k in declared
        ]
    return rows


def stream_events(
    cfn: Any,
    stack_id: str,
    since: float,
    on_event: EventCallback,
    poll_seconds: float = 3.0,
    timeout: float = 3 * 3600,
) -> dict[str, Any]:
    """Report every new stack event (oldest first) until the stack's status is final."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while True:
        events: list[dict[str, Any]] = []
        paginator = cfn.get_paginator("describe_stack_events")
        for page in paginator.paginate(StackName=stack_id):
            fresh = [e for e in page["StackEvents"] if e["EventId"] not in seen]
            events.extend(fresh)
            if len(fresh) < len(page["StackEvents"]):
                break
        for event in sorted(events, key=lambda e: e["Timestamp"]):
            seen.add(event["EventId"])
            if event["Timestamp"].timestamp() >= since - 1:
                on_event(event)
        stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return stack
        time.sleep(poll_seconds)


def _failures(cfn: Any, stack_id: str, since: float) -> str:
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    reasons = [
        f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
        for e in reversed(events)
        if e["ResourceStatus"].endswith("_FAILED")
        and e.get("ResourceStatusReason")
        and e["Timestamp"].timestamp() >= since - 1
    ]
    return "; ".join(reasons[:5])


WheelBuilder = Callable[[Path, Path], Path]


def build_wheel(project: Path, out_dir: Path) -> Path:
    """The sagebuild wheel (the helpers the notebooks import), no deps: built with pip from
    `project` (or the editable checkout) when it is the source, else repacked from the
    installed package (a wheel install has no source to build from)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    source = project if (Path(project) / "pyproject.toml").is_file() else assets.project_dir()
    if source is None:
        return _repack_installed(out_dir)
    run_pip(["wheel", "--quiet", "--no-deps", "--wheel-dir", str(out_dir), str(source)])
    [wheel] = sorted(out_dir.glob("sagebuild-*.whl"))
    return wheel


def _repack_installed(out_dir: Path) -> Path:
    """The installed sagebuild distribution as a wheel again (its files and metadata, RECORD
    rewritten; no caches, nothing the installer added)."""
    import base64
    from importlib import metadata

    dist = metadata.distribution("sagebuild")
    version = dist.version
    info = f"sagebuild-{version}.dist-info"
    skipped = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    entries: dict[str, bytes] = {}
    for file in dist.files or []:
        name = file.as_posix()
        if name.startswith("..") or "__pycache__" in name or name.endswith((".pyc", ".pyo")):
            continue
        if name.startswith(info + "/") and name.rsplit("/", 1)[1] in skipped:
            continue
        path = Path(str(file.locate()))
        if path.is_file():
            entries[name] = path.read_bytes()
    record = []
    for name, body in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(body)}")
    record.append(f"{info}/RECORD,,")
    entries[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = out_dir / f"sagebuild-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries, key=lambda n: (n.startswith(info), n)):
            archive.writestr(zipfile.ZipInfo(name, _FIXED_DATE), entries[name])
    return wheel


def upload_notebooks(
    s3: Any,
    code_bucket: str,
    project: Path | None = None,
    *,
    wheel: WheelBuilder = build_wheel,
    on_message: Callable[[str], None] = lambda text: None,
) -> list[str]:
    """Put the notebooks, the examples they use and the helper wheel under notebooks/.

    The notebook instance's OnStart script copies s3://<CodeBucket>/notebooks/ into
    ~/SageMaker/sagebuild and installs the wheel into its python3 kernel. `project`: the folder
    with notebooks/ and examples/ (default: the bundled assets, or the checkout's).
    """
    project = Path(project) if project is not None else assets.root()
    files: list[tuple[Path, str]] = [
        (path, f"notebooks/{path.name}")
        for path in sorted((project / "notebooks").glob("*"))
        if path.suffix in {".ipynb", ".md"}
    ]
    for example in ("iris", "byod"):
        root = project / "examples" / example
        files += [
            (path, f"notebooks/examples/{example}/{path.relative_to(root).as_posix()}")
            for path in sorted(root.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts
        ]
    with tempfile.TemporaryDirectory() as tmp:
        built = wheel(project, Path(tmp))
        files.append((built, f"notebooks/wheel/{built.name}"))
        for path, key in files:
            s3.put_object(Bucket=code_bucket, Key=key, Body=path.read_bytes())
    on_message(f"uploaded {len(files)} notebook files to s3://{code_bucket}/notebooks/")
    return [key for _, key in files]


def deploy(
    session: Any,
    stack: str,
    *,
    region: str,
    template_path: Path = DEFAULT_TEMPLATE,
    bucket: str | None = None,
    prefix: str = "",
    parameters: dict[str, str] | None = None,
    on_event: EventCallback = lambda event: None,
    on_message: Callable[[str], None] = lambda text: None,
    poll_seconds: float = 3.0,
) -> dict[str, str]:
    """Package and create (or update) the stack; its outputs. Raises StackFailed."""
    s3, cfn = session.client("s3"), session.client("cloudformation")
    bucket = bucket or default_bucket(session, region)
    ensure_bucket(s3, bucket, region)
    template = load_template(template_path)
    existing = describe(cfn, stack)
    # The values the stack will have: the given ones over the existing stack's (UsePreviousValue).
    values = {
        p["ParameterKey"]: p.get("ParameterValue", "")
        for p in (existing or {}).get("Parameters") or []
    } | dict(parameters or {})
    on_message(f"packaging {template_path.name} to s3://{bucket}/{prefix}")
    packaged = package(
        template,
        template_path.parent,
        s3,
        bucket,
        prefix or stack,
        on_message=on_message,
        parameters=values,
    )
    template_url = upload_template(s3, packaged, bucket, prefix or stack, region)
    if existing is not None and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        raise UserError(
            f"stack {stack} is ROLLBACK_COMPLETE (its creation failed): "
            "delete it with: sagebuild down"
        )
    request = {
        "StackName": stack,
        "TemplateURL": template_url,
        "Parameters": _parameters(existing, parameters or {}, packaged.get("Parameters") or {}),
        "Capabilities": CAPABILITIES,
    }
    since = time.time()
    if existing is None:
        on_message(f"creating stack {stack}")
        stack_id = cfn.create_stack(**request, Tags=[{"Key": "sagebuild:stack", "Value": stack}])[
            "StackId"
        ]
        wanted = "CREATE_COMPLETE"
    else:
        from botocore.exceptions import ClientError

        on_message(f"updating stack {stack}")
        try:
            stack_id = cfn.update_stack(**request)["StackId"]
        except ClientError as error:
            if "No updates are to be performed" in str(error):
                on_message("no changes")
                return {o["OutputKey"]: o["OutputValue"] for o in existing.get("Outputs") or []}
            raise
        wanted = "UPDATE_COMPLETE"
    final = stream_events(cfn, stack_id, since, on_event, poll_seconds)
    if final["StackStatus"] != wanted:
        reason = _failures(cfn, stack_id, since) or final.get("StackStatusReason", "")
        raise StackFailed(f"stack {stack} ended {final['StackStatus']}: {reason}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in final.get("Outputs") or []}
    if outputs.get("CodeBucket"):
        home = template_path.parent if (template_path.parent / "notebooks").is_dir() else None
        upload_notebooks(s3, outputs["CodeBucket"], home, on_message=on_message)
    return outputs


def delete(
    session: Any,
    stack: str,
    *,
    on_event: EventCallback = lambda event: None,
    poll_seconds: float = 3.0,
) -> bool:
    """Delete the stack and wait until it is gone; False if there was none."""
    cfn = session.client("cloudformation")
    existing = describe(cfn, stack)
    if existing is None:
        return False
    since = time.time()
    cfn.delete_stack(StackName=existing["StackId"])
    final = stream_events(cfn, existing["StackId"], since, on_event, poll_seconds)
    if final["StackStatus"] != "DELETE_COMPLETE":
        reason = _failures(cfn, existing["StackId"], since) or final.get("StackStatusReason", "")
        raise StackFailed(f"stack {stack} ended {final['StackStatus']}: {reason}")
    return True


def publish(
    session: Any,
    *,
    region: str,
    bucket: str,
    prefix: str = "sagebuild",
    stack: str = "sagebuild",
    template_path: Path = DEFAULT_TEMPLATE,
    architecture: str | None = None,
) -> tuple[str, str]:
    """Upload the packaged template and its code; (template URL, quick-create URL).

    The code is built for one architecture (`architecture`, default the template's): the
    published template's `Architecture` parameter then allows only that one."""
    s3 = session.client("s3")
    template = load_template(template_path)
    parameters = {"Architecture": architecture} if architecture else {}
    packaged = package(template, template_path.parent, s3, bucket, prefix, parameters=parameters)
    declared = (packaged.get("Parameters") or {}).get("Architecture")
    if declared is not None:
        chosen = lambda_platform(template, parameters).architecture
        declared.update(Default=chosen, AllowedValues=[chosen])
    template_url = upload_template(s3, packaged, bucket, prefix, region)
    return template_url, quick_create_url(region, template_url, stack)
