"""`sagebuild local ...`: the local stack (emulated AWS on 127.0.0.1) as a background service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sagebuild.cli.options import (
    JSON_OUTPUT,
    STACK_PARAMETER,
    command_group,
    options_of,
    stack_name_or_default,
    stack_parameters,
)
from sagebuild.cli_support import service
from sagebuild.cli_support.errors import UserError
from sagebuild.cli_support.render import console, err_console, key_values, print_json

app = command_group(help="The local stack (emulated AWS on 127.0.0.1) as a background service.")


@app.command("up")
def local_up(
    ctx: typer.Context,
    template: Annotated[Path | None, typer.Option(help="SAM template to deploy")] = None,
    parameter: STACK_PARAMETER = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the stack")] = 300.0,
    no_template: Annotated[
        bool, typer.Option(help="Start emulated AWS only, deploy nothing")
    ] = False,
    as_json: JSON_OUTPUT = False,
) -> None:
    """Start the local stack in the background and deploy the template into it."""
    options = options_of(ctx)
    stack = stack_name_or_default(options)
    parameters = stack_parameters(options, parameter)
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


@app.command("down")
def local_down(ctx: typer.Context) -> None:
    """Stop the local stack (SIGTERM) and wait until it is gone."""
    state_dir = options_of(ctx).state_dir
    if service.stop_server(state_dir):
        console.print("local stack stopped")
    else:
        console.print(f"the local stack is not running ({state_dir})")


@app.command("iam")
def local_iam(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="the whole ledger as JSON")] = False,
) -> None:
    """What each role did under the local stack's IAM: calls, resources, denials."""
    from sagebuild.cli_support import iam_report

    state_dir = options_of(ctx).state_dir
    try:
        report = iam_report.fetch(state_dir)
    except iam_report.NoReport as error:
        err_console.print(str(error))
        raise typer.Exit(1) from None
    if as_json:
        print_json(report)
    else:
        console.print(iam_report.render(report))


@app.command("env")
def local_env(ctx: typer.Context) -> None:
    """Print `export` lines that point the AWS CLI, boto3 and the SageMaker SDK at the local
    stack: eval "$(sagebuild local env)"."""
    from sagebuild.cli_support.aws import LOCAL_REGION, read_server
    from sagebuild.cli_support.endpoint import env_lines

    options = options_of(ctx)
    server = read_server(options.state_dir)
    endpoint_url = options.endpoint_url or (server.endpoint_url if server else None)
    if endpoint_url is None:
        raise UserError(
            f"the local stack is not running (no live server in {options.state_dir}); "
            "start it with: sagebuild local up"
        )
    for line in env_lines(endpoint_url, options.region or LOCAL_REGION):
        print(line)


@app.command("status")
def local_status(ctx: typer.Context, as_json: JSON_OUTPUT = False) -> None:
    """Whether the local stack is running, and where."""
    from sagebuild.cli_support.aws import read_server

    state_dir = options_of(ctx).state_dir
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
