"""Data in and out of moto's S3 for local jobs and builds.

Local jobs read their channels and write their artifacts straight through moto's S3 backend
objects (`moto.s3.models.s3_backends`), not through boto3: the same code then works in
decorator mode (`mock_aws`) and in server mode (`ThreadedMotoServer` in this process), needs no
endpoint URL or credentials, and cannot reach real AWS. The bucket is found in whichever
account owns it (moto's global bucket index).

Every function takes `as_role`: the role the job, endpoint or build acts as. With the local
stack's IAM on, each access is authorised for that role as S3 would authorise it (GetObject on
the object, ListBucket on the bucket for a prefix, PutObject on the object written), and a
denial raises `S3Error` with AWS's AccessDenied message, which fails the job as on AWS.

Keys become local paths in one place, `safe_local_path` (channel downloads); tar members go
through `extract_tar` and zip entries through `extract_zip`. An object key whose part below
the prefix is absolute or has an empty, `.` or `..` segment (`train//etc/x`,
`train/../../x`), or whose target resolves outside the destination, raises `UnsafePathError`
naming the key and the reason (an `S3Error`), so the job fails with it instead of writing
outside its directory.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class S3Error(Exception):
    """An S3 object or prefix the local job needs is missing, or the role may not use it."""


class UnsafePathError(S3Error):
    """An S3 object key (or archive member) that cannot become a path under its directory."""

    def __init__(self, name: str, reason: str, what: str = "S3 object key") -> None:
        super().__init__(f"{what} {name!r} cannot be written to a local path: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class ActingRole:
    """The role a local job, endpoint or build uses S3 as, and its session name."""

    role_arn: str
    session_name: str


def _authorize(as_role: ActingRole | None, action: str, bucket: str, key: str | None) -> None:
    if as_role is None:
        return
    from sagebuild.local.iam.enforcer import ENFORCER, AccessDenied

    resource = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
    try:
        ENFORCER.authorize_as_role(as_role.role_arn, as_role.session_name, action, resource)
    except AccessDenied as denied:
        raise S3Error(f"AccessDenied: {denied}") from None


def split_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b` → (`bucket`, `a/b`); also accepts `bucket/a/b` (CodeBuild style)."""
    rest = uri[5:] if uri.startswith("s3://") else uri
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise S3Error(f"not an S3 location: {uri!r}")
    return bucket, key


def _backend(bucket: str):  # type: ignore[no-untyped-def]
    from moto.s3.models import s3_backends

    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        raise S3Error(f"bucket {bucket} does not exist")
    partition, account = owner
    return s3_backends[account][partition]


def _keys(bucket: str) -> dict[str, bytes]:
    from moto.s3.models import FakeKey

    store = _backend(bucket).get_bucket(bucket)
    result: dict[str, bytes] = {}
    for name, key in list(store.keys.items()):
        if isinstance(key, FakeKey):
            result[name] = key.value
    return result


def get_bytes(uri: str, as_role: ActingRole | None = None) -> bytes:
    """The content of one object."""
    bucket, key = split_uri(uri)
    _authorize(as_role, "s3:GetObject", bucket, key)
    obj = _backend(bucket).get_object(bucket, key)
    if obj is None:
        raise S3Error(f"no S3 object at s3://{bucket}/{key}")
    return bytes(obj.value)


def put_bytes(uri: str, data: bytes, as_role: ActingRole | None = None) -> None:
    """Write one object (S3 event notifications fire as for a PUT)."""
    bucket, key = split_uri(uri)
    _authorize(as_role, "s3:PutObject", bucket, key)
    _backend(bucket).put_object(bucket, key, data)


def _below_prefix(key: str, prefix: str) -> str:
    """The part of `key` that names its file under a channel filled from S3Prefix `prefix`."""
    if key == prefix:
        return posixpath.basename(key)
    if prefix == "" or prefix.endswith("/"):
        return key[len(prefix) :]
    if key[len(prefix)] == "/":
        return key[len(prefix) + 1 :]
    return key[len(prefix.rsplit("/", 1)[0]) + 1 :] if "/" in prefix else key


def safe_relative_path(key: str, prefix: str = "") -> PurePosixPath:
    """The path, relative to the channel directory, that object `key` under `prefix` fills.

    Raises `UnsafePathError` naming the key when its part below the prefix is empty, absolute,
    has an empty segment (`a//b`), a `.` or a `..` segment, or a NUL character: such a key
    would land outside the directory or somewhere other than it says. `key` must start with
    `prefix` (ValueError otherwise).
    """
    if not key.startswith(prefix):
        raise ValueError(f"S3 object key {key!r} is not under the prefix {prefix!r}")
    relative = _below_prefix(key, prefix)
    if not relative:
        raise UnsafePathError(key, "nothing names a file below the prefix")
    if "\x00" in relative:
        raise UnsafePathError(key, "it contains a NUL character")
    if relative.startswith("/"):
        raise UnsafePathError(key, f"its part below the prefix, {relative!r}, is absolute")
    segments = relative.split("/")
    for segment, why in (("", "an empty segment (//)"), ("..", "a '..' segment")):
        if segment in segments:
            raise UnsafePathError(key, f"its part below the prefix, {relative!r}, has {why}")
    if "." in segments:
        raise UnsafePathError(key, f"its part below the prefix, {relative!r}, has a '.' segment")
    return PurePosixPath(relative)


def safe_local_path(dest: Path, key: str, prefix: str = "") -> Path:
    """`dest / safe_relative_path(key, prefix)`, refused (`UnsafePathError`) unless the target,
    with symbolic links already under `dest` resolved, is inside `dest`."""
    relative = safe_relative_path(key, prefix)
    root = dest.resolve()
    target = (root / relative).resolve()
    if root not in target.parents:
        raise UnsafePathError(key, f"it resolves to {target}, outside {root}")
    return dest / relative


def download_prefix(uri: str, dest: Path, as_role: ActingRole | None = None) -> list[Path]:
    """Copy every object under the S3Prefix `uri` into `dest`, as SageMaker fills a channel.

    A prefix that is exactly one object gives that file; `prefix/` gives the tree below it.
    Raises `S3Error` when nothing matches (SageMaker fails the job the same way), and
    `UnsafePathError` for a key that cannot be a path under `dest` (see `safe_relative_path`);
    every key is checked before anything is written.
    """
    bucket, prefix = split_uri(uri)
    _authorize(as_role, "s3:ListBucket", bucket, None)
    dest.mkdir(parents=True, exist_ok=True)
    objects = [
        (name, value)
        for name, value in sorted(_keys(bucket).items())
        if name.startswith(prefix) and not name.endswith("/")
    ]
    targets = [safe_local_path(dest, name, prefix) for name, _ in objects]
    written: list[Path] = []
    for (name, value), target in zip(objects, targets, strict=True):
        _authorize(as_role, "s3:GetObject", bucket, name)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(value)
        except OSError as error:
            raise S3Error(f"cannot write S3 object key {name!r} locally: {error}") from error
        written.append(target)
    if not written:
        raise S3Error(f"No S3 objects found under S3 URL {uri}")
    return written


def extract_tar(data: bytes, dest: Path) -> None:
    """Extract a (gzipped) tar archive, refusing paths that leave `dest`.

    A member with an absolute name or a `..` segment is refused before anything is extracted
    (`UnsafePathError` naming it); `./` prefixes, as `tar -C dir .` writes them, are fine.
    Links, devices and modes go through tarfile's "data" filter (PEP 706, Python 3.11.4+),
    whose refusals are reported the same way.
    """
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        for member in archive.getmembers():
            if member.name.startswith("/"):
                raise UnsafePathError(member.name, "it is absolute", "tar member")
            if ".." in member.name.split("/"):
                raise UnsafePathError(member.name, "it has a '..' segment", "tar member")
        try:
            archive.extractall(dest, filter="data")
        except tarfile.FilterError as error:
            name = error.tarinfo.name if error.tarinfo is not None else "?"
            raise UnsafePathError(name, str(error), "tar member") from error


def extract_zip(data: bytes, dest: Path) -> None:
    """Extract a zip archive keeping the Unix mode bits (executable `train`/`serve`)."""
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            target = (dest / info.filename).resolve()
            if root not in target.parents and target != root:
                raise UnsafePathError(info.filename, "it leaves the source directory", "zip entry")
            archive.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                target.chmod(mode)


def tar_directory(source: Path) -> bytes:
    """`source`'s content as a gzipped tar, entries relative to `source` (like model.tar.gz)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(source.rglob("*")):
            archive.add(path, arcname=str(path.relative_to(source)), recursive=False)
    return buffer.getvalue()
