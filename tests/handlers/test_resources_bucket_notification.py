"""Custom::BucketNotification against moto: our ObjectCreated → LaunchTopic configuration is
added beside the bucket's others, replaced on update, and only ours is removed on delete."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from resources_support import cfn_event, invoke, load_resource

REGION = "us-east-1"


@pytest.fixture
def aws():
    from domain.clients import reset_clients

    with mock_aws():
        reset_clients()
        s3 = boto3.client("s3", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        s3.create_bucket(Bucket="data")
        topics = {name: sns.create_topic(Name=name)["TopicArn"] for name in ("launch", "other")}
        yield s3, topics
        reset_clients()


@pytest.fixture
def module():
    return load_resource("bucket_notification")


def _topics(s3) -> dict[str, tuple[str, list[str]]]:
    config = s3.get_bucket_notification_configuration(Bucket="data")
    return {t["Id"]: (t["TopicArn"], t["Events"]) for t in config.get("TopicConfigurations", [])}


def _someone_elses(s3, topic: str) -> None:
    s3.put_bucket_notification_configuration(
        Bucket="data",
        NotificationConfiguration={
            "TopicConfigurations": [
                {"Id": "theirs", "TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}
            ]
        },
    )


def test_create_adds_our_configuration_and_keeps_the_others(aws, module, ctx, monkeypatch):
    s3, topics = aws
    _someone_elses(s3, topics["other"])

    response = invoke(
        module,
        cfn_event("Create", {"BucketName": "data", "TopicArn": topics["launch"]}),
        ctx,
        monkeypatch,
    )

    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == "data/sagebuild-launch"
    assert _topics(s3) == {
        "theirs": (topics["other"], ["s3:ObjectRemoved:*"]),
        "sagebuild-launch": (topics["launch"], ["s3:ObjectCreated:*"]),
    }


def test_update_replaces_our_configuration_without_duplicating_it(aws, module, ctx, monkeypatch):
    s3, topics = aws
    old = {"BucketName": "data", "TopicArn": topics["launch"]}
    invoke(module, cfn_event("Create", old), ctx, monkeypatch)

    new = {"BucketName": "data", "TopicArn": topics["other"]}
    response = invoke(
        module, cfn_event("Update", new, old, physical_id="data/sagebuild-launch"), ctx, monkeypatch
    )

    assert response["PhysicalResourceId"] == "data/sagebuild-launch"
    assert _topics(s3) == {"sagebuild-launch": (topics["other"], ["s3:ObjectCreated:*"])}


def test_delete_removes_only_our_configuration(aws, module, ctx, monkeypatch):
    s3, topics = aws
    _someone_elses(s3, topics["other"])
    properties = {"BucketName": "data", "TopicArn": topics["launch"]}
    invoke(module, cfn_event("Create", properties), ctx, monkeypatch)

    response = invoke(
        module,
        cfn_event("Delete", properties, physical_id="data/sagebuild-launch"),
        ctx,
        monkeypatch,
    )

    assert response["Status"] == "SUCCESS"
    assert _topics(s3) == {"theirs": (topics["other"], ["s3:ObjectRemoved:*"])}


def test_delete_when_the_bucket_or_configuration_is_gone_is_success(aws, module, ctx, monkeypatch):
    s3, topics = aws
    ours = {"BucketName": "data", "TopicArn": topics["launch"]}
    missing = {"BucketName": "no-such-bucket", "TopicArn": topics["launch"]}

    assert (
        invoke(module, cfn_event("Delete", ours, physical_id="x"), ctx, monkeypatch)["Status"]
        == "SUCCESS"
    )
    assert (
        invoke(module, cfn_event("Delete", missing, physical_id="y"), ctx, monkeypatch)["Status"]
        == "SUCCESS"
    )


def test_create_on_a_missing_bucket_fails_with_a_reason(aws, module, ctx, monkeypatch):
    _, topics = aws
    event = cfn_event("Create", {"BucketName": "no-such-bucket", "TopicArn": topics["launch"]})

    response = invoke(module, event, ctx, monkeypatch)

    assert response["Status"] == "FAILED"
    assert "NoSuchBucket" in response["Reason"]
