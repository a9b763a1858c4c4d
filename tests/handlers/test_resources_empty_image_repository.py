"""Custom::EmptyImageRepository against moto: Delete removes every image; a missing repository
is success."""

from __future__ import annotations

import json

from resources_support import cfn_event, invoke, moto_client_fixture, resource_fixture

ecr = moto_client_fixture("ecr")
module = resource_fixture("empty_image_repository")


def _push(ecr, repository: str, layer: str, tag: str | None) -> None:
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": f"sha256:{'0' * 64}", "size": 1, "mediaType": "x"},
            "layers": [{"digest": f"sha256:{layer * 64}", "size": 1, "mediaType": "x"}],
        }
    )
    kwargs = {"imageTag": tag} if tag else {}
    ecr.put_image(repositoryName=repository, imageManifest=manifest, **kwargs)


def _delete(module, repository: str, ctx, monkeypatch) -> dict:
    """CloudFormation's Delete of the resource for `repository`; the response sent back."""
    event = cfn_event("Delete", {"RepositoryName": repository}, physical_id=repository)
    return invoke(module, event, ctx, monkeypatch)


def test_delete_removes_tagged_and_untagged_images(ecr, module, ctx, monkeypatch):
    ecr.create_repository(repositoryName="demo")
    _push(ecr, "demo", "a", "training-v1")
    _push(ecr, "demo", "b", "latest-training")
    _push(ecr, "demo", "c", None)
    assert len(ecr.list_images(repositoryName="demo")["imageIds"]) == 3

    response = _delete(module, "demo", ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    assert ecr.list_images(repositoryName="demo")["imageIds"] == []
    ecr.delete_repository(repositoryName="demo")  # fails if images were left


def test_delete_works_in_batches(ecr, module, monkeypatch):
    ecr.create_repository(repositoryName="demo")
    for layer in "abc":
        _push(ecr, "demo", layer, f"t{layer}")
    monkeypatch.setattr(module, "_BATCH", 1)

    assert module.empty_repository("demo") == 3
    assert ecr.list_images(repositoryName="demo")["imageIds"] == []


def test_delete_of_a_missing_repository_is_success(ecr, module, ctx, monkeypatch):
    response = _delete(module, "gone", ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"


def test_create_names_the_repository_and_keeps_its_images(ecr, module, ctx, monkeypatch):
    ecr.create_repository(repositoryName="demo")
    _push(ecr, "demo", "a", "training-v1")

    response = invoke(module, cfn_event("Create", {"RepositoryName": "demo"}), ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == "demo"
    assert len(ecr.list_images(repositoryName="demo")["imageIds"]) == 1
