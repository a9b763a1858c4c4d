"""The `sagebuild` command line: the same commands against the local stack and against AWS.

Global options pick the target (`--local/--aws`, default: the local stack when its server is
running), the stack, region, profile and endpoint URL. Every known error (user mistakes, AWS
errors, missing credentials) is one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from sagebuild.cli_support import domain, graph, logs, runs, service
from sagebuild.cli_support import project as project_file
from sagebuild.cli_support.aws import Target, resolve_target, state_dir_default
from sagebuild.cli_support.errors import UserError, one_line
from sagebuild.cli_support.render import (
    console,
    duration,
    elapsed_since,
    err_console,
    failed_triggers_table,
    history_table,
    key_values,
    print_json,
    status_view,
)

ASL_PATH = domain.REPO_ROOT / "statemachine" / "pipeline.asl.json"
FINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


class _Group(TyperGroup):
    """Maps every known exception to one line on stderr and exit code 2."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.exceptions.TyperException):
            raise
        except Exception as error:
            line = one_line(error)
            if line is None:
                raise
            err_console.print(
                f"[red]error:[/red] {escape(line)}", soft_wrap=True, markup=True, highlight=False
            )
            raise typer.Exit(2) from None


def _typer(**kwargs: Any) -> typer.Typer:
    return typer.Typer(
        cls=_Group, no_args_is_help=True, pretty_exceptions_show_locals=False, **kwargs
    )


app = _typer(help="Continuous training and deployment for Amazon SageMaker models.")
local_app = _typer(help="The local stack (emulated AWS on 127.0.0.1) as a background service.")
params_app = _typer(help="The parameter document (SSM ParameterStore output).")
app.add_typer(local_app, name="local")
example_app = _typer(help="Make the stack ready to run an example.")
app.add_typer(params_app, name="params")
app.add_typer(example_app, name="example")


@dataclass
class Options:
    stack: str | None
    region: str | None
    profile: str | None
    endpoint_url: str | None
    local: bool | None
    state_dir: Path
    target: Target | None = None
    project: project_file.Project | None = None


@app.callback()
def main(
    ctx: typer.Context,
    stack: Annotated[
        str | None, typer.Option(help="Stack name [default: $SAGEBUILD_STACK or 'sagebuild']")
    ] = None,
    region: Annotated[str | None, typer.Option(help="AWS region")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile")] = None,
    endpoint_url: Annotated[str | None, typer.Option(help="Endpoint URL of every service")] = None,
    local: Annotated[
        bool | None,
        typer.Option(
            "--local/--aws",
            help="Local stack or AWS [default: local if the local stack is running]",
        ),
    ] = None,
    state_dir: Annotated[
        Path, typer.Option(help="State dir of the local stack", envvar="SAGEBUILD_STATE_DIR")
    ] = Path(".sagebuild/local"),
) -> None:
    ctx.obj = Options(
        stack, region, profile, endpoint_url, local, state_dir, project=project_file.load()
    )


def _options(ctx: typer.Context) -> Options:
    options = ctx.find_root().obj
    if not isinstance(options, Options):  # called without the root callback (tests)
        options = Options(None, None, None, None, None, state_dir_default())
        ctx.find_root().obj = options
    return options


def _project_region(options: Options) -> str | None:
    """sagebuild.toml's region, unless the environment names one (flags > env > file)."""
    if os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"):
        return None
    return options.project.region if options.project else None


def _stack_name(options: Options) -> str | None:
    """--stack, else $SAGEBUILD_STACK, else sagebuild.toml's [stack] name (None: default)."""
    project_stack = options.project.stack if options.project else None
    return options.stack or os.environ.get("SAGEBUILD_STACK") or project_stack


def target_of(ctx: typer.Context) -> Target:
    options = _options(ctx)
    if options.target is None:
        options.target = resolve_target(
            stack=_stack_name(options),
            region=options.region or _project_region(options),
            profile=options.profile,
            endpoint_url=options.endpoint_url,
            local=options.local,
            state_dir=options.state_dir,
        )
    return options.target


# --- parsing helpers -----------------------------------------------------------------------


MAX_VALUE_NESTING = 100  # a parameter value nests a few levels; JSON's parser recurses


class _NotFinite(ValueError):
    """A JSON number SageMaker cannot take (NaN, Infinity, beyond a float's range)."""


def _finite_float(token: str) -> float:
    number = float(token)
    if not math.isfinite(number):
        raise _NotFinite(token)
    return number


def _finite_int(token: str) -> int:
    try:
        number = int(token)
        float(number)
    except (ValueError, OverflowError):  # over 4300 digits, or beyond a float's range
        raise _NotFinite(f"{token[:20]}... ({len(token.lstrip('-'))} digits)") from None
    return number


def _not_a_number(token: str) -> Any:
    raise _NotFinite(token)


def _nesting(text: str) -> int:
    """How deep the brackets of a JSON text nest (outside strings), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _is_json(text: str) -> bool:
    """Whether `text` is JSON, whatever its numbers."""
    try:
        json.loads(text, parse_float=len, parse_int=len, parse_constant=len)
    except ValueError:
        return False
    return True


def parse_value(text: str) -> Any:
    """A `--set` value: JSON when it parses (numbers, true, objects...), else the string.

    Raises UserError (an "expected ..." sentence) for JSON that no parameter can hold: nested
    over `MAX_VALUE_NESTING` levels, or a number that is not finite (NaN, Infinity, 1e309)."""
    if text.lstrip()[:1] in ("[", "{") and (depth := _nesting(text)) > MAX_VALUE_NESTING:
        raise UserError(
            f"expected a value nested at most {MAX_VALUE_NESTING} levels deep, got {depth}"
        )
    try:
        return json.loads(
            text, parse_float=_finite_float, parse_int=_finite_int, parse_constant=_not_a_number
        )
    except _NotFinite as error:
        if not _is_json(text):  # "NaNa", "1e999x": strings that begin like a number
            return text
        raise UserError(f"expected finite numbers, got {error}") from None
    except RecursionError:
        raise UserError(
            f"expected a value nested at most {MAX_VALUE_NESTING} levels deep"
        ) from None
    except ValueError:
        return text


def parse_assignments(items: list[str] | None) -> dict[str, Any]:
    """`key=value` items → a dict (values via `parse_value`); raises UserError on a bad item,
    naming its key."""
    found: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"expected KEY=VALUE, got {item!r}")
        name = key.strip()
        try:
            found[name] = parse_value(value)
        except UserError as error:
            shown = name if name.isprintable() else repr(name)
            raise UserError(f"{shown}: {error}") from None
    return found


def launch_message(
    train: bool | None, overrides: dict[str, Any], reason: str | None
) -> dict[str, Any]:
    """The LaunchTopic message (see `domain.launch`)."""
    message: dict[str, Any] = {}
    if train is not None:
        message["train"] = train
    if overrides:
        message["overrides"] = overrides
    if reason:
        message["reason"] = reason
    return message


# --- local stack service -------------------------------------------------------------------


@local_app.command("up")
def local_up(
    ctx: typer.Context,
    template: Annotated[Path | None, typer.Option(help="SAM template to deploy")] = None,
    parameter: Annotated[
        list[str] | None, typer.Option(help="Stack parameter KEY=VALUE (repeatable)")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the stack")] = 300.0,
    no_template: Annotated[
        bool, typer.Option(help="Start emulated AWS only, deploy nothing")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Start the local stack in the background and deploy the template into it."""
    options = _options(ctx)
    stack = _stack_name(options) or _stack_default()
    parameters = _stack_parameters(options, parameter)
    if not as_json:
        err_console.print(f"starting the local stack ({options.state_dir}) ...")
    server, started = service.start_server(
        options.state_dir,
        stack,
        template=template,
        parameters=parameters,
        timeout=timeout,
        extra_args=["--no-template"] if no_template else None,
    )
    outputs = service.outputs(options.state_dir)
    if as_json:
        print_json(
            {
                "endpoint_url": server.endpoint_url,
                "pid": server.pid,
                "stack": server.stack,
                "started": started,
                "outputs": outputs,
            }
        )
        return
    console.print(
        f"local stack {'started' if started else 'already running'}: {server.endpoint_url} "
        f"(pid {server.pid}, stack {server.stack})"
    )
    if outputs:
        console.print(key_values("Outputs", outputs))


def _stack_default() -> str:
    from sagebuild.cli_support.aws import stack_default

    return stack_default()


def _stack_parameters(options: Options, items: list[str] | None) -> dict[str, str]:
    """--parameter KEY=VALUE pairs over sagebuild.toml's framework (ConfigFramework)."""
    found = {k: str(v) for k, v in _pairs(items).items()}
    if options.project and options.project.framework:
        found.setdefault("ConfigFramework", options.project.framework)
    return found


def _pairs(items: list[str] | None) -> dict[str, str]:
    found = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(f"expected KEY=VALUE, got {item!r}")
        found[key] = value
    return found


@local_app.command("down")
def local_down(ctx: typer.Context) -> None:
    """Stop the local stack (SIGTERM) and wait until it is gone."""
    state_dir = _options(ctx).state_dir
    if service.stop_server(state_dir):
        console.print("local stack stopped")
    else:
        console.print(f"the local stack is not running ({state_dir})")


@local_app.command("iam")
def local_iam(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="the whole ledger as JSON")] = False,
) -> None:
    """What each role did under the local stack's IAM: calls, resources, denials."""
    from sagebuild.cli_support import iam_report

    state_dir = _options(ctx).state_dir
    try:
        report = iam_report.fetch(state_dir)
    except iam_report.NoReport as error:
        err_console.print(str(error))
        raise typer.Exit(1) from None
    if as_json:
        print_json(report)
    else:
        console.print(iam_report.render(report))


@local_app.command("env")
def local_env(ctx: typer.Context) -> None:
    """Print `export` lines that point the AWS CLI, boto3 and the SageMaker SDK at the local
    stack: eval "$(sagebuild local env)"."""
    from sagebuild.cli_support.aws import LOCAL_REGION, read_server
    from sagebuild.cli_support.endpoint import env_lines

    options = _options(ctx)
    server = read_server(options.state_dir)
    endpoint_url = options.endpoint_url or (server.endpoint_url if server else None)
    if endpoint_url is None:
        raise UserError(
            f"the local stack is not running (no live server in {options.state_dir}); "
            "start it with: sagebuild local up"
        )
    for line in env_lines(endpoint_url, options.region or LOCAL_REGION):
        print(line)


@local_app.command("status")
def local_status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Whether the local stack is running, and where."""
    from sagebuild.cli_support.aws import read_server

    state_dir = _options(ctx).state_dir
    server = read_server(state_dir)
    if as_json:
        print_json(
            {
                "running": server is not None,
                "state_dir": str(state_dir),
                **(server.__dict__ if server else {}),
            }
        )
        return
    if server is None:
        console.print(f"the local stack is not running ({state_dir})")
    else:
        console.print(
            f"the local stack is running: {server.endpoint_url} "
            f"(pid {server.pid}, stack {server.stack})"
        )


# --- the stack -----------------------------------------------------------------------------


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
    parameters = _stack_parameters(_options(ctx), parameter)
    from sagebuild import deployer

    template_path = template or deployer.DEFAULT_TEMPLATE
    if target.local:
        from sagebuild.local import deploy as local_deploy

        cfn, s3 = target.client("cloudformation"), target.client("s3")
        if target.stack_description() is None:
            outputs = local_deploy.deploy_stack(
                target.stack, template_path, parameters, cfn=cfn, s3=s3
            )
        else:
            outputs = local_deploy.update_stack(
                target.stack, template_path, parameters, cfn=cfn, s3=s3
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
            on_event=(lambda e: None) if as_json else _print_event,
            on_message=(lambda m: None) if as_json else (lambda m: err_console.print(m)),
        )
    if as_json:
        print_json(outputs)
    else:
        console.print(f"stack {target.stack} is up {target.where}")
        console.print(key_values("Outputs", outputs))


_TEMPLATE = Annotated[Path | None, typer.Option(help="SAM template [default: template.yaml]")]
_BUCKET = Annotated[
    str | None,
    typer.Option(
        help="Bucket for the packaged code [default: sagebuild-artifacts-<account>-<region>]"
    ),
]
_PREFIX = Annotated[str, typer.Option(help="Key prefix [default: the stack name]")]
_PARAMETER = Annotated[
    list[str] | None, typer.Option(help="Stack parameter KEY=VALUE (repeatable)")
]
_JSON = Annotated[bool, typer.Option("--json", help="JSON output")]


@app.command("up")
def up(
    ctx: typer.Context,
    template: _TEMPLATE = None,
    bucket: _BUCKET = None,
    prefix: _PREFIX = "",
    parameter: _PARAMETER = None,
    as_json: _JSON = False,
) -> None:
    """Create (or update) the stack: package the code, deploy, stream the stack events."""
    _deploy(ctx, template, bucket, prefix, parameter, as_json)


@app.command("update")
def update(
    ctx: typer.Context,
    template: _TEMPLATE = None,
    bucket: _BUCKET = None,
    prefix: _PREFIX = "",
    parameter: _PARAMETER = None,
    as_json: _JSON = False,
) -> None:
    """Update the stack (same as `up` when it exists)."""
    if target_of(ctx).stack_description() is None:
        raise UserError(
            f"stack {target_of(ctx).stack} not found {target_of(ctx).where}; "
            "create it with: sagebuild up"
        )
    _deploy(ctx, template, bucket, prefix, parameter, as_json)


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
def outputs(ctx: typer.Context, as_json: _JSON = False) -> None:
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
    template: _TEMPLATE = None,
    architecture: Annotated[
        str | None,
        typer.Option(help="x86_64 | arm64: the Lambda architecture the code is built for"),
    ] = None,
    as_json: _JSON = False,
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


# --- code and data --------------------------------------------------------------------------

DEFAULT_CODE_KEY = "scripts/source.tar.gz"


def _say(text: str) -> None:
    """One line as is: no markup, no wrapping (URIs and commands stay copyable)."""
    console.print(text, markup=False, soft_wrap=True)


def _bucket_trigger_on(target: Target) -> bool:
    stack = target.stack_description() or {}
    return any(
        p["ParameterKey"] == "BucketTriggerBuild" and p.get("ParameterValue") == "True"
        for p in stack.get("Parameters") or []
    )


def _upload_code(target: Target, directory: Path, key: str) -> str:
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


def _upload_data(target: Target, path: Path, prefix: str) -> list[str]:
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


@app.command("upload-code")
def upload_code(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(help="Script directory (its .py and .txt files) [default: sagebuild.toml]"),
    ] = None,
    key: Annotated[str, typer.Option(help="Key in the CodeBucket")] = DEFAULT_CODE_KEY,
    as_json: _JSON = False,
) -> None:
    """Upload a training script directory as a tar.gz to the stack's CodeBucket."""
    project = _options(ctx).project
    directory = directory or (project.code_dir if project else None)
    if directory is None:
        raise UserError("name the script directory, or run in a project: sagebuild init")
    target = target_of(ctx)
    uri = _upload_code(target, directory, key)
    current = _stored(target).get("trainsourcefile")
    if as_json:
        print_json({"uri": uri, "trainsourcefile": current, "in_use": current == uri})
        return
    _say(f"uploaded {directory} to {uri}")
    if current != uri:
        _say(
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
    as_json: _JSON = False,
) -> None:
    """Upload a data file or directory to the stack's DataBucket."""
    project = _options(ctx).project
    path = path or (project.data_dir if project else None)
    if path is None:
        raise UserError("name the data file or directory, or run in a project: sagebuild init")
    prefix = prefix or (project.data_prefix if project else None) or "train"
    target = target_of(ctx)
    uris = _upload_data(target, path, prefix)
    if as_json:
        print_json({"uris": uris})
        return
    for uri in uris[:10]:
        _say(f"uploaded {uri}")
    if len(uris) > 10:
        _say(f"... and {len(uris) - 10} more ({len(uris)} files)")
    if _bucket_trigger_on(target):
        _say("the data bucket trigger is on: the upload starts a run")


IRIS_DATA_KEY = "train/iris/iris.csv"


@example_app.command("iris")
def example_iris(ctx: typer.Context, as_json: _JSON = False) -> None:
    """Make the stack ready to run the iris example (scikit-learn): code, data, parameters."""
    from sagebuild.examples import IRIS, iris_parameters

    target = target_of(ctx)
    if not (IRIS / "iris.csv").is_file():
        raise UserError(f"the iris example is not where the CLI expects it: {IRIS}")
    code = _upload_code(target, IRIS, DEFAULT_CODE_KEY)
    stored = _stored(target)
    config = domain.config()
    framework = str(stored.get("framework") or _stack_framework(target) or "")
    fresh = framework.strip().upper() != "SCIKIT"
    base = config.defaults_for("SCIKIT") if fresh else stored
    document = {**base, "framework": "SCIKIT", **iris_parameters(code)}
    problems = domain.validate(document, "SCIKIT")
    if problems:
        _refuse(problems)
    _save(target, document)
    data = _upload_data(target, IRIS / "iris.csv", IRIS_DATA_KEY.rsplit("/", 1)[0])
    if as_json:
        print_json({"code": code, "data": data, "parameters": document})
        return
    _say(f"uploaded the training script to {code}")
    _say(f"uploaded the iris data (150 rows) to {data[0]}")
    replaced = f" (replaced the {framework} settings)" if fresh and framework else ""
    _say(
        f"set the parameter document {_parameter_name(target)}: SCIKIT, train.py, "
        f"channel train/iris, max_depth=3, metric accuracy{replaced}"
    )
    if _bucket_trigger_on(target):
        _say("the data bucket trigger is on: the upload started a run")
    else:
        _say("ready: sagebuild start --wait")


# --- runs ----------------------------------------------------------------------------------


def _sfn(target: Target) -> tuple[Any, str]:
    return target.client("stepfunctions"), target.output("StateMachine")


def _publish(target: Target, topic_output: str, message: dict[str, Any], subject: str) -> str:
    topic = target.output(topic_output)
    response = target.client("sns").publish(
        TopicArn=topic, Message=json.dumps(message), Subject=subject
    )
    return str(response["MessageId"])


def _check_overrides(target: Target, overrides: dict[str, Any]) -> None:
    """Refuse (exit 2, nothing published) `--set` overrides that make the parameter document
    invalid: the run would merge them over the stored one (`domain.config.merge_overrides`)
    and Initialize Run would fail on the same problems."""
    document = {**_stored(target), **overrides}
    problems = domain.validate(document, _stack_framework(target))
    if problems:
        err_console.print("[red]error:[/red] invalid parameters with --set, nothing published:")
        for problem in problems:
            err_console.print(f"  - {problem}", markup=False)
        raise typer.Exit(2)


@app.command("start")
def start(
    ctx: typer.Context,
    train: Annotated[
        bool | None, typer.Option("--train/--no-train", help="Train, or deploy the last artifact")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override KEY=VALUE for this run (JSON values; repeatable)"),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why (shown in notifications)")] = None,
    wait: Annotated[
        bool, typer.Option(help="Follow the run until it ends (exit 0 succeeded, 1 not)")
    ] = False,
    as_json: _JSON = False,
) -> None:
    """Start a run: publish to the LaunchTopic (sagebuild.toml's [parameters], then --set)."""
    project = _options(ctx).project
    overrides = {**(project.parameters if project else {}), **parse_assignments(set_)}
    target = target_of(ctx)
    if overrides:
        _check_overrides(target, overrides)
    message = launch_message(train, overrides, reason)
    if wait:
        _sfn(target)  # no StateMachine output: say so before publishing
    started = datetime.now(UTC)
    message_id = _publish(target, "LaunchTopic", message, "sagebuild start")
    if as_json and not wait:
        print_json({"message_id": message_id, "message": message})
        return
    if not as_json:
        console.print(f"published to the LaunchTopic: message {message_id}")
    if wait:
        execution = _find_run(target, message_id, started, quiet=as_json)
        raise typer.Exit(_follow(target, execution, as_json))


def _find_run(
    target: Target,
    message_id: str,
    since: datetime,
    timeout: float = 120.0,
    poll: float = 0.5,
    quiet: bool = False,
) -> str:
    """The execution the Launch function started for `message_id`.

    Launch names it `sns-<message id>`, or `queued-<message id of the last trigger>` when it
    coalesced the triggers that waited behind a run; a `queued-` run that starts after the
    message was sent includes ours. While an older run is still running the message waits in
    the queue, so the timeout only counts once nothing older runs.
    """
    sfn, machine = _sfn(target)
    marker = domain.naming().sanitise(message_id)
    earliest = since - timedelta(seconds=2)
    deadline = time.monotonic() + timeout
    said = False
    while True:
        listed = runs.list_runs(sfn, machine, limit=20)
        for item in listed:
            if marker and marker[:40] in item["name"]:
                return str(item["executionArn"])
        for item in listed:
            start_date = item.get("startDate")
            if (
                item["name"].startswith("queued-")
                and isinstance(start_date, datetime)
                and start_date >= earliest
            ):
                return str(item["executionArn"])
        older = [
            item
            for item in listed
            if item.get("status") == "RUNNING"
            and isinstance(item.get("startDate"), datetime)
            and item["startDate"] < earliest
        ]
        if older:
            deadline = time.monotonic() + timeout
            if not said and not quiet:
                err_console.print(
                    f"queued behind {older[0]['name']}: it starts when that run ends",
                    markup=False,
                )
                said = True
        elif time.monotonic() > deadline:
            raise UserError(
                f"no run started for message {message_id} within {timeout:.0f} s "
                "(see the notifications on the TrainStatusTopic, or: sagebuild history)"
            )
        time.sleep(poll)


def run_view(target: Target, execution: str) -> dict[str, Any]:
    """What `sagebuild status` shows about one run."""
    sfn = target.client("stepfunctions")
    described = sfn.describe_execution(executionArn=execution)
    events = runs.history_events(sfn, execution)
    path = runs.path_of(events, described["status"])
    document = runs.state_document(events) or {}
    run = document.get("run") or {}
    trigger = run.get("trigger") or {}
    view: dict[str, Any] = {
        "run": described["name"],
        "execution_arn": execution,
        "status": described["status"],
        "run_number": run.get("run_number"),
        "version": (document.get("deployment") or {}).get("version") or None,
        "elapsed_seconds": elapsed_since(described.get("startDate"), described.get("stopDate")),
        "trigger": f"{trigger.get('source', '')}: {trigger.get('detail', '')}" if trigger else "",
        "current_state": path.current,
        "path": path.entered,
        "failed_states": sorted(path.failed),
        "job": None,
        "metric": runs.latest_metric(document),
        "error": "",
        "cause": "",
    }
    active = runs.active_job(document)
    if described["status"] == "RUNNING":
        if active:
            view["job"] = runs.job_status(target, *active)
            view["metric"] = view["job"].get("metric") or view["metric"]
    else:
        last = runs.finished_job(document)
        if last:
            key, job = last
            view["job"] = {
                "kind": key,
                "name": job.get("name", ""),
                "status": job.get("status", ""),
                "detail": _first_line(job.get("reason", "")),
            }
        if described["status"] != "SUCCEEDED":
            view["error"], cause = runs.error_of(document, described)
            view["cause"] = cause[:4000]
    return view


def _first_line(text: Any, width: int = 100) -> str:
    lines = str(text or "").strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _follow(target: Target, execution: str, as_json: bool, interval: float = 1.0) -> int:
    """Follow a run until it ends; 0 if it succeeded, else 1."""
    view = run_view(target, execution)
    if as_json:
        while view["status"] == "RUNNING":
            time.sleep(interval)
            view = run_view(target, execution)
        print_json(view)
    elif console.is_terminal:
        from rich.live import Live

        with Live(status_view(view), console=console, refresh_per_second=4) as live:
            while view["status"] == "RUNNING":
                time.sleep(interval)
                view = run_view(target, execution)
                live.update(status_view(view))
    else:  # a log, not a screen: one line per state entered, then the summary
        console.print(f"following {view['run']}", markup=False)
        shown = 0
        while True:
            for name in view["path"][shown:]:
                console.print(f"  → {name}", markup=False)
            shown = len(view["path"])
            if view["status"] != "RUNNING":
                break
            time.sleep(interval)
            view = run_view(target, execution)
        console.print(status_view(view))
    return 0 if view["status"] == "SUCCEEDED" else 1


@app.command("status")
def status(
    ctx: typer.Context,
    run: Annotated[
        str | None, typer.Option(help="Execution name or ARN [default: current]")
    ] = None,
    watch: Annotated[bool, typer.Option(help="Refresh until the run ends (exit 0/1)")] = False,
    as_json: _JSON = False,
) -> None:
    """The current (or latest) run: state, path, elapsed time, the job's own status."""
    target = target_of(ctx)
    sfn, machine = _sfn(target)
    execution = runs.resolve_run(sfn, machine, run)
    if watch:
        raise typer.Exit(_follow(target, execution, as_json))
    view = run_view(target, execution)
    if as_json:
        print_json(view)
    else:
        console.print(status_view(view))


def _waiting_approval(target: Target) -> tuple[Any, str, str]:
    """(client, run name, task token) of the run that waits for approval."""
    sfn, machine = _sfn(target)
    for item in runs.list_runs(sfn, machine, limit=100):
        if item["status"] != "RUNNING":
            continue
        token = runs.approval_token(runs.history_events(sfn, item["executionArn"]))
        if token:
            return sfn, item["name"], token
    raise UserError("no run is waiting for approval (see: sagebuild status)")


def _approver() -> str:
    import getpass

    return os.environ.get("SAGEBUILD_APPROVER") or getpass.getuser()


@app.command("approve")
def approve(ctx: typer.Context) -> None:
    """Approve the version that waits in Request Approval: it is deployed."""
    sfn, name, token = _waiting_approval(target_of(ctx))
    answer = {"approved": True, "by": _approver(), "at": datetime.now(UTC).isoformat()}
    sfn.send_task_success(taskToken=token, output=json.dumps(answer))
    console.print(f"approved {name} as {answer['by']}: it deploys now")


@app.command("reject")
def reject(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(help="Why (goes into the failure notification)")] = "",
) -> None:
    """Reject the version that waits in Request Approval: it is not deployed."""
    sfn, name, token = _waiting_approval(target_of(ctx))
    who = _approver()
    cause = f"rejected by {who}" + (f": {reason}" if reason else "")
    sfn.send_task_failure(taskToken=token, error="ApprovalRejected", cause=cause)
    console.print(f"rejected {name}: {cause}")


@app.command("stop")
def stop(
    ctx: typer.Context,
    timeout: Annotated[
        int, typer.Option(help="Seconds to wait for its jobs to stop (0: do not wait)")
    ] = 600,
) -> None:
    """Stop the running run and wait until its training job, builds and hooks have stopped."""
    target = target_of(ctx)
    sfn, machine = _sfn(target)
    running = [r for r in runs.list_runs(sfn, machine, limit=100) if r["status"] == "RUNNING"]
    if not running:
        console.print("no run in progress: nothing to stop")
        return
    for item in running:
        document = runs.state_document(runs.history_events(sfn, item["executionArn"])) or {}
        sfn.stop_execution(
            executionArn=item["executionArn"],
            error="sagebuild.Stopped",
            cause="stopped with sagebuild stop",
        )
        console.print(f"stopped {item['name']}")
        if timeout <= 0:
            continue
        work = runs.run_work(document)
        left = runs.wait_stopped(target, work, timeout)
        for line in runs.describe_work(target, work):
            console.print(f"  {line}")
        if left:
            raise UserError(
                f"still running after {timeout} s: {', '.join(left)}; "
                "check again with: sagebuild status"
            )


@app.command("history")
def history(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many runs")] = 20,
    failed_triggers: Annotated[
        bool,
        typer.Option(
            "--failed-triggers",
            help="Triggers that started no run: rejected messages and dead-lettered events",
        ),
    ] = False,
    as_json: _JSON = False,
) -> None:
    """Past runs: run number, version, status, duration, trigger, metrics, endpoint config."""
    target = target_of(ctx)
    if failed_triggers:
        found = runs.failed_triggers(target, limit)
        empty = "no failed trigger: every trigger started a run or waits for one"
        _show_rows(found, as_json, empty, failed_triggers_table)
        return
    sfn, machine = _sfn(target)
    rows = [runs.run_row(sfn, item) for item in runs.list_runs(sfn, machine, limit=limit)]
    _show_rows(rows, as_json, "no run yet: start one with: sagebuild start", history_table)


def _show_rows(rows: list[dict[str, Any]], as_json: bool, empty: str, table: Any) -> None:
    if as_json:
        print_json(rows)
    elif not rows:
        console.print(empty)
    else:
        console.print(table(rows, console.width))


@app.command("logs")
def logs_command(
    ctx: typer.Context,
    run: Annotated[
        str | None, typer.Option(help="Execution name or ARN [default: current]")
    ] = None,
    kind: Annotated[str, typer.Option(help="training | build | steps")] = "training",
) -> None:
    """The logs of a run's training job, image builds or steps."""
    if kind not in logs.KINDS:
        raise UserError(f"--kind must be one of {', '.join(logs.KINDS)}, not {kind!r}")
    target = target_of(ctx)
    sfn, machine = _sfn(target)
    execution = runs.resolve_run(sfn, machine, run)
    events = runs.history_events(sfn, execution)
    document = runs.state_document(events) or {}
    if kind == "training":
        name = (document.get("training") or {}).get("name", "")
        if not name:
            raise UserError("this run has no training job")
        text = (
            logs.local_training_log(target.state_dir, name)
            if target.local
            else logs.cloudwatch_training_log(target.client("logs"), name)
        )
    elif kind == "build":
        names = [
            (document.get(k) or {}).get("name", "")
            for k in ("training_image_build", "inference_image_build")
        ]
        names = [n for n in names if n]
        if not names:
            raise UserError("this run built no image")
        project = "" if target.local else target.output("ImageBuildProject")
        text = "\n".join(
            f"== {n}\n"
            + (
                logs.local_build_log(target.state_dir, n)
                if target.local
                else logs.cloudwatch_build_log(target.client("logs"), project, n)
            )
            for n in names
        )
    else:
        text = _timeline(events)
        if target.local:
            text += (
                f"\n(the step functions' own output is in the local server's log: "
                f"{target.state_dir / service.LOG_FILE})"
            )
        else:
            start_date = sfn.describe_execution(executionArn=execution).get("startDate")
            text += "\n" + logs.cloudwatch_step_logs(
                target.client("logs"), _stack_functions(target), start_date
            )
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _timeline(events: list[dict[str, Any]]) -> str:
    lines = []
    for event in events:
        kind = event.get("type", "")
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {}) or {}
        when = (
            event["timestamp"].strftime("%H:%M:%S")
            if isinstance(event.get("timestamp"), datetime)
            else ""
        )
        if kind.endswith("StateEntered"):
            lines.append(f"{when} → {details.get('name', '')}")
        elif "Failed" in kind or "TimedOut" in kind or kind == "ExecutionAborted":
            cause = str(details.get("cause", ""))[:300]
            lines.append(f"{when} ✗ {kind}: {details.get('error', '')} {cause}".rstrip())
        elif kind in ("ExecutionSucceeded",):
            lines.append(f"{when} ✓ {kind}")
    return "\n".join(lines)


def _stack_functions(target: Target) -> list[str]:
    cfn = target.client("cloudformation")
    found = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=target.stack):
        found += [
            r["PhysicalResourceId"]
            for r in page["StackResourceSummaries"]
            if r["ResourceType"] == "AWS::Lambda::Function"
        ]
    return found


# --- parameters ----------------------------------------------------------------------------


def _parameter_name(target: Target) -> str:
    return target.output("ParameterStore")


def _stored(target: Target) -> dict[str, Any]:
    value = target.client("ssm").get_parameter(Name=_parameter_name(target))["Parameter"]["Value"]
    try:
        document = json.loads(value) if value.strip() else {}
    except ValueError as error:
        raise UserError(f"the stored parameter document is not JSON: {error}") from error
    except RecursionError:
        raise UserError(
            "the stored parameter document nests JSON too deeply to read; "
            "set a new one with: sagebuild params set (or params edit)"
        ) from None
    if not isinstance(document, dict):
        raise UserError("the stored parameter document is not a JSON object")
    return document


def _stack_framework(target: Target) -> str | None:
    stack = target.stack_description() or {}
    for parameter in stack.get("Parameters") or []:
        if parameter["ParameterKey"] == "ConfigFramework":
            return str(parameter.get("ParameterValue") or "") or None
    return None


def _refuse(problems: list[str]) -> None:
    err_console.print("[red]error:[/red] invalid parameters, nothing saved:")
    for problem in problems:
        err_console.print(f"  - {problem}", markup=False)
    raise typer.Exit(2)


def _save(target: Target, document: dict[str, Any]) -> None:
    """Overwrite the document (Advanced tier when it needs over 4,096 characters)."""
    request = domain.parameter_request(_parameter_name(target), document)
    target.client("ssm").put_parameter(**request)
    if request.get("Tier") == "Advanced":
        console.print(
            "the document is over 4,096 characters: saved as an Advanced parameter "
            "(Advanced parameters are charged; see docs/configuration.md)"
        )


@params_app.command("get")
def params_get(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Argument(help="One key [default: the whole document]")] = None,
) -> None:
    """Print the parameter document (or one key) as JSON."""
    document = _stored(target_of(ctx))
    if key is not None:
        if key not in document:
            raise UserError(f"no key {key!r} in the parameter document")
        print_json(document[key])
    else:
        print_json(document)


@params_app.command("set")
def params_set(
    ctx: typer.Context,
    assignments: Annotated[list[str], typer.Argument(help="KEY=VALUE (JSON values)")],
) -> None:
    """Change keys of the parameter document; refused (nothing saved) if it would be invalid."""
    changes = parse_assignments(assignments)
    target = target_of(ctx)
    document = {**_stored(target), **changes}
    problems = domain.validate(document, _stack_framework(target))
    if problems:
        _refuse(problems)
    _save(target, document)
    console.print(f"saved {', '.join(changes)} to {_parameter_name(target)}")


@params_app.command("validate")
def params_validate(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="JSON file [default: the stored one]")] = None,
    framework: Annotated[
        str | None, typer.Option(help="Framework when the document has none [default: the stack's]")
    ] = None,
) -> None:
    """Check a parameter document against the schema; every problem on its own line."""
    if file is not None:
        try:
            document = json.loads(Path(file).read_text())
        except OSError as error:
            raise UserError(f"cannot read {file}: {error.strerror}") from error
        except ValueError as error:
            raise UserError(f"{file} is not JSON: {error}") from error
        except RecursionError:
            raise UserError(f"{file} is not a parameter document: nested too deeply") from None
    else:
        document = _stored(target_of(ctx))
    if framework is None and not (isinstance(document, dict) and document.get("framework")):
        framework = _stack_framework(target_of(ctx))
    problems = domain.validate(document, framework)
    if problems:
        err_console.print("[red]error:[/red] invalid parameters:")
        for problem in problems:
            err_console.print(f"  - {problem}", markup=False)
        raise typer.Exit(2)
    console.print("the parameter document is valid")


def edit_text(text: str) -> str:
    """Open $VISUAL/$EDITOR (else vi) on `text` in a .json file; the text after it exits."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="sagebuild-params-") as directory:
        path = Path(directory) / "parameters.json"
        path.write_text(text, encoding="utf-8")
        try:
            code = subprocess.call([*shlex.split(editor), str(path)])  # noqa: S603
        except OSError as error:
            raise UserError(f"cannot run the editor {editor!r}: {error.strerror}") from error
        if code != 0:
            raise UserError(f"the editor {editor!r} exited with {code}; nothing saved")
        return path.read_text(encoding="utf-8")


@params_app.command("edit")
def params_edit(ctx: typer.Context) -> None:
    """Edit the parameter document in $EDITOR; saved only if it is valid JSON and valid."""
    target = target_of(ctx)
    before = json.dumps(_stored(target), indent=2, sort_keys=True) + "\n"
    after = edit_text(before)
    if after == before:
        console.print("no change")
        return
    try:
        document = json.loads(after)
    except ValueError as error:
        raise UserError(f"not JSON, nothing saved: {error}") from error
    except RecursionError:
        raise UserError("nested too deeply to read, nothing saved") from None
    problems = domain.validate(document, _stack_framework(target))
    if problems:
        _refuse(problems)
    _save(target, document)
    console.print(f"saved {_parameter_name(target)}")


# --- rollback and graph --------------------------------------------------------------------


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    to: Annotated[
        int | None, typer.Option(help="Version to roll back to [default: previous]")
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Wait for the outcome (exit 0 rolled back, 1 refused) or only publish",
        ),
    ] = True,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the outcome and the endpoint update")
    ] = 900.0,
) -> None:
    """Roll the endpoint back: publish to the RollbackTopic, then print what became of it."""
    from sagebuild.cli_support import rollback as rollback_support

    target = target_of(ctx)
    message = {} if to is None else {"version": to}
    what = f"version {to}" if to is not None else "the previous version"
    if not wait:
        message_id = _publish(target, "RollbackTopic", message, "sagebuild rollback")
        console.print(f"rollback to {what} requested: message {message_id}")
        return
    target.output("RollbackTopic")  # no such output: say so before subscribing anything
    outcome = rollback_support.request_and_wait(
        target,
        lambda: _publish(target, "RollbackTopic", message, "sagebuild rollback"),
        timeout,
        say=lambda line: err_console.print(line, markup=False, highlight=False, soft_wrap=True),
    )
    console.print(outcome.text(), markup=False, highlight=False, soft_wrap=True)
    if not outcome.done:
        raise typer.Exit(1)


# --- the endpoint --------------------------------------------------------------------------


@app.command("invoke")
def invoke_command(
    ctx: typer.Context,
    file: Annotated[
        Path | None, typer.Option("--file", help="Request body from this file ('-': stdin)")
    ] = None,
    body: Annotated[str | None, typer.Option("--body", help="Request body as text")] = None,
    content_type: Annotated[
        str, typer.Option(help="Content type of the request body")
    ] = "text/csv",
    accept: Annotated[
        str | None, typer.Option(help="Content type wanted (default: the model's own)")
    ] = None,
) -> None:
    """InvokeEndpoint on the stack's endpoint; print the answer's body."""
    from sagebuild.cli_support import endpoint

    payload = endpoint.request_body(file, body)
    answer, _kind = endpoint.invoke(target_of(ctx), payload, content_type, accept)
    typer.echo(answer, nl=False)
    if sys.stdout.isatty() and not answer.endswith(b"\n"):
        typer.echo("")  # a prompt on a line of its own; a pipe gets the body as it is


@app.command("ask")
def ask_command(
    ctx: typer.Context,
    question: Annotated[
        str, typer.Argument(help="start | stop | status | details | info | last | rollback | help")
    ],
    version: Annotated[
        int | None, typer.Option(help="With rollback: the version to go back to")
    ] = None,
) -> None:
    """Ask the stack's Alexa skill, as Alexa would (a real request to the skill function)."""
    from sagebuild.cli_support.alexa import ask

    target = target_of(ctx)
    console.print(ask(target.client("lambda"), target.output("AlexaLambdaArn"), question, version))


@app.command("graph")
def graph_command(
    ctx: typer.Context,
    run: Annotated[
        str | None, typer.Option(help="Colour this run's path (execution name or ARN, or 'latest')")
    ] = None,
    format_: Annotated[
        str | None,
        typer.Option("--format", help="mermaid | html [default: html if -o ends in .html]"),
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write")] = None,
    definition: Annotated[
        Path | None,
        typer.Option(help="ASL file [default: the deployed one with --run, else statemachine/]"),
    ] = None,
) -> None:
    """The pipeline as Mermaid or a standalone HTML page (SVG), a run's path coloured."""
    kind = format_ or ("html" if output and output.suffix in (".html", ".htm") else "mermaid")
    if kind not in ("mermaid", "html"):
        raise UserError(f"--format must be mermaid or html, not {kind!r}")
    path = None
    asl: dict[str, Any] | None = None
    title = "sagebuild pipeline"
    if definition is not None:
        asl = _read_asl(definition)
    if run is not None:
        target = target_of(ctx)
        sfn, machine = _sfn(target)
        execution = runs.resolve_run(sfn, machine, None if run == "latest" else run)
        described = sfn.describe_execution(executionArn=execution)
        events = runs.history_events(sfn, execution)
        path = runs.path_of(events, described["status"])
        title = f"sagebuild pipeline — {described['name']}{runs.numbers_text(events)}"
        if asl is None:
            asl = json.loads(sfn.describe_state_machine(stateMachineArn=machine)["definition"])
    if asl is None:
        asl = _read_asl(ASL_PATH)
    text = (
        (f"%% {title}\n" if run else "") + graph.to_mermaid(asl, path)
        if kind == "mermaid"
        else graph.to_html(asl, path, title=title)
    )
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


def _read_asl(path: Path) -> dict[str, Any]:
    try:
        asl = json.loads(Path(path).read_text())
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from error
    except ValueError as error:
        raise UserError(f"{path} is not JSON: {error}") from error
    if not isinstance(asl, dict) or not isinstance(asl.get("States"), dict):
        raise UserError(f"{path} is not a state machine definition (no States)")
    return asl


__all__ = ["app", "launch_message", "parse_assignments", "parse_value", "run_view", "duration"]
