"""S3 object keys become local paths only inside their directory (sagebuild.local.s3sync).

A key such as `train/iris/../../x` or `train/iris//abs/path` must not write outside the
channel directory: `safe_local_path` refuses it naming the key, and the local training job
fails with that reason in FailureReason instead of writing elsewhere.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import wait_until
from hypothesis import given, settings
from hypothesis import strategies as st
from local_support import local_sagemaker_on_moto

from sagebuild.local import s3sync

BUCKET = "sagebuild-channel-paths"
ROLE = "arn:aws:iam::123456789012:role/training"
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

# Keys built from the pieces that matter (separators, dot segments) and arbitrary text.
_PIECES = st.sampled_from(["/", "//", ".", "..", "../", "./", "a", "b.csv", "\x00", "\\", " "])
_KEYS = st.one_of(
    st.lists(_PIECES, max_size=8).map("".join),
    st.text(max_size=40),
)
_PREFIXES = st.sampled_from(["", "train", "train/", "train/iris", "train/iris/", "tr"])


# -- the function --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, database=None)
@given(prefix=_PREFIXES, rest=_KEYS)
def test_a_key_maps_inside_the_destination_or_is_refused_by_name(
    tmp_path_factory: pytest.TempPathFactory, prefix: str, rest: str
) -> None:
    dest = tmp_path_factory.getbasetemp() / "dest" / "channel"
    key = prefix + rest

    try:
        target = s3sync.safe_local_path(dest, key, prefix)
    except s3sync.UnsafePathError as error:
        assert repr(key) in str(error)
        assert error.name == key
        return

    relative = s3sync.safe_relative_path(key, prefix)
    assert not relative.is_absolute()
    assert all(part not in ("", ".", "..") for part in relative.parts)
    assert dest.resolve() in target.resolve().parents
    assert target == dest / relative


@pytest.mark.parametrize(
    ("key", "prefix", "reason"),
    [
        ("train/iris/../../x", "train/iris/", "'..' segment"),
        ("train/iris/../../x", "train/iris", "'..' segment"),
        ("train/iris/a/../b", "train/iris/", "'..' segment"),
        ("train/iris//abs/path", "train/iris", "is absolute"),
        ("train/iris//abs/path", "train/iris/", "is absolute"),
        ("/etc/passwd", "", "is absolute"),
        ("train/iris/a//b", "train/iris/", "empty segment"),
        ("train/iris/./a", "train/iris/", "'.' segment"),
        ("..", "..", "'..' segment"),
    ],
)
def test_unsafe_keys_are_refused_with_the_key_and_the_reason(
    tmp_path: Path, key: str, prefix: str, reason: str
) -> None:
    with pytest.raises(s3sync.UnsafePathError) as refused:
        s3sync.safe_local_path(tmp_path / "channel", key, prefix)

    assert repr(key) in str(refused.value)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    ("key", "prefix", "expected"),
    [
        ("train/iris/a.csv", "train/iris", "a.csv"),
        ("train/iris/sub/a.csv", "train/iris/", "sub/a.csv"),
        ("train/iris.csv", "train/iris.csv", "iris.csv"),
        ("train/iris-2/a.csv", "train/iris", "iris-2/a.csv"),
        ("a..b/c.d", "", "a..b/c.d"),
    ],
)
def test_ordinary_keys_keep_their_sagemaker_layout(key: str, prefix: str, expected: str) -> None:
    assert str(s3sync.safe_relative_path(key, prefix)) == expected


def test_a_symbolic_link_under_the_destination_cannot_lead_outside(tmp_path: Path) -> None:
    dest = tmp_path / "channel"
    dest.mkdir()
    (dest / "link").symlink_to(tmp_path)

    with pytest.raises(s3sync.UnsafePathError, match="outside"):
        s3sync.safe_local_path(dest, "train/link/x", "train/")


def _tar(name: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(name)
        info.size = 2
        archive.addfile(info, io.BytesIO(b"ok"))
    return buffer.getvalue()


@pytest.mark.parametrize("member", ["../escaped.txt", "/abs/escaped.txt", "a/../../escaped.txt"])
def test_tar_members_leaving_the_directory_are_refused_by_name(tmp_path: Path, member: str) -> None:
    with pytest.raises(s3sync.UnsafePathError) as refused:
        s3sync.extract_tar(_tar(member), tmp_path / "model")

    assert repr(member) in str(refused.value)
    assert not list(tmp_path.rglob("escaped.txt"))


def test_tar_members_with_a_dot_prefix_extract_normally(tmp_path: Path) -> None:
    s3sync.extract_tar(_tar("./model.joblib"), tmp_path / "model")

    assert (tmp_path / "model" / "model.joblib").read_bytes() == b"ok"


# -- a local training job --------------------------------------------------------------------


@pytest.fixture
def sagemaker(tmp_path: Path, dummy_credentials: None) -> Iterator[tuple]:
    with local_sagemaker_on_moto(tmp_path / "local", BUCKET) as clients:
        yield clients.s3, clients.sm


@pytest.mark.parametrize("style", ["dot-dot", "double-slash"])
def test_a_channel_key_outside_the_job_fails_the_job_naming_the_key(
    sagemaker: tuple, tmp_path: Path, style: str
) -> None:
    s3, sm = sagemaker
    # Unchecked, either key lands at tmp_path / "escaped.txt", outside the job directory
    # (tmp_path/local/training/<job>/opt_ml/input/data/train).
    bad = {
        "dot-dot": "data/train/" + "../" * 7 + "escaped.txt",
        "double-slash": f"data/train/{tmp_path}/escaped.txt",
    }[style]
    s3.put_object(Bucket=BUCKET, Key="data/train/iris.csv", Body=b"5.1,3.5,1.4,0.2,0\n")
    s3.put_object(Bucket=BUCKET, Key=bad, Body=b"outside")
    name = f"bad-key-{style}"
    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": SKLEARN, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        HyperParameters={"sagemaker_program": '"train.py"'},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{BUCKET}/data/train/",
                    }
                },
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 60},
    )

    def ended() -> dict | None:
        job = sm.describe_training_job(TrainingJobName=name)
        return None if job["TrainingJobStatus"] in ("InProgress", "Stopping") else job

    final = wait_until(ended, timeout=60, what=f"training job {name} to end")

    assert final["TrainingJobStatus"] == "Failed"
    assert final["FailureReason"].startswith("ClientError: channel train: ")
    assert repr(bad) in final["FailureReason"]
    job_dir = tmp_path / "local" / "training" / name
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not (job_dir / "opt_ml" / "input" / "data" / "train" / "iris.csv").exists()
    assert "ModelArtifacts" not in final or not final["ModelArtifacts"].get("S3ModelArtifacts")
