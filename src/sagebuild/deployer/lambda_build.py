"""The Lambda code of the stack, built for the Lambda platform: dependencies and zips.

The platform is the template's: `Globals.Function.Runtime` (python3.13) and `Architectures`
(the `Architecture` stack parameter, x86_64 or arm64), so pip fetches the binary wheels of that
Python for manylinux2014_x86_64 or manylinux2014_aarch64. A code folder's `requirements.txt`
is installed once per requirements hash and platform (the cache under `.sagebuild/build/`),
without the packages the runtime provides (boto3), and zipped with the code deterministically.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagebuild.cli_support.errors import UserError
from sagebuild.packaging import iter_package_files

PipRunner = Callable[[list[str]], None]
#: pip's platform tag for each Lambda architecture (binary wheels only: pydantic-core).
LAMBDA_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
#: When the template does not say (template.yaml: python3.13, the Architecture parameter).
DEFAULT_RUNTIME = "python3.13"
DEFAULT_ARCHITECTURE = "x86_64"
#: Packages the Lambda runtime provides: never bundled, even when a dependency pulls them in.
RUNTIME_PACKAGES = frozenset({"boto3", "botocore", "s3transfer"})
REQUIREMENTS = "requirements.txt"
_COMPLETE = ".sagebuild-complete"
#: The timestamp of every zip entry (zips only change when their content does).
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class LambdaPlatform:
    """The runtime and architecture the Lambda zips are built for."""

    runtime: str = DEFAULT_RUNTIME
    architecture: str = DEFAULT_ARCHITECTURE

    def __post_init__(self) -> None:
        if not re.fullmatch(r"python3\.\d+", self.runtime):
            raise UserError(f"unsupported Lambda runtime {self.runtime} (python3.x only)")
        if self.architecture not in LAMBDA_PLATFORMS:
            raise UserError(
                f"unsupported Lambda architecture {self.architecture} "
                f"(one of {', '.join(LAMBDA_PLATFORMS)})"
            )

    @property
    def python_version(self) -> str:
        """`python3.13` → `3.13` (pip's --python-version)."""
        return self.runtime.removeprefix("python")

    def pip_options(self) -> list[str]:
        return [
            "--platform",
            LAMBDA_PLATFORMS[self.architecture],
            "--implementation",
            "cp",
            "--python-version",
            self.python_version,
            "--only-binary=:all:",
        ]


def _resolve(value: Any, template: dict[str, Any], parameters: dict[str, str]) -> Any:
    """A literal, or a `{"Ref": P}` to a stack parameter: the given value, else its Default."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        if name in parameters:
            return parameters[name]
        return ((template.get("Parameters") or {}).get(name) or {}).get("Default")
    return value


def lambda_platform(
    template: dict[str, Any], parameters: dict[str, str] | None = None
) -> LambdaPlatform:
    """The template's `Globals.Function` Runtime and Architectures (a `!Ref` to a parameter is
    resolved with `parameters`, then the parameter's Default). Every function of the template
    must agree: one set of dependency wheels is built per code folder."""
    parameters = parameters or {}
    function_globals = (template.get("Globals") or {}).get("Function") or {}
    found = set()
    functions = [
        resource.get("Properties") or {}
        for resource in (template.get("Resources") or {}).values()
        if resource.get("Type") == "AWS::Serverless::Function"
    ]
    for properties in functions or [{}]:
        runtime = _resolve(
            properties.get("Runtime", function_globals.get("Runtime", DEFAULT_RUNTIME)),
            template,
            parameters,
        )
        architectures = _resolve(
            properties.get("Architectures", function_globals.get("Architectures")),
            template,
            parameters,
        ) or [DEFAULT_ARCHITECTURE]
        [architecture] = [_resolve(a, template, parameters) for a in architectures]
        found.add((str(runtime), str(architecture)))
    if len(found) != 1:
        raise UserError(
            "the template's functions mix runtimes or architectures: "
            + ", ".join(f"{r} {a}" for r, a in sorted(found))
        )
    [(runtime, architecture)] = found
    return LambdaPlatform(runtime, architecture)


def pip_arguments(
    requirements: Path, target: Path, platform: LambdaPlatform | None = None
) -> list[str]:
    """`pip` arguments installing `requirements` into `target` for the Lambda platform
    (binary wheels only: pydantic-core is compiled)."""
    return [
        "install",
        "--target",
        str(target),
        *(platform or LambdaPlatform()).pip_options(),
        "--no-compile",
        "--disable-pip-version-check",
        "--quiet",
        "-r",
        str(requirements),
    ]


def run_pip(arguments: list[str]) -> None:
    """Run this interpreter's pip (it needs PyPI); a failure is one line."""
    try:
        subprocess.run(  # noqa: S603 - our own interpreter's pip
            [sys.executable, "-m", "pip", *arguments], check=True, capture_output=True, text=True
        )
    except subprocess.CalledProcessError as error:
        lines = [line for line in (error.stderr or error.stdout or "").splitlines() if line]
        raise UserError(
            "installing the Lambda dependencies failed (pip needs PyPI): "
            + (lines[-1].strip() if lines else f"pip exited with {error.returncode}")
        ) from error


def _distribution(name: str) -> str:
    """`boto3-1.34.0.dist-info` → `boto3`; `botocore` → `botocore`."""
    return re.split(r"-\d|\.dist-info$|\.egg-info$|\.pth$", name.lower())[0].replace("-", "_")


def _drop_runtime_packages(directory: Path) -> None:
    for path in list(directory.iterdir()):
        if _distribution(path.name) in RUNTIME_PACKAGES or path.name in ("bin", "__pycache__"):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def install_dependencies(
    requirements: Path,
    cache_dir: Path,
    pip: PipRunner = run_pip,
    platform: LambdaPlatform | None = None,
) -> Path:
    """The directory holding `requirements` installed for the Lambda `platform`, cached by
    their hash and the platform."""
    requirements = Path(requirements)
    platform = platform or LambdaPlatform()
    digest = hashlib.sha256(
        requirements.read_bytes() + " ".join(platform.pip_options()).encode()
    ).hexdigest()[:16]
    target = Path(cache_dir) / "deps" / digest
    if (target / _COMPLETE).is_file():
        return target
    partial = target.with_name(f"{digest}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    pip(pip_arguments(requirements, partial, platform))
    _drop_runtime_packages(partial)
    (partial / _COMPLETE).write_text(f"{requirements}\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target


def build_function_zip(source_dir: Path, dependencies: Path | None, out: Path) -> Path:
    """One deterministic Lambda zip: the dependencies, then the code (the code wins a clash).

    Same rules as `sagebuild.packaging.build_code_zip`: sorted entries, fixed timestamps and
    modes, no caches, so the zip's hash only changes when its content does."""
    entries: dict[str, Path] = {}
    if dependencies is not None:
        for path in iter_package_files(dependencies):
            name = path.relative_to(dependencies).as_posix()
            if name != _COMPLETE:
                entries[name] = path
    for path in iter_package_files(source_dir):
        entries[path.relative_to(source_dir).as_posix()] = path
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, FIXED_DATE)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name].read_bytes())
    return out
