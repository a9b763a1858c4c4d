"""Custom::SageMakerCleanup: owns the name of the stack's endpoint and, when the stack is
deleted, deletes the endpoint, then the endpoint configs and models the stack's runs created.

Properties: `StackName`, `EndpointName` ("" = the stack name made valid, as the step functions
derive it). Attribute `EndpointName`. Physical id: `sagebuild-cleanup-<stack>` (stable, so a
renamed endpoint is an Update: the old endpoint is deleted then, its configs and models kept).

What belongs to the stack: the endpoint, configs and models tagged `sagebuild:stack=<stack>`.
The role's IAM allows deletes only on resources with that tag, so an untagged one (made before
runs tagged what they create) is left alone and logged, never a failed stack delete. IAM is
evaluated before existence: a tag-conditioned DeleteEndpoint on an endpoint that is not there
is AccessDenied, so the endpoint is described first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from domain.autoscaling import release_variants
from domain.aws import is_not_found
from domain.clients import client
from domain.naming import endpoint_name, sanitise

from resources._helper import new_helper

logger = Logger()
helper = new_helper()

STACK_TAG = "sagebuild:stack"


def stack_endpoint(properties: dict[str, Any]) -> str:
    return endpoint_name(str(properties["StackName"]), str(properties.get("EndpointName") or ""))


def delete_endpoint(name: str, stack: str) -> bool:
    """DeleteEndpoint; False when it was already gone or is not this stack's (untagged).

    Its autoscaled variants are released first (scaling policies, then scalable targets):
    DeleteEndpoint fails while one is registered and the caller may not deregister it.
    """
    try:
        described = client("sagemaker").describe_endpoint(EndpointName=name)
        if not _belongs(stack, name, described["EndpointArn"]):
            return False  # IAM lets this role delete only what the stack tagged
        variants = [v["VariantName"] for v in described.get("ProductionVariants") or []]
        release_variants(client, name, variants)
        client("sagemaker").delete_endpoint(EndpointName=name)
    except ClientError as error:
        if is_not_found(error):
            return False
        raise
    return True


def _names(kind: str, name_contains: str) -> Iterator[tuple[str, str]]:
    """(name, arn) of every model or endpoint config whose name contains the text."""
    sagemaker = client("sagemaker")
    if kind == "model":
        pages = sagemaker.get_paginator("list_models").paginate(NameContains=name_contains)
        for page in pages:
            for item in page.get("Models", []):
                yield item["ModelName"], item["ModelArn"]
    else:
        pages = sagemaker.get_paginator("list_endpoint_configs").paginate(
            NameContains=name_contains
        )
        for page in pages:
            for item in page.get("EndpointConfigs", []):
                yield item["EndpointConfigName"], item["EndpointConfigArn"]


def _belongs(stack: str, name: str, arn: str) -> bool:
    try:
        tags = client("sagemaker").list_tags(ResourceArn=arn).get("Tags", [])
    except ClientError as error:
        if is_not_found(error):
            return False
        raise
    by_key = {tag["Key"]: tag["Value"] for tag in tags}
    if STACK_TAG not in by_key:
        logger.info("untagged: not this stack's to delete", extra={"resource": name})
    return by_key.get(STACK_TAG) == stack


def _delete(kind: str, name: str) -> bool:
    sagemaker = client("sagemaker")
    try:
        if kind == "model":
            sagemaker.delete_model(ModelName=name)
        else:
            sagemaker.delete_endpoint_config(EndpointConfigName=name)
    except ClientError as error:
        if is_not_found(error):
            return False
        raise
    return True


def delete_stack_resources(stack: str) -> dict[str, list[str]]:
    """Delete the stack's endpoint configs, then its models. Returns what was deleted."""
    # Run names start with the (possibly cut) sanitised stack name: a cheap server-side filter.
    prefix = sanitise(stack)[:20]
    deleted: dict[str, list[str]] = {"endpoint_config": [], "model": []}
    for kind in ("endpoint_config", "model"):
        for name, arn in list(_names(kind, prefix)):
            if _belongs(stack, name, arn) and _delete(kind, name):
                deleted[kind].append(name)
    return deleted


@helper.create
def create(event: dict[str, Any], context: Any) -> str:
    properties = event["ResourceProperties"]
    helper.Data["EndpointName"] = stack_endpoint(properties)
    return f"sagebuild-cleanup-{properties['StackName']}"


@helper.update
def update(event: dict[str, Any], context: Any) -> str:
    new, old = (
        stack_endpoint(event["ResourceProperties"]),
        stack_endpoint(event["OldResourceProperties"]),
    )
    if new != old and delete_endpoint(old, str(event["ResourceProperties"]["StackName"])):
        logger.info("renamed endpoint: deleted the old one", extra={"endpoint": old, "new": new})
    helper.Data["EndpointName"] = new
    return str(event["PhysicalResourceId"])


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    properties = event["ResourceProperties"]
    stack = str(properties["StackName"])
    endpoint = stack_endpoint(properties)
    gone = not delete_endpoint(endpoint, stack)
    deleted = delete_stack_resources(stack)
    logger.info(
        "stack's SageMaker resources deleted",
        extra={"endpoint": endpoint, "endpoint_already_gone": gone, **deleted},
    )


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
