"""Custom::EmptyBucket against moto: Delete empties every version; "already gone" is success."""

from __future__ import annotations

from resources_support import cfn_event, invoke, moto_client_fixture, resource_fixture

s3 = moto_client_fixture("s3")
module = resource_fixture("empty_bucket")


def _versioned_bucket_with_history(s3, name: str) -> None:
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket=name, Key="data/train.csv", Body=body)
    s3.put_object(Bucket=name, Key="model.tar.gz", Body=b"m")
    s3.delete_object(Bucket=name, Key="model.tar.gz")  # leaves a delete marker


def _delete(module, bucket: str, ctx, monkeypatch) -> dict:
    """CloudFormation's Delete of the resource for `bucket`; the response sent back."""
    event = cfn_event("Delete", {"BucketName": bucket}, physical_id=bucket)
    return invoke(module, event, ctx, monkeypatch)


def test_delete_removes_every_version_and_marker_so_the_bucket_can_go(s3, module, ctx, monkeypatch):
    _versioned_bucket_with_history(s3, "artifacts")

    response = _delete(module, "artifacts", ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    listed = s3.list_object_versions(Bucket="artifacts")
    assert listed.get("Versions", []) == [] and listed.get("DeleteMarkers", []) == []
    s3.delete_bucket(Bucket="artifacts")  # raises BucketNotEmpty if anything is left


def test_delete_works_in_batches(s3, module, monkeypatch):
    s3.create_bucket(Bucket="code")
    for index in range(5):
        s3.put_object(Bucket="code", Key=f"k{index}", Body=b"x")
    monkeypatch.setattr(module, "_BATCH", 2)

    assert module.empty_bucket("code") == 5
    assert s3.list_objects_v2(Bucket="code")["KeyCount"] == 0


def test_delete_of_a_bucket_already_gone_is_success(s3, module, ctx, monkeypatch):
    response = _delete(module, "gone", ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == "gone"


def test_create_and_update_name_the_bucket_and_keep_its_objects(s3, module, ctx, monkeypatch):
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="train/a.csv", Body=b"1")

    created = invoke(module, cfn_event("Create", {"BucketName": "data"}), ctx, monkeypatch)
    updated = invoke(
        module,
        cfn_event("Update", {"BucketName": "data"}, {"BucketName": "data"}, physical_id="data"),
        ctx,
        monkeypatch,
    )

    assert created["Status"] == updated["Status"] == "SUCCESS"
    assert created["PhysicalResourceId"] == updated["PhysicalResourceId"] == "data"
    assert s3.list_objects_v2(Bucket="data")["KeyCount"] == 1
