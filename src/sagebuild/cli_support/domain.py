"""The one place the CLI reaches the deployed domain code in `lambdas/` (config, naming).

The domain modules are deployed as the Lambda `CodeUri`, not installed as a package; the CLI
puts `lambdas/` (located by `sagebuild.assets`: bundled in the wheel, or the editable checkout's)
on `sys.path` here, once, and imports from it.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from sagebuild import assets
from sagebuild.cli_support.errors import UserError

#: The folder holding template.yaml, statemachine/, lambdas/... (`sagebuild.assets.root()`).
REPO_ROOT = assets.root()
LAMBDAS = assets.lambdas()


def _ensure_path() -> None:
    if not (LAMBDAS / "domain").is_dir():
        raise UserError(f"the domain code is not where the CLI expects it: {LAMBDAS}")
    if str(LAMBDAS) not in sys.path:
        sys.path.insert(0, str(LAMBDAS))


def _domain(name: str) -> ModuleType:
    """The module `domain.<name>` of the deployed code."""
    _ensure_path()
    return importlib.import_module(f"domain.{name}")


def config() -> ModuleType:
    """`domain.config` (parse_config, defaults_for)."""
    return _domain("config")


def errors() -> ModuleType:
    return _domain("errors")


def run_table() -> ModuleType:
    """`domain.run_table` (RunTable: failed triggers)."""
    return _domain("run_table")


def launch_message() -> ModuleType:
    """`domain.launch_message`: the one codec of the LaunchTopic message."""
    return _domain("launch_message")


def naming() -> ModuleType:
    return _domain("naming")


def parameter_request(name: str, document: dict) -> dict:
    """The PutParameter request that saves a parameter document (domain.aws).

    Indented JSON when that fits a Standard parameter, else compact; the Advanced tier when the
    document needs more than 4,096 characters; a UserError naming the 8,192 limit beyond it.
    """
    module, errs = _domain("aws"), errors()
    try:
        return dict(module.put_json_parameter_request(name, document, indent=1))
    except errs.ParameterTooLarge as error:
        raise UserError(str(error)) from error


def validate(document: object, framework: str | None) -> list[str]:
    """Every problem of a parameter document (empty when it is valid)."""
    module, errs = config(), errors()
    if not isinstance(document, dict):
        return ["the parameter document: expected a JSON object"]
    if not (document.get("framework") or framework):
        return ["framework: missing (set it in the document or pass --framework)"]
    try:
        module.parse_config(document, str(framework or ""))
    except errs.InvalidParameters as error:
        return list(error.problems)
    except errs.UnsupportedConfiguration as error:
        return [str(error)]
    return []


def resolved(document: dict, framework: str | None) -> dict:
    """The document a run sees: `document` with every default filled in
    (`domain.config.parse_config(...).to_document()`); `validate` it first."""
    return dict(config().parse_config(document, str(framework or "")).to_document())


def loop_keys() -> tuple[str, ...]:
    """The state document's start/poll loop keys (`domain.state.LOOP_KEYS`)."""
    return tuple(_domain("state").LOOP_KEYS)
