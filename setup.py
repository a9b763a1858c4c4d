"""Build hook: the wheel carries the stack's files as package data (`sagebuild/_assets/`).

`template.yaml`, `statemachine/`, `lambdas/`, `alexa/`, `notebooks/` and `examples/` stay at the
top of the checkout (docs/DESIGN's fixed layout); a wheel or sdist build copies them into the
built package, so `importlib.resources` finds them in site-packages. An editable install copies
nothing: `sagebuild.assets` reads the checkout (see its docstring). MANIFEST.in puts the same
files in the sdist, which is what a wheel is built from.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# Keep in step with sagebuild.assets (FILES, FOLDERS, EXCLUDED_*): a test checks the wheel.
FILES = ("template.yaml",)
FOLDERS = ("statemachine", "lambdas", "alexa", "notebooks", "examples")
IGNORED = shutil.ignore_patterns(
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    "tests",
    "*.pyc",
    "*.pyo",
)


class BuildPyWithAssets(build_py):
    """`build_py`, then the stack's files into `<build_lib>/sagebuild/_assets/`."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib, "sagebuild", "_assets")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in FILES:
            shutil.copy2(HERE / name, target / name)
        for name in FOLDERS:
            shutil.copytree(HERE / name, target / name, ignore=IGNORED)


setup(cmdclass={"build_py": BuildPyWithAssets})
