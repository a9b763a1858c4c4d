"""`sagebuild graph`: the pipeline as Mermaid or a standalone HTML page, a run's path coloured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sagebuild.cli.options import command_group, state_machine, target_of
from sagebuild.cli_support import domain, following, graph, runs
from sagebuild.cli_support.errors import UserError, read_json
from sagebuild.cli_support.render import console

app = command_group()

ASL_PATH = domain.REPO_ROOT / "statemachine" / "pipeline.asl.json"


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
        sfn, machine = state_machine(target)
        execution = runs.resolve_run(sfn, machine, None if run == "latest" else run)
        seen = following.look(sfn, execution)
        path = seen.path
        title = f"sagebuild pipeline — {seen.described['name']}{runs.numbers_text(seen.events)}"
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
    asl = read_json(path, "a state machine definition")
    if not isinstance(asl, dict) or not isinstance(asl.get("States"), dict):
        raise UserError(f"{path} is not a state machine definition (no States)")
    return asl
