"""The stack's endpoint from the CLI: `sagebuild invoke` and `sagebuild local env`.

`invoke` is one InvokeEndpoint on the endpoint named by the stack output `SageMakerEndpoint`,
through the target's clients (the local stack's or AWS's); what can go wrong before or during
the call is a `UserError` naming it. `env_lines` are the `export` lines that point the AWS CLI,
boto3 and the SageMaker Python SDK at the local stack.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from sagebuild.cli_support.aws import LOCAL_CREDENTIALS, LOCAL_REGION, Target
from sagebuild.cli_support.errors import UserError

DEFAULT_CONTENT_TYPE = "text/csv"


def local_env(endpoint_url: str, region: str = LOCAL_REGION) -> dict[str, str]:
    """The environment under which the AWS CLI and SDKs talk to the local stack."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


# A profile or session token of the shell would be used before (or beside) the dummy keys.
UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN")


def env_lines(endpoint_url: str, region: str = LOCAL_REGION) -> list[str]:
    """`unset`/`export` lines for a POSIX shell: `eval "$(sagebuild local env)"`."""
    exports = [f"export {k}={shlex.quote(v)}" for k, v in local_env(endpoint_url, region).items()]
    return [f"unset {' '.join(UNSET)}", *exports]


def request_body(file: Path | None, body: str | None) -> bytes:
    """The request body from `--file` (`-`: standard input) or `--body`; exactly one of them."""
    if file is not None and body is not None:
        raise UserError("give the request body with --file or with --body, not both")
    if file is None and body is None:
        raise UserError("no request body: give --file FILE or --body TEXT")
    if body is not None:
        return body.encode("utf-8")
    assert file is not None
    if str(file) == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(file).read_bytes()
    except OSError as error:
        raise UserError(f"cannot read {file}: {error.strerror or error}") from error


def _describe(target: Target, name: str) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    try:
        described: dict[str, Any] = target.client("sagemaker").describe_endpoint(EndpointName=name)
    except ClientError as error:
        message = str(error.response.get("Error", {}).get("Message", ""))
        if "could not find" in message.lower() or "not found" in message.lower():
            raise UserError(
                f"endpoint {name} does not exist {target.where}: a successful run deploys it "
                "(sagebuild start --wait)"
            ) from None
        raise
    return described


def invoke(target: Target, body: bytes, content_type: str, accept: str | None) -> tuple[bytes, str]:
    """InvokeEndpoint on the stack's endpoint: (answer body, its content type)."""
    from botocore.exceptions import ClientError

    name = target.output("SageMakerEndpoint")
    described = _describe(target, name)
    status = described.get("EndpointStatus", "")
    if status != "InService":
        reason = described.get("FailureReason") or ""
        raise UserError(
            f"endpoint {name} is {status}, not InService {target.where}"
            + (f": {reason}" if reason else "; try again once it is InService")
        )
    request: dict[str, Any] = {"EndpointName": name, "ContentType": content_type, "Body": body}
    if accept:
        request["Accept"] = accept
    try:
        response = target.client("sagemaker-runtime").invoke_endpoint(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ModelError":
            raise
        code = error.response.get("OriginalStatusCode")
        original = str(error.response.get("OriginalMessage") or "").strip()
        message = str(error.response.get("Error", {}).get("Message", ""))
        said = " ".join((original or message).split())[:500]
        raise UserError(
            f"the model of endpoint {name} answered an error"
            + (f" ({code})" if code else "")
            + f": {said}"
        ) from None
    return response["Body"].read(), str(response.get("ContentType") or "")
