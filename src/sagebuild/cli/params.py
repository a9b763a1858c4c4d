"""`sagebuild params ...`: the parameter document (the stack's ParameterStore output), and the
reading, checking and saving of it that other commands share (`start --set`, `example`,
`upload-code`).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from sagebuild.cli.options import command_group, target_of
from sagebuild.cli.values import parse_assignments
from sagebuild.cli_support import domain
from sagebuild.cli_support.aws import Target
from sagebuild.cli_support.errors import UserError, read_json
from sagebuild.cli_support.render import console, err_console, print_json

app = command_group(help="The parameter document (SSM ParameterStore output).")


# --- the stored document -----------------------------------------------------------------------


def parameter_name(target: Target) -> str:
    return target.output("ParameterStore")


def stored(target: Target) -> dict[str, Any]:
    """The stored parameter document; a UserError when it is not a JSON object."""
    value = target.client("ssm").get_parameter(Name=parameter_name(target))["Parameter"]["Value"]
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


def stack_framework(target: Target) -> str | None:
    """The stack's ConfigFramework parameter (the framework of a document that has none)."""
    stack = target.stack_description() or {}
    for parameter in stack.get("Parameters") or []:
        if parameter["ParameterKey"] == "ConfigFramework":
            return str(parameter.get("ParameterValue") or "") or None
    return None


def problems_exit(heading: str, problems: list[str]) -> NoReturn:
    """`heading` and every problem on its own line on stderr; exit code 2."""
    err_console.print(f"[red]error:[/red] {heading}:")
    for problem in problems:
        err_console.print(f"  - {problem}", markup=False)
    raise typer.Exit(2)


def refuse(problems: list[str]) -> NoReturn:
    problems_exit("invalid parameters, nothing saved", problems)


def save(target: Target, document: dict[str, Any]) -> None:
    """Overwrite the document (Advanced tier when it needs over 4,096 characters)."""
    request = domain.parameter_request(parameter_name(target), document)
    target.client("ssm").put_parameter(**request)
    if request.get("Tier") == "Advanced":
        console.print(
            "the document is over 4,096 characters: saved as an Advanced parameter "
            "(Advanced parameters are charged; see docs/configuration.md)"
        )


# --- the commands ------------------------------------------------------------------------------


@app.command("get")
def params_get(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Argument(help="One key [default: the whole document]")] = None,
    resolved: Annotated[
        bool,
        typer.Option(
            "--resolved",
            help="With every default filled in, as a run sees it (refused if invalid)",
        ),
    ] = False,
) -> None:
    """Print the parameter document (or one key) as JSON; --resolved: as a run sees it."""
    target = target_of(ctx)
    document = stored(target)
    if resolved:
        framework = None if document.get("framework") else stack_framework(target)
        problems = domain.validate(document, framework)
        if problems:
            problems_exit("invalid parameters", problems)
        document = domain.resolved(document, framework)
    if key is not None:
        if key not in document:
            raise UserError(f"no key {key!r} in the parameter document")
        print_json(document[key])
    else:
        print_json(document)


@app.command("set")
def params_set(
    ctx: typer.Context,
    assignments: Annotated[list[str], typer.Argument(help="KEY=VALUE (JSON values)")],
) -> None:
    """Change keys of the parameter document; refused (nothing saved) if it would be invalid."""
    changes = parse_assignments(assignments)
    target = target_of(ctx)
    document = {**stored(target), **changes}
    problems = domain.validate(document, stack_framework(target))
    if problems:
        refuse(problems)
    save(target, document)
    console.print(f"saved {', '.join(changes)} to {parameter_name(target)}")


@app.command("validate")
def params_validate(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="JSON file [default: the stored one]")] = None,
    framework: Annotated[
        str | None, typer.Option(help="Framework when the document has none [default: the stack's]")
    ] = None,
) -> None:
    """Check a parameter document against the schema; every problem on its own line."""
    if file is not None:
        document = read_json(file, "a parameter document")
    else:
        document = stored(target_of(ctx))
    if framework is None and not (isinstance(document, dict) and document.get("framework")):
        framework = stack_framework(target_of(ctx))
    problems = domain.validate(document, framework)
    if problems:
        problems_exit("invalid parameters", problems)
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


@app.command("edit")
def params_edit(ctx: typer.Context) -> None:
    """Edit the parameter document in $EDITOR; saved only if it is valid JSON and valid."""
    target = target_of(ctx)
    before = json.dumps(stored(target), indent=2, sort_keys=True) + "\n"
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
    problems = domain.validate(document, stack_framework(target))
    if problems:
        refuse(problems)
    save(target, document)
    console.print(f"saved {parameter_name(target)}")
