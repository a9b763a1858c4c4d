"""The notebooks for the stack's notebook instance: uploaded with their examples and the
sagebuild wheel they import (built from the checkout, or repacked from the installed package)."""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sagebuild import assets
from sagebuild.deployer.lambda_build import FIXED_DATE, run_pip

WheelBuilder = Callable[[Path, Path], Path]


def build_wheel(project: Path, out_dir: Path) -> Path:
    """The sagebuild wheel (the helpers the notebooks import), no deps: built with pip from
    `project` (or the editable checkout) when it is the source, else repacked from the
    installed package (a wheel install has no source to build from)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    source = project if (Path(project) / "pyproject.toml").is_file() else assets.project_dir()
    if source is None:
        return _repack_installed(out_dir)
    run_pip(["wheel", "--quiet", "--no-deps", "--wheel-dir", str(out_dir), str(source)])
    [wheel] = sorted(out_dir.glob("sagebuild-*.whl"))
    return wheel


def _repack_installed(out_dir: Path) -> Path:
    """The installed sagebuild distribution as a wheel again (its files and metadata, RECORD
    rewritten; no caches, nothing the installer added)."""
    import base64
    from importlib import metadata

    dist = metadata.distribution("sagebuild")
    version = dist.version
    info = f"sagebuild-{version}.dist-info"
    skipped = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    entries: dict[str, bytes] = {}
    for file in dist.files or []:
        name = file.as_posix()
        if name.startswith("..") or "__pycache__" in name or name.endswith((".pyc", ".pyo")):
            continue
        if name.startswith(info + "/") and name.rsplit("/", 1)[1] in skipped:
            continue
        path = Path(str(file.locate()))
        if path.is_file():
            entries[name] = path.read_bytes()
    record = []
    for name, body in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(body)}")
    record.append(f"{info}/RECORD,,")
    entries[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = out_dir / f"sagebuild-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries, key=lambda n: (n.startswith(info), n)):
            archive.writestr(zipfile.ZipInfo(name, FIXED_DATE), entries[name])
    return wheel


def upload_notebooks(
    s3: Any,
    code_bucket: str,
    project: Path | None = None,
    *,
    wheel: WheelBuilder = build_wheel,
    on_message: Callable[[str], None] = lambda _text: None,
) -> list[str]:
    """Put the notebooks, the examples they use and the helper wheel under notebooks/.

    The notebook instance's OnStart script copies s3://<CodeBucket>/notebooks/ into
    ~/SageMaker/sagebuild and installs the wheel into its python3 kernel. `project`: the folder
    with notebooks/ and examples/ (default: the bundled assets, or the checkout's).
    """
    project = Path(project) if project is not None else assets.root()
    files: list[tuple[Path, str]] = [
        (path, f"notebooks/{path.name}")
        for path in sorted((project / "notebooks").glob("*"))
        if path.suffix in {".ipynb", ".md"}
    ]
    for example in ("iris", "byod"):
        root = project / "examples" / example
        files += [
            (path, f"notebooks/examples/{example}/{path.relative_to(root).as_posix()}")
            for path in sorted(root.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts
        ]
    with tempfile.TemporaryDirectory() as tmp:
        built = wheel(project, Path(tmp))
        files.append((built, f"notebooks/wheel/{built.name}"))
        for path, key in files:
            s3.put_object(Bucket=code_bucket, Key=key, Body=path.read_bytes())
    on_message(f"uploaded {len(files)} notebook files to s3://{code_bucket}/notebooks/")
    return [key for _, key in files]
