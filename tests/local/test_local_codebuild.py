"""Local CodeBuild (sagebuild.local.codebuild) against moto: builds register local images."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sagebuild.local import codebuild as local_codebuild
from sagebuild.local import images

ROOT = Path(__file__).resolve().parents[2]
BYOD = ROOT / "examples" / "byod"
BUCKET = "sagebuild-local-code"
REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagebuild-images"


@pytest.fixture(autouse=True)
def _dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with mock_aws():
        uninstall = local_codebuild.install(tmp_path / "local")
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        codebuild = boto3.client("codebuild", region_name="us-east-1")
        try:
            yield {"s3": s3, "codebuild": codebuild}
        finally:
            uninstall()
            images.clear()


def _zip(directory: Path, prefix: str = "", skip: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(directory.iterdir()):
            if path.name not in skip:
                archive.write(path, arcname=f"{prefix}{path.name}")
    return buffer.getvalue()


def _project(clients: dict[str, Any], source: dict[str, Any]) -> None:
    clients["codebuild"].create_project(
        name="images",
        source=source,
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": [
                {"name": "IMAGE_REPO_NAME", "value": "sagebuild-images"},
                {"name": "AWS_ACCOUNT_ID", "value": "123456789012"},
                {"name": "AWS_DEFAULT_REGION", "value": "us-east-1"},
                {"name": "IMAGE_TAG", "value": "latest"},
            ],
        },
        serviceRole="arn:aws:iam::123456789012:role/codebuild",
    )


def _start(clients: dict[str, Any], **overrides: Any) -> str:
    build = clients["codebuild"].start_build(projectName="images", **overrides)["build"]
    assert build["buildStatus"] == "IN_PROGRESS"
    return str(build["id"])


def _wait(clients: dict[str, Any], build_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        build = clients["codebuild"].batch_get_builds(ids=[build_id])["builds"][0]
        if build["buildStatus"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return dict(build)
        time.sleep(0.05)


def _overrides(tag: str, dockerfile_path: str = "") -> list[dict[str, str]]:
    return [
        {"name": "IMAGE_TAG", "value": tag, "type": "PLAINTEXT"},
        {"name": "DOCKERFILE_PATH", "value": dockerfile_path, "type": "PLAINTEXT"},
    ]


def test_build_from_s3_zip_registers_the_context_as_a_local_image(
    clients: dict[str, Any],
) -> None:
    clients["s3"].put_object(Bucket=BUCKET, Key="src.zip", Body=_zip(BYOD, prefix="container/"))
    _project(clients, {"type": "S3", "location": f"{BUCKET}/src.zip"})

    build_id = _start(clients, environmentVariablesOverride=_overrides("Training_v1", "container"))
    build = _wait(clients, build_id)

    assert build["buildStatus"] == "SUCCEEDED", local_codebuild.build_log(build_id)
    image = images.resolve(f"{REPOSITORY}:Training_v1")
    assert image.is_byod
    assert image.train is not None and image.train.name == "train"
    assert image.train.stat().st_mode & 0o111, "zip extraction keeps the executable bit"
    assert image.serve is not None
    assert "registered local image" in local_codebuild.build_log(build_id)
    env = {v["name"]: v["value"] for v in build["environment"]["environmentVariables"]}
    assert env["IMAGE_TAG"] == "Training_v1"


def test_batch_get_builds_does_not_grow_phases_on_every_call(clients: dict[str, Any]) -> None:
    clients["s3"].put_object(Bucket=BUCKET, Key="src.zip", Body=_zip(BYOD))
    _project(clients, {"type": "S3", "location": f"{BUCKET}/src.zip"})
    build_id = _start(clients)
    first = _wait(clients, build_id)

    again = clients["codebuild"].batch_get_builds(ids=[build_id])["builds"][0]

    phases = [p["phaseType"] for p in again["phases"]]
    assert phases == [p["phaseType"] for p in first["phases"]]
    assert len(phases) == len(set(phases))
    assert phases[0] == "SUBMITTED" and phases[-1] == "COMPLETED"
    assert "BUILD" in phases
    assert again["currentPhase"] == "COMPLETED"


def test_build_without_dockerfile_fails_and_says_why(clients: dict[str, Any]) -> None:
    clients["s3"].put_object(Bucket=BUCKET, Key="src.zip", Body=_zip(BYOD, skip=("Dockerfile",)))
    _project(clients, {"type": "S3", "location": f"{BUCKET}/src.zip"})

    build_id = _start(clients, environmentVariablesOverride=_overrides("Training_v2"))
    build = _wait(clients, build_id)

    assert build["buildStatus"] == "FAILED"
    failed = [p for p in build["phases"] if p.get("phaseStatus") == "FAILED"]
    assert [p["phaseType"] for p in failed] == ["BUILD"]
    assert "no Dockerfile" in local_codebuild.build_log(build_id)
    assert images.resolve(f"{REPOSITORY}:Training_v2").kind == "unknown"


def test_build_from_a_local_source_directory_override(clients: dict[str, Any]) -> None:
    _project(clients, {"type": "S3", "location": f"{BUCKET}/missing.zip"})

    build_id = _start(
        clients,
        sourceTypeOverride="NO_SOURCE",
        sourceLocationOverride=str(BYOD.parent),
        environmentVariablesOverride=_overrides("Inference_v3", "byod/Dockerfile"),
    )
    build = _wait(clients, build_id)

    assert build["buildStatus"] == "SUCCEEDED", local_codebuild.build_log(build_id)
    assert images.resolve(f"{REPOSITORY}:Inference_v3").serve is not None


def test_build_with_missing_source_fails_in_download_source(clients: dict[str, Any]) -> None:
    _project(clients, {"type": "S3", "location": f"{BUCKET}/missing.zip"})

    build_id = _start(clients)
    build = _wait(clients, build_id)

    assert build["buildStatus"] == "FAILED"
    assert build["phases"][-2]["phaseType"] == "DOWNLOAD_SOURCE"
    assert "missing.zip" in local_codebuild.build_log(build_id)


def test_codecommit_source_is_not_supported_locally(clients: dict[str, Any]) -> None:
    location = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/code"
    _project(clients, {"type": "CODECOMMIT", "location": location})

    build_id = _start(clients)
    build = _wait(clients, build_id)

    assert build["buildStatus"] == "FAILED"
    assert "not supported by the local CodeBuild" in local_codebuild.build_log(build_id)


def test_inference_build_without_serve_program_fails(clients: dict[str, Any]) -> None:
    clients["s3"].put_object(Bucket=BUCKET, Key="src.zip", Body=_zip(BYOD, skip=("serve",)))
    _project(clients, {"type": "S3", "location": f"{BUCKET}/src.zip"})
    kind = [{"name": "IMAGE_KIND", "value": "inference", "type": "PLAINTEXT"}]

    build_id = _start(clients, environmentVariablesOverride=_overrides("Inference_v4") + kind)
    build = _wait(clients, build_id)

    assert build["buildStatus"] == "FAILED"
    assert "no `serve` program" in build["phases"][-2]["contexts"][0]["message"]
