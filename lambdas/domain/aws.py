"""Small helpers over boto3 calls that several domain modules share."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

ClientFactory = Callable[[str], Any]

_NOT_FOUND_CODES = {"ValidationException", "ResourceNotFound", "NoSuchKey", "ParameterNotFound"}


def is_not_found(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    return code in _NOT_FOUND_CODES and (
        code != "ValidationException"
        or "not find" in message.lower()
        or "does not exist" in message.lower()
    )


def read_json_parameter(aws: ClientFactory, name: str) -> dict:
    """The JSON object stored in an SSM parameter ({} when the parameter is empty)."""
    value = aws("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    document = json.loads(value) if value.strip() else {}
    if not isinstance(document, dict):
        raise ValueError(f"SSM parameter {name} does not hold a JSON object")
    return document


def write_json_parameter(aws: ClientFactory, name: str, document: dict) -> None:
    aws("ssm").put_parameter(
        Name=name, Value=json.dumps(document, sort_keys=True), Type="String", Overwrite=True
    )


def describe_endpoint(aws: ClientFactory, name: str) -> dict | None:
    """DescribeEndpoint, or None when the endpoint does not exist."""
    try:
        return aws("sagemaker").describe_endpoint(EndpointName=name)
    except ClientError as error:
        if is_not_found(error):
            return None
        raise


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def invoke_json(aws: ClientFactory, function: str, payload: dict) -> Any:
    """Invoke a Lambda function synchronously and return its decoded result."""
    response = aws("lambda").invoke(
        FunctionName=function, Payload=json.dumps(payload, default=str).encode()
    )
    body = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        raise RuntimeError(f"override Lambda {function} failed: {body}")
    return body


def json_safe(value: Any) -> Any:
    """Drop what JSON cannot carry (datetimes become ISO strings)."""
    return json.loads(json.dumps(value, default=str))
