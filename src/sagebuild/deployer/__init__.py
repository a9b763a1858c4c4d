"""Deploy the stack to AWS: package (like `sam package`), create/update/delete, publish.

Packaging zips every local `CodeUri` (its code, plus the third-party packages of its
`requirements.txt` installed for the Lambda platform, boto3 left to the runtime:
`lambda_build`) and uploads it (and every local `DefinitionUri`) to an S3 bucket, rewriting
the template to point there. The SAM transform is left to CloudFormation
(`Transform: AWS::Serverless-2016-10-31`, hence CAPABILITY_AUTO_EXPAND). Stack operations
stream the stack events to a callback until the stack reaches a final status
(`cloudformation`); a deploy uploads the notebooks too (`notebooks`). `publish` uploads the
packaged template and returns the console's quick-create ("Launch Stack") URL.
"""

from __future__ import annotations

import copy
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sagebuild import assets
from sagebuild.cli_support.errors import UserError
from sagebuild.deployer.cloudformation import (
    EventCallback,
    StackFailed,
    await_status,
    default_bucket,
    describe,
    ensure_bucket,
    stack_parameters,
    stream_events,
)
from sagebuild.deployer.lambda_build import (
    DEFAULT_ARCHITECTURE,
    DEFAULT_RUNTIME,
    LAMBDA_PLATFORMS,
    REQUIREMENTS,
    RUNTIME_PACKAGES,
    LambdaPlatform,
    PipRunner,
    build_function_zip,
    install_dependencies,
    lambda_platform,
    pip_arguments,
    run_pip,
)
from sagebuild.deployer.notebooks import WheelBuilder, build_wheel, upload_notebooks
from sagebuild.packaging import rewrite_local_uris, sha256_of

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
#: The stack's folder (template.yaml, lambdas/...): bundled, or the editable checkout's.
REPO_ROOT = assets.root()
DEFAULT_TEMPLATE = assets.template()


def load_template(path: Path) -> dict[str, Any]:
    """The template as a dict, short-form intrinsics (!Ref, !Sub...) in their long form."""
    from samtranslator.yaml_helper import yaml_parse

    try:
        return dict(yaml_parse(Path(path).read_text(encoding="utf-8")))
    except FileNotFoundError as error:
        raise UserError(f"template not found: {path}") from error


def _join(prefix: str, key: str) -> str:
    return f"{prefix.strip('/')}/{key}" if prefix.strip("/") else key


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
    on_message: Callable[[str], None] = field(default=lambda _text: None)
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
    on_message: Callable[[str], None] = lambda _text: None,
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


def deploy(
    session: Any,
    stack: str,
    *,
    region: str,
    template_path: Path = DEFAULT_TEMPLATE,
    bucket: str | None = None,
    prefix: str = "",
    parameters: dict[str, str] | None = None,
    on_event: EventCallback = lambda _event: None,
    on_message: Callable[[str], None] = lambda _text: None,
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
        "Parameters": stack_parameters(
            existing, parameters or {}, packaged.get("Parameters") or {}
        ),
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
    final = await_status(cfn, stack, stack_id, wanted, since, on_event, poll_seconds)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in final.get("Outputs") or []}
    if outputs.get("CodeBucket"):
        home = template_path.parent if (template_path.parent / "notebooks").is_dir() else None
        upload_notebooks(s3, outputs["CodeBucket"], home, on_message=on_message)
    return outputs


def delete(
    session: Any,
    stack: str,
    *,
    on_event: EventCallback = lambda _event: None,
    poll_seconds: float = 3.0,
) -> bool:
    """Delete the stack and wait until it is gone; False if there was none."""
    cfn = session.client("cloudformation")
    existing = describe(cfn, stack)
    if existing is None:
        return False
    since = time.time()
    cfn.delete_stack(StackName=existing["StackId"])
    await_status(cfn, stack, existing["StackId"], "DELETE_COMPLETE", since, on_event, poll_seconds)
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


__all__ = [
    "CAPABILITIES",
    "DEFAULT_ARCHITECTURE",
    "DEFAULT_RUNTIME",
    "DEFAULT_TEMPLATE",
    "LAMBDA_PLATFORMS",
    "REPO_ROOT",
    "REQUIREMENTS",
    "RUNTIME_PACKAGES",
    "EventCallback",
    "LambdaPlatform",
    "Packager",
    "PipRunner",
    "StackFailed",
    "UserError",
    "WheelBuilder",
    "build_function_zip",
    "build_wheel",
    "default_bucket",
    "default_cache_dir",
    "delete",
    "deploy",
    "describe",
    "ensure_bucket",
    "install_dependencies",
    "lambda_platform",
    "load_template",
    "package",
    "pip_arguments",
    "publish",
    "quick_create_url",
    "run_pip",
    "stream_events",
    "upload_notebooks",
    "upload_template",
]
