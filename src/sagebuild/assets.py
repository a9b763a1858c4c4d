"""Where the stack's files are: the one module that locates `template.yaml` and its folders.

The CLI, the local stack and the deployer need the project's top-level files: `template.yaml`,
`statemachine/`, `lambdas/`, `alexa/`, `notebooks/` and `examples/`. They sit side by side
(the template's `CodeUri: lambdas/` and `DefinitionUri: statemachine/...` are relative to it),
and this module returns the folder that holds them, `root()`, found in one of two ways:

- **Installed from a wheel or an sdist** (`pip install sagebuild[local]`, `pipx install`):
  the build (`setup.py`'s `build_py`) copies those files into the package as
  `sagebuild/_assets/`, so `importlib.resources.files("sagebuild") / "_assets"` is that
  folder, inside site-packages.
- **An editable install of a checkout** (`make install`, `pip install -e .`): nothing is
  copied, so edits to `lambdas/` or the template count at once without rebuilding. The
  installer's record of the editable install (PEP 610 `direct_url.json`, written by pip and uv)
  names the checkout, whose top-level files are the assets.

Nothing else in `sagebuild` builds a path to these files: ask `root()` or the helpers below.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

DISTRIBUTION = "sagebuild"
#: The package folder the wheel carries the assets in (`sagebuild/_assets/`).
BUNDLE = "_assets"
#: The top-level files and folders that are bundled (`setup.py` copies exactly these).
FILES = ("template.yaml",)
FOLDERS = ("statemachine", "lambdas", "alexa", "notebooks", "examples")
#: Never bundled: tests, caches and build leftovers inside those folders.
EXCLUDED_DIRS = frozenset(
    {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".ipynb_checkpoints", "tests"}
)
EXCLUDED_SUFFIXES = (".pyc", ".pyo")


class AssetsNotFound(RuntimeError):
    """Neither a bundled `sagebuild/_assets/` nor an editable checkout holds `template.yaml`."""


def _bundled() -> Path | None:
    folder = resources.files(DISTRIBUTION) / BUNDLE
    if folder.is_dir() and (folder / FILES[0]).is_file():
        return Path(str(folder))
    return None


def _editable_checkout() -> Path | None:
    """The project folder of an editable install, from its PEP 610 `direct_url.json`.

    Every sagebuild distribution on the path is asked, not only the first: a checkout's
    `src/sagebuild.egg-info` (a build leftover, first on the path when `src` is) has no record.
    """
    for dist in metadata.distributions(name=DISTRIBUTION):
        record = dist.read_text("direct_url.json")
        if not record:
            continue
        direct = json.loads(record)
        url = urlparse(direct.get("url", ""))
        if not direct.get("dir_info", {}).get("editable") or url.scheme != "file":
            continue
        folder = Path(url2pathname(unquote(url.path)))
        if (folder / FILES[0]).is_file():
            return folder
    return None


@cache
def root() -> Path:
    """The folder holding `template.yaml`, `statemachine/`, `lambdas/`, `alexa/`, `notebooks/`
    and `examples/` (bundled in the wheel, or the checkout of an editable install)."""
    found = _bundled() or _editable_checkout()
    if found is None:
        raise AssetsNotFound(
            "sagebuild's stack files (template.yaml, lambdas/, ...) are missing: install "
            "sagebuild from a wheel or sdist (pip install sagebuild[local]) or, in a checkout, "
            "with `make install` (pip install -e .)"
        )
    return found


def is_bundled() -> bool:
    """True when the assets come from the installed package, not from a checkout."""
    return _bundled() is not None


def project_dir() -> Path | None:
    """The checkout (a folder with `pyproject.toml`) the assets come from; None when bundled."""
    folder = root()
    return folder if (folder / "pyproject.toml").is_file() else None


def template() -> Path:
    return root() / "template.yaml"


def statemachine() -> Path:
    return root() / "statemachine"


def lambdas() -> Path:
    return root() / "lambdas"


def alexa() -> Path:
    return root() / "alexa"


def notebooks() -> Path:
    return root() / "notebooks"


def examples() -> Path:
    return root() / "examples"
