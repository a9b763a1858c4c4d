"""The `sagebuild` command line: the same commands against the local stack and against AWS.

Global options pick the target (`--local/--aws`, default: the local stack when its server is
running), the stack, region, profile and endpoint URL. Every known error (user mistakes, AWS
errors, missing credentials) is one line on stderr and exit code 2, never a traceback.

One module per command group, merged here into `app` (the `sagebuild` console script):
`stack` (up, update, down, outputs, publish, init, upload-code, upload-data), `runs` (start,
status, approve, reject, stop, history, logs), `endpoint` (rollback, invoke, ask), `graph`,
and the sub-commands `local ...`, `params ...` and `example ...`. `options` holds the global
options and the target, `values` the parsing of `--set` values.
"""

from __future__ import annotations

from sagebuild.cli import endpoint, example, graph, local, options, params, runs, stack
from sagebuild.cli.options import Options, command_group, target_of
from sagebuild.cli.params import edit_text
from sagebuild.cli.values import MAX_VALUE_NESTING, launch_message, parse_assignments, parse_value
from sagebuild.cli_support.following import run_view
from sagebuild.cli_support.render import duration

app = command_group(help="Continuous training and deployment for Amazon SageMaker models.")
app.callback()(options.main)
for _module in (stack, runs, endpoint, graph):
    app.add_typer(_module.app)
app.add_typer(local.app, name="local")
app.add_typer(params.app, name="params")
app.add_typer(example.app, name="example")

__all__ = [
    "MAX_VALUE_NESTING",
    "Options",
    "app",
    "duration",
    "edit_text",
    "launch_message",
    "parse_assignments",
    "parse_value",
    "run_view",
    "target_of",
]
