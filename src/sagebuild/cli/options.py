"""What every command group shares: the Typer app that turns known errors into one line, the
global options (`--local/--aws`, `--stack`, `--region`, ...) and the target they pick, the
options several commands take, and publishing to one of the stack's topics.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from sagebuild.cli_support import project as project_file
from sagebuild.cli_support.aws import Target, resolve_target, stack_default, state_dir_default
from sagebuild.cli_support.errors import UserError, one_line
from sagebuild.cli_support.render import console, err_console


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


def command_group(**kwargs: Any) -> typer.Typer:
    """A Typer app whose known errors are one line and exit code 2 (see `_Group`)."""
    return typer.Typer(
        cls=_Group, no_args_is_help=True, pretty_exceptions_show_locals=False, **kwargs
    )


# --- options several commands take -------------------------------------------------------------

JSON_OUTPUT = Annotated[bool, typer.Option("--json", help="JSON output")]
TEMPLATE = Annotated[Path | None, typer.Option(help="SAM template [default: template.yaml]")]
STACK_PARAMETER = Annotated[
    list[str] | None, typer.Option(help="Stack parameter KEY=VALUE (repeatable)")
]
RUN = Annotated[str | None, typer.Option(help="Execution name or ARN [default: current]")]


# --- the global options and the target ---------------------------------------------------------


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
    """The root callback: the global options, and sagebuild.toml when there is one."""
    ctx.obj = Options(
        stack, region, profile, endpoint_url, local, state_dir, project=project_file.load()
    )


def options_of(ctx: typer.Context) -> Options:
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


def stack_name(options: Options) -> str | None:
    """--stack, else $SAGEBUILD_STACK, else sagebuild.toml's [stack] name (None: default)."""
    project_stack = options.project.stack if options.project else None
    return options.stack or os.environ.get("SAGEBUILD_STACK") or project_stack


def stack_name_or_default(options: Options) -> str:
    return stack_name(options) or stack_default()


def target_of(ctx: typer.Context) -> Target:
    """The target the global options pick (resolved once per command)."""
    options = options_of(ctx)
    if options.target is None:
        options.target = resolve_target(
            stack=stack_name(options),
            region=options.region or _project_region(options),
            profile=options.profile,
            endpoint_url=options.endpoint_url,
            local=options.local,
            state_dir=options.state_dir,
        )
    return options.target


def stack_parameters(options: Options, items: list[str] | None) -> dict[str, str]:
    """--parameter KEY=VALUE pairs over sagebuild.toml's framework (ConfigFramework)."""
    found: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(f"expected KEY=VALUE, got {item!r}")
        found[key] = value
    if options.project and options.project.framework:
        found.setdefault("ConfigFramework", options.project.framework)
    return found


# --- the stack's topics and state machine ------------------------------------------------------


def publish(target: Target, topic_output: str, message: dict[str, Any], subject: str) -> str:
    """Publish `message` as JSON to the topic of the stack output `topic_output`; its id."""
    topic = target.output(topic_output)
    response = target.client("sns").publish(
        TopicArn=topic, Message=json.dumps(message), Subject=subject
    )
    return str(response["MessageId"])


def state_machine(target: Target) -> tuple[Any, str]:
    """(Step Functions client, the StateMachine output)."""
    return target.client("stepfunctions"), target.output("StateMachine")


def say(text: str) -> None:
    """One line as is: no markup, no wrapping (URIs and commands stay copyable)."""
    console.print(text, markup=False, soft_wrap=True)
