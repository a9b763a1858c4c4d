"""Custom::RepositoryTrigger: our branch trigger is added beside the repository's others and
removed alone. moto has no CodeCommit triggers, so the client is a botocore Stubber."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from resources_support import cfn_event, invoke, load_resource

TOPIC = "arn:aws:sns:us-east-1:123456789012:launch"
THEIRS = {
    "name": "theirs",
    "destinationArn": "arn:aws:sns:us-east-1:123456789012:x",
    "branches": [],
    "events": ["all"],
}
OURS = {
    "name": "sagebuild-demo",
    "destinationArn": TOPIC,
    "branches": ["main"],
    "events": ["createReference", "updateReference"],
}
PROPERTIES = {
    "RepositoryName": "demo",
    "Branch": "main",
    "TopicArn": TOPIC,
    "TriggerName": "sagebuild-demo",
}


@pytest.fixture
def codecommit(monkeypatch):
    module = load_resource("repository_trigger")
    stubbed = boto3.client("codecommit", region_name="us-east-1")
    monkeypatch.setattr(module, "client", lambda service: stubbed)
    with Stubber(stubbed) as stubber:
        yield module, stubber
        stubber.assert_no_pending_responses()


def _get(stubber, triggers):
    stubber.add_response(
        "get_repository_triggers",
        {"triggers": triggers, "configurationId": "c"},
        {"repositoryName": "demo"},
    )


def _put(stubber, triggers):
    stubber.add_response(
        "put_repository_triggers",
        {"configurationId": "c"},
        {"repositoryName": "demo", "triggers": triggers},
    )


def _delete(module, ctx, monkeypatch) -> dict:
    """CloudFormation's Delete of our trigger; the response sent back."""
    event = cfn_event("Delete", PROPERTIES, physical_id="demo/sagebuild-demo")
    return invoke(module, event, ctx, monkeypatch)


def test_create_adds_our_trigger_beside_the_others(codecommit, ctx, monkeypatch):
    module, stubber = codecommit
    _get(stubber, [THEIRS])
    _put(stubber, [THEIRS, OURS])

    response = invoke(module, cfn_event("Create", PROPERTIES), ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == "demo/sagebuild-demo"


def test_update_replaces_our_trigger(codecommit, ctx, monkeypatch):
    module, stubber = codecommit
    _get(stubber, [OURS, THEIRS])
    _put(stubber, [THEIRS, {**OURS, "branches": ["release"]}])

    event = cfn_event(
        "Update", {**PROPERTIES, "Branch": "release"}, PROPERTIES, physical_id="demo/sagebuild-demo"
    )
    response = invoke(module, event, ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == "demo/sagebuild-demo"


def test_delete_removes_only_our_trigger(codecommit, ctx, monkeypatch):
    module, stubber = codecommit
    _get(stubber, [THEIRS, OURS])
    _put(stubber, [THEIRS])

    response = _delete(module, ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"


def test_delete_when_the_trigger_is_already_gone_is_success(codecommit, ctx, monkeypatch):
    module, stubber = codecommit
    _get(stubber, [THEIRS])  # and no put: nothing to change

    response = _delete(module, ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"


def test_delete_when_the_repository_is_gone_is_success(codecommit, ctx, monkeypatch):
    module, stubber = codecommit
    stubber.add_client_error("get_repository_triggers", "RepositoryDoesNotExistException")

    response = _delete(module, ctx, monkeypatch)

    assert response["Status"] == "SUCCESS"


def test_create_on_a_missing_repository_fails(codecommit, ctx, monkeypatch):
    module, stubber = codecommit
    stubber.add_client_error("get_repository_triggers", "RepositoryDoesNotExistException")

    response = invoke(module, cfn_event("Create", PROPERTIES), ctx, monkeypatch)

    assert response["Status"] == "FAILED"
    assert "RepositoryDoesNotExistException" in response["Reason"]
