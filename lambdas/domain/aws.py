"""Small helpers over boto3 calls that several domain modules share."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from domain.errors import InvalidParameters, ParameterTooLarge

ClientFactory = Callable[[str], Any]

_NOT_FOUND_CODES = {"ValidationException", "ResourceNotFound", "NoSuchKey", "ParameterNotFound"}


def is_not_found(error: ClientError) -> bool:
    """A "no such resource" answer. SageMaker says it with a ValidationException whose message
    varies: "Could not find endpoint ...", "... does not exist", and for DescribeTrainingJob
    "Requested resource not found." (https://github.com/aws/aws-sdk/issues/165)."""
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "").lower()
    return code in _NOT_FOUND_CODES and (
        code != "ValidationException"
        or any(words in message for words in ("not find", "does not exist", "not found"))
    )


def read_json_parameter(aws: ClientFactory, name: str) -> dict[str, Any]:
    """The JSON object stored in an SSM parameter ({} when the parameter is empty).

    A value that is not a JSON object raises InvalidParameters naming the parameter and, for
    a syntax error, where it is ("... at line 1, column 37"), so the run's failure says which
    document to fix rather than repeating the decoder's bare message.
    """
    value = aws("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    invalid = f"the parameter document {name} is not valid JSON"
    try:
        document = json.loads(value) if value.strip() else {}
    except json.JSONDecodeError as error:
        raise InvalidParameters(
            [f"{invalid}: {error.msg} at line {error.lineno}, column {error.colno}"]
        ) from None
    except RecursionError:  # the decoder recurses once per nested array or object
        raise InvalidParameters(
            [f"{invalid}: arrays or objects are nested too deeply to read"]
        ) from None
    if not isinstance(document, dict):
        raise InvalidParameters(
            [f"the parameter document {name} must be a JSON object, got {_json_kind(document)}"]
        )
    return document


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"


#: SSM Parameter Store value limits, in characters (PutParameter API reference, `Value`:
#: "Standard parameters have a value limit of 4 KB. Advanced parameters have a value limit of
#: 8 KB."). https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
STANDARD_PARAMETER_LIMIT = 4096
ADVANCED_PARAMETER_LIMIT = 8192


def json_parameter(document: dict[str, Any], indent: int | None = None) -> tuple[str, str | None]:
    """(value, tier) to store `document` in SSM: the smallest tier that holds it.

    The value is the document's JSON (indented if `indent` is given) when that fits a Standard
    parameter, else its compact JSON; tier None (the parameter keeps its tier; a new one gets
    the account's default, Standard) up to 4,096 characters, "Advanced" up to 8,192 (an
    Advanced parameter costs money and cannot be made Standard again). Larger: ParameterTooLarge.
    """
    compact = json.dumps(document, sort_keys=True, separators=(",", ":"))
    for text in (json.dumps(document, sort_keys=True, indent=indent), compact):
        if len(text) <= STANDARD_PARAMETER_LIMIT:
            return text, None
    if len(compact) <= ADVANCED_PARAMETER_LIMIT:
        return compact, "Advanced"
    raise ParameterTooLarge(
        f"the JSON document is {len(compact):,} characters; an SSM parameter holds at most "
        f"{ADVANCED_PARAMETER_LIMIT:,} (Advanced tier, {STANDARD_PARAMETER_LIMIT:,} Standard): "
        "nothing saved, make the document smaller"
    )


def put_json_parameter_request(
    name: str, document: dict[str, Any], indent: int | None = None
) -> dict[str, Any]:
    """The exact PutParameter request that overwrites `name` with `document` (json_parameter).

    PutParameter: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
    """
    value, tier = json_parameter(document, indent)
    request = {"Name": name, "Value": value, "Type": "String", "Overwrite": True}
    if tier:
        request["Tier"] = tier
    return request


def write_json_parameter(aws: ClientFactory, name: str, document: dict[str, Any]) -> None:
    aws("ssm").put_parameter(**put_json_parameter_request(name, document))


def describe_endpoint(aws: ClientFactory, name: str) -> dict[str, Any] | None:
    """DescribeEndpoint, or None when the endpoint does not exist."""
    try:
        described: dict[str, Any] = aws("sagemaker").describe_endpoint(EndpointName=name)
        return described
    except ClientError as error:
        if is_not_found(error):
            return None
        raise


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def invoke_json(aws: ClientFactory, function: str, payload: dict[str, Any]) -> Any:
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
