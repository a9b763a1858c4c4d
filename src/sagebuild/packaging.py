"""Lambda code packaging: one deterministic zip per CodeUri directory.

Shared by the local deployer (`sagebuild.local.deploy`) and the AWS deploy: the same source tree
always gives byte-identical zips (sorted entries, fixed timestamps and permissions, no caches),
so the code sha256 only changes when the code does.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

#: Directory and file names that never belong in a deployment package.
EXCLUDED_DIRS = frozenset(
    {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git", "tests", ".venv"}
)
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".egg-info", ".DS_Store", ".tmp")
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def iter_package_files(source_dir: Path) -> Iterator[Path]:
    """Every file that goes into the zip of `source_dir`, in sorted (archive) order."""
    source_dir = Path(source_dir)
    for path in sorted(source_dir.rglob("*")):
        relative = path.relative_to(source_dir)
        if any(part in EXCLUDED_DIRS or part.endswith(".egg-info") for part in relative.parts):
            continue
        if path.is_file() and not path.name.endswith(EXCLUDED_SUFFIXES):
            yield path


def build_code_zip(source_dir: Path, out: Path) -> Path:
    """Zip `source_dir` (e.g. `lambdas/` or `alexa/`) into `out`, deterministically.

    The archive holds the directory's content at its root (what Lambda's `CodeUri` means),
    entries sorted by path, timestamps fixed at 1980-01-01 and modes at 0644.
    Returns `out`.
    """
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise FileNotFoundError(f"CodeUri directory not found: {source_dir}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in iter_package_files(source_dir):
            info = zipfile.ZipInfo(path.relative_to(source_dir).as_posix(), _FIXED_DATE)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    tmp.replace(out)
    return out


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file (the zip's identity in caches and S3 keys)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def is_local_uri(uri: Any) -> bool:
    """A CodeUri/DefinitionUri that names a local path (not a URL, not an S3 object dict)."""
    return isinstance(uri, str) and bool(uri) and "://" not in uri


def rewrite_local_uris(
    template: dict[str, Any],
    code_uri: Callable[[str], Any],
    definition_uri: Callable[[str], Any],
) -> None:
    """Replace, in place, every local CodeUri/ContentUri/DefinitionUri of a SAM template with
    what the packager uploaded (what `sam package` does)."""
    function_globals = (template.get("Globals") or {}).get("Function") or {}
    if is_local_uri(function_globals.get("CodeUri")):
        function_globals["CodeUri"] = code_uri(function_globals["CodeUri"])
    for resource in (template.get("Resources") or {}).values():
        properties = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and is_local_uri(properties.get("CodeUri")):
            properties["CodeUri"] = code_uri(properties["CodeUri"])
        elif kind == "AWS::Serverless::StateMachine" and is_local_uri(
            properties.get("DefinitionUri")
        ):
            properties["DefinitionUri"] = definition_uri(properties["DefinitionUri"])
        elif kind == "AWS::Serverless::LayerVersion" and is_local_uri(properties.get("ContentUri")):
            properties["ContentUri"] = code_uri(properties["ContentUri"])
