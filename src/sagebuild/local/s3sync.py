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
"""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


class S3Error(Exception):
    """An S3 object or prefix the local job needs is missing, or the role may not use it."""


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


def download_prefix(uri: str, dest: Path, as_role: ActingRole | None = None) -> list[Path]:
    """Copy every object under the S3Prefix `uri` into `dest`, as SageMaker fills a channel.

    A prefix that is exactly one object gives that file; `prefix/` gives the tree below it.
    Raises `S3Error` when nothing matches (SageMaker fails the job the same way).
    """
    bucket, prefix = split_uri(uri)
    _authorize(as_role, "s3:ListBucket", bucket, None)
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, value in sorted(_keys(bucket).items()):
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        _authorize(as_role, "s3:GetObject", bucket, name)
        if name == prefix:
            relative = os.path.basename(name)
        elif prefix == "" or prefix.endswith("/"):
            relative = name[len(prefix) :]
        elif name[len(prefix)] == "/":
            relative = name[len(prefix) + 1 :]
        else:
            relative = name[len(prefix.rsplit("/", 1)[0]) + 1 :] if "/" in prefix else name
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(value)
        written.append(target)
    if not written:
        raise S3Error(f"No S3 objects found under S3 URL {uri}")
    return written


def extract_tar(data: bytes, dest: Path) -> None:
    """Extract a (gzipped) tar archive, refusing paths that leave `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        archive.extractall(dest, filter="data")


def extract_zip(data: bytes, dest: Path) -> None:
    """Extract a zip archive keeping the Unix mode bits (executable `train`/`serve`)."""
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            target = (dest / info.filename).resolve()
            if root not in target.parents and target != root:
                raise S3Error(f"zip entry {info.filename!r} leaves the source directory")
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
