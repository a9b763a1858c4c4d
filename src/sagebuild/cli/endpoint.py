"""The endpoint: `rollback` to an earlier version, `invoke` it, `ask` the Alexa skill about it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sagebuild.cli.options import command_group, publish, target_of
from sagebuild.cli_support.render import console, err_console

app = command_group()


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
        message_id = publish(target, "RollbackTopic", message, "sagebuild rollback")
        console.print(f"rollback to {what} requested: message {message_id}")
        return
    target.output("RollbackTopic")  # no such output: say so before subscribing anything
    outcome = rollback_support.request_and_wait(
        target,
        lambda: publish(target, "RollbackTopic", message, "sagebuild rollback"),
        timeout,
        say=lambda line: err_console.print(line, markup=False, highlight=False, soft_wrap=True),
    )
    console.print(outcome.text(), markup=False, highlight=False, soft_wrap=True)
    if not outcome.done:
        raise typer.Exit(1)


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
