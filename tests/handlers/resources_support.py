"""Shared helpers of the custom resource tests: CloudFormation events and captured responses.

crhelper builds boto3 clients when its module is imported, so resource modules are imported
inside tests (after the handler conftest set a region and dummy credentials), never at
collection.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from crhelper import CfnResource
from moto import mock_aws

_SEND = CfnResource._send  # the real method, captured before any test patches it
REGION = "us-east-1"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/00000000-0000-0000-0"


def cfn_event(
    request_type: str,
    properties: dict,
    old_properties: dict | None = None,
    physical_id: str | None = None,
    logical_id: str = "Resource",
) -> dict:
    """A custom resource request as CloudFormation sends it."""
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:resource",
        "ResponseURL": "https://cloudformation-custom-resource-response.example/response",
        "StackId": STACK_ID,
        "RequestId": f"request-{request_type.lower()}",
        "LogicalResourceId": logical_id,
        "ResourceType": "Custom::Test",
        "ResourceProperties": {"ServiceToken": "token", **properties},
    }
    if old_properties is not None:
        event["OldResourceProperties"] = {"ServiceToken": "token", **old_properties}
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


def load_resource(name: str) -> ModuleType:
    return importlib.import_module(f"resources.{name}")


def resource_fixture(name: str) -> Callable[[], ModuleType]:
    """A fixture giving the resource module `name`, imported when a test first needs it."""

    @pytest.fixture
    def module() -> ModuleType:
        return load_resource(name)

    return module


def moto_client_fixture(service: str) -> Callable[[], Iterator[Any]]:
    """A fixture giving a moto client of `service`, the domain's cached clients reset around it."""

    @pytest.fixture
    def client() -> Iterator[Any]:
        from domain.clients import reset_clients

        with mock_aws():
            reset_clients()
            yield boto3.client(service, region_name=REGION)
            reset_clients()

    return client


def invoke(module: ModuleType, event: dict, context: Any, monkeypatch: Any) -> dict:
    """Run the module's handler and return the response body it sent to CloudFormation."""
    sent: list[dict] = []

    def capture(self: Any, status: Any = None, reason: str = "", send_response: Any = None):
        return _SEND(self, status, reason, send_response=lambda url, body, ssl: sent.append(body))

    monkeypatch.setattr(CfnResource, "_send", capture)
    module.handler(event, context)
    assert len(sent) == 1, f"expected one response to CloudFormation, got {len(sent)}"
    return sent[0]
