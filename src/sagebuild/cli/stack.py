"""The stack and what goes into it: `up`, `update`, `down`, `outputs`, `publish`, `init`,
`upload-code` and `upload-data`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from sagebuild.cli.options import (
    JSON_OUTPUT,
    STACK_PARAMETER,
    TEMPLATE,
    command_group,
    options_of,
    say,
    stack_parameters,
    target_of,
)
from sagebuild.cli.params import stored
from sagebuild.cli_support import project as project_file
from sagebuild.cli_support.aws import Target
from sagebuild.cli_support.errors import UserError
from sagebuild.cli_support.render import console, err_console, key_values, print_json

app = command_group()

DEFAULT_CODE_KEY = "scripts/source.tar.gz"

_BUCKET = Annotated[
    str | None,
    typer.Option(
        help="Bucket for the packaged code [default: sagebuild-artifacts-<account>-<region>]"
    ),
]
_PREFIX = Annotated[str, typer.Option(help="Key prefix [default: the stack name]")]


def _print_event(event: dict[str, Any]) -> None:
    status = event.get("ResourceStatus", "")
    style = (
        "red"
        if "FAILED" in status or "ROLLBACK" in status
        else ("green" if status.endswith("COMPLETE") else "")
    )
    reason = event.get("ResourceStatusReason") or ""
    when = event["Timestamp"].strftime("%H:%M:%S")
    console.print(
        f"{when} [{style}]{status:<28}[/{style}] " if style else f"{when} {status:<28} ",
        end="",
    )
    console.print(
        f"{event.get('ResourceType', ''):<36} {event.get('LogicalResourceId', '')}"
        + (f"  {reason}" if reason else ""),
        markup=False,
    )


def _deploy(
    ctx: typer.Context,
    template: Path | None,
    bucket: str | None,
    prefix: str,
    parameter: list[str] | None,
    as_json: bool,
) -> None:
    target = target_of(ctx)
    parameters = stack_parameters(options_of(ctx), parameter)
    from sagebuild import deployer

    template_path = template or deployer.DEFAULT_TEMPLATE
    if target.local:
        from sagebuild.local import deploy as local_deploy

        cfn, s3 = target.client("cloudformation"), target.client("s3")
        outputs = local_deploy.apply_stack(
            "create" if target.stack_description() is None else "update",
            target.stack,
            template_path,
            parameters,
            cfn=cfn,
            s3=s3,
        )
    else:
        outputs = deployer.deploy(
            target.session(),
            target.stack,
            region=target.region,
            template_path=template_path,
            bucket=bucket,
            prefix=prefix,
            parameters=parameters,
            on_event=(lambda _event: None) if as_json else _print_event,
            on_message=(lambda _message: None) if as_json else (lambda m: err_console.print(m)),
        )
    if as_json:
        print_json(outputs)
    else:
        console.print(f"stack {target.stack} is up {target.where}")
        console.print(key_values("Outputs", outputs))


def _deploy_command(name: str, help_text: str, *, must_exist: bool) -> None:
    """Register `name`: package the code, deploy, stream the stack events; with `must_exist`,
    refuse when there is no stack yet."""

    @app.command(name, help=help_text)
    def command(
        ctx: typer.Context,
        template: TEMPLATE = None,
        bucket: _BUCKET = None,
        prefix: _PREFIX = "",
        parameter: STACK_PARAMETER = None,
        as_json: JSON_OUTPUT = False,
    ) -> None:
        target = target_of(ctx)
        if must_exist and target.stack_description() is None:
            raise UserError(
                f"stack {target.stack} not found {target.where}; create it with: sagebuild up"
            )
        _deploy(ctx, template, bucket, prefix, parameter, as_json)


_deploy_command(
    "up",
    "Create (or update) the stack: package the code, deploy, stream the stack events.",
    must_exist=False,
)
_deploy_command("update", "Update the stack (same as `up` when it exists).", must_exist=True)


@app.command("down")
def down(ctx: typer.Context) -> None:
    """Delete the stack and wait until it is gone (what it created is emptied first)."""
    target = target_of(ctx)
    if target.local:
        from sagebuild.local import deploy as local_deploy

        if target.stack_description() is None:
            raise UserError(f"stack {target.stack} not found {target.where}")
        local_deploy.delete_stack(target.stack, cfn=target.client("cloudformation"))
        console.print(f"stack {target.stack} deleted {target.where}")
        return
    from sagebuild import deployer

    if not deployer.delete(target.session(), target.stack, on_event=_print_event):
        raise UserError(f"stack {target.stack} not found {target.where}")
    console.print(f"stack {target.stack} deleted {target.where}")


@app.command("outputs")
def outputs(ctx: typer.Context, as_json: JSON_OUTPUT = False) -> None:
    """The stack's outputs."""
    target = target_of(ctx)
    values = target.outputs()
    if as_json:
        print_json(values)
    else:
        console.print(key_values(f"Outputs of {target.stack} {target.where}", values))


@app.command("publish")
def publish(
    ctx: typer.Context,
    bucket: Annotated[str, typer.Option(help="Bucket for the template and code")],
    prefix: Annotated[str, typer.Option(help="Key prefix")] = "sagebuild",
    template: TEMPLATE = None,
    architecture: Annotated[
        str | None,
        typer.Option(help="x86_64 | arm64: the Lambda architecture the code is built for"),
    ] = None,
    as_json: JSON_OUTPUT = False,
) -> None:
    """Upload the packaged template and code; print the console's Launch Stack URL."""
    if architecture not in (None, "x86_64", "arm64"):
        raise UserError(f"--architecture must be x86_64 or arm64, not {architecture!r}")
    from sagebuild import deployer

    target = target_of(ctx)
    template_url, launch_url = deployer.publish(
        target.session() if not target.endpoint_url else _EndpointSession(target),
        region=target.region,
        bucket=bucket,
        prefix=prefix,
        stack=target.stack,
        template_path=template or deployer.DEFAULT_TEMPLATE,
        architecture=architecture,
    )
    if as_json:
        print_json({"template_url": template_url, "launch_stack_url": launch_url})
    else:
        console.print(f"template: {template_url}")
        console.print("Launch Stack:", launch_url, markup=False, soft_wrap=True)


class _EndpointSession:
    """A session-like object whose clients go to the target's endpoint URL."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def client(self, service_name: str) -> Any:
        return self.target.client(service_name)


# --- code and data -----------------------------------------------------------------------------


def bucket_trigger_on(target: Target) -> bool:
    """Whether the stack starts a run when data lands in its DataBucket (BucketTriggerBuild)."""
    stack = target.stack_description() or {}
    return any(
        p["ParameterKey"] == "BucketTriggerBuild" and p.get("ParameterValue") == "True"
        for p in stack.get("Parameters") or []
    )


def upload_code_dir(target: Target, directory: Path, key: str) -> str:
    """A script directory as a tar.gz at `key` in the CodeBucket; its S3 URI."""
    from sagebuild.session import source_tarball

    if not directory.is_dir():
        raise UserError(f"not a directory: {directory}")
    if not any(p.suffix == ".py" for p in directory.iterdir() if p.is_file()):
        raise UserError(f"no .py file in {directory}: nothing to train with")
    bucket = target.output("CodeBucket")
    target.client("s3").put_object(Bucket=bucket, Key=key, Body=source_tarball(directory))
    return f"s3://{bucket}/{key}"


def _data_files(path: Path, prefix: str) -> list[tuple[Path, str]]:
    prefix = prefix.strip("/")
    if path.is_file():
        return [(path, f"{prefix}/{path.name}" if prefix else path.name)]
    if not path.is_dir():
        raise UserError(f"no such file or directory: {path}")
    found = [
        (file, "/".join(x for x in (prefix, file.relative_to(path).as_posix()) if x))
        for file in sorted(path.rglob("*"))
        if file.is_file() and not any(part.startswith(".") for part in file.relative_to(path).parts)
    ]
    if not found:
        raise UserError(f"no file to upload in {path}")
    return found


def upload_data_files(target: Target, path: Path, prefix: str) -> list[str]:
    """A file, or every file under a directory, under `prefix` in the DataBucket; the URIs."""
    bucket = target.output("DataBucket")
    s3 = target.client("s3")
    uris = []
    for file, key in _data_files(path, prefix):
        s3.upload_file(str(file), bucket, key)
        uris.append(f"s3://{bucket}/{key}")
    return uris


@app.command("init")
def init(
    directory: Annotated[Path, typer.Argument(help="Project folder (created if missing)")] = Path(
        "."
    ),
    framework: Annotated[
        str, typer.Option(help="SCIKIT | XGBOOST | PYTORCH | BYOD", case_sensitive=False)
    ] = "SCIKIT",
    force: Annotated[bool, typer.Option(help="Overwrite the project files")] = False,
) -> None:
    """Scaffold a project: sagebuild.toml, a training script (or image), sample data."""
    written = project_file.scaffold(directory, framework, force=force)
    for path in written:
        console.print(f"wrote {path}")
    where = "" if directory == Path(".") else f"cd {directory} && "
    console.print(
        f"next: {where}sagebuild local up && sagebuild upload-code && sagebuild upload-data "
        "&& sagebuild start --wait"
    )


def _given_or_project(
    ctx: typer.Context,
    given: Path | None,
    default: Callable[[project_file.Project], Path | None],
    ask: str,
) -> Path:
    """`given`, else the project's `default` (sagebuild.toml); a UserError to `ask` for it."""
    project = options_of(ctx).project
    path = given or (default(project) if project else None)
    if path is None:
        raise UserError(f"{ask}, or run in a project: sagebuild init")
    return path


@app.command("upload-code")
def upload_code(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(help="Script directory (its .py and .txt files) [default: sagebuild.toml]"),
    ] = None,
    key: Annotated[str, typer.Option(help="Key in the CodeBucket")] = DEFAULT_CODE_KEY,
    as_json: JSON_OUTPUT = False,
) -> None:
    """Upload a training script directory as a tar.gz to the stack's CodeBucket."""
    directory = _given_or_project(
        ctx, directory, lambda project: project.code_dir, "name the script directory"
    )
    target = target_of(ctx)
    uri = upload_code_dir(target, directory, key)
    current = stored(target).get("trainsourcefile")
    if as_json:
        print_json({"uri": uri, "trainsourcefile": current, "in_use": current == uri})
        return
    say(f"uploaded {directory} to {uri}")
    if current != uri:
        say(
            f"the parameter document trains with {current or 'no script'}; to use this code: "
            f"sagebuild params set trainsourcefile={uri}",
        )


@app.command("upload-data")
def upload_data(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(help="A file, or a directory (every file in it) [default: sagebuild.toml]"),
    ] = None,
    prefix: Annotated[
        str | None,
        typer.Option(help="Key prefix in the DataBucket, e.g. train/iris [default: train]"),
    ] = None,
    as_json: JSON_OUTPUT = False,
) -> None:
    """Upload a data file or directory to the stack's DataBucket."""
    path = _given_or_project(
        ctx, path, lambda project: project.data_dir, "name the data file or directory"
    )
    project = options_of(ctx).project
    prefix = prefix or (project.data_prefix if project else None) or "train"
    target = target_of(ctx)
    uris = upload_data_files(target, path, prefix)
    if as_json:
        print_json({"uris": uris})
        return
    for uri in uris[:10]:
        say(f"uploaded {uri}")
    if len(uris) > 10:
        say(f"... and {len(uris) - 10} more ({len(uris)} files)")
    if bucket_trigger_on(target):
        say("the data bucket trigger is on: the upload starts a run")
