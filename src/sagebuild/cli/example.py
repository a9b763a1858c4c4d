"""`sagebuild example ...`: make the stack ready to run an example (code, data, parameters)."""

from __future__ import annotations

import typer

from sagebuild.cli.options import JSON_OUTPUT, command_group, say, target_of
from sagebuild.cli.params import parameter_name, refuse, save, stack_framework, stored
from sagebuild.cli.stack import (
    DEFAULT_CODE_KEY,
    bucket_trigger_on,
    upload_code_dir,
    upload_data_files,
)
from sagebuild.cli_support import domain
from sagebuild.cli_support.errors import UserError
from sagebuild.cli_support.render import print_json

app = command_group(help="Make the stack ready to run an example.")

IRIS_DATA_KEY = "train/iris/iris.csv"


@app.command("iris")
def example_iris(ctx: typer.Context, as_json: JSON_OUTPUT = False) -> None:
    """Make the stack ready to run the iris example (scikit-learn): code, data, parameters."""
    from sagebuild.examples import IRIS, iris_parameters

    target = target_of(ctx)
    if not (IRIS / "iris.csv").is_file():
        raise UserError(f"the iris example is not where the CLI expects it: {IRIS}")
    code = upload_code_dir(target, IRIS, DEFAULT_CODE_KEY)
    document_now = stored(target)
    config = domain.config()
    framework = str(document_now.get("framework") or stack_framework(target) or "")
    fresh = framework.strip().upper() != "SCIKIT"
    base = config.defaults_for("SCIKIT") if fresh else document_now
    document = {**base, "framework": "SCIKIT", **iris_parameters(code)}
    problems = domain.validate(document, "SCIKIT")
    if problems:
        refuse(problems)
    save(target, document)
    data = upload_data_files(target, IRIS / "iris.csv", IRIS_DATA_KEY.rsplit("/", 1)[0])
    if as_json:
        print_json({"code": code, "data": data, "parameters": document})
        return
    say(f"uploaded the training script to {code}")
    say(f"uploaded the iris data (150 rows) to {data[0]}")
    replaced = f" (replaced the {framework} settings)" if fresh and framework else ""
    say(
        f"set the parameter document {parameter_name(target)}: SCIKIT, train.py, "
        f"channel train/iris, max_depth=3, metric accuracy{replaced}"
    )
    if bucket_trigger_on(target):
        say("the data bucket trigger is on: the upload started a run")
    else:
        say("ready: sagebuild start --wait")
