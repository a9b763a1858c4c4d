"""The runtime: InvokeEndpoint answered by the endpoint's live model server.

moto's sagemaker-runtime answers a canned `body`. Here Body, ContentType and Accept go over
HTTP to a server of the endpoint (the TargetVariant's, else one chosen by the variants'
weights); an error answer is a ModelError (HTTP 424) as SageMaker's, and a captured
invocation is written as the endpoint's DataCaptureConfig says (`datacapture`).
"""

from __future__ import annotations

import http.client
import logging
import random
from typing import Any

from moto.core.exceptions import ServiceException
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from sagebuild.local import datacapture, s3sync
from sagebuild.local.sagemaker.servers import ModelServer
from sagebuild.local.sagemaker.state import LocalSageMaker, current

LOG = logging.getLogger(__name__)


class ModelError(ServiceException):
    """sagemaker-runtime's ModelError (HTTP 424): the model server answered with an error."""

    code = "ModelError"

    def __init__(self, message: str, status: int, original: str, log_stream: str) -> None:
        super().__init__(message)
        self.OriginalStatusCode = status
        self.OriginalMessage = original
        self.LogStreamArn = log_stream


class EndpointNotFound(ServiceException):
    code = "ValidationError"


def server_for(
    local: LocalSageMaker, account: str, region: str, name: str, variant: str | None
) -> ModelServer:
    """A server of endpoint `name`: of `variant` if given, else chosen by the weights."""
    with local.lock:
        state = local.endpoints.get((account, region, name))
        servers = list(state.servers) if state else []
    if variant:
        servers = [s for s in servers if s.variant == variant]
    if not servers:
        raise EndpointNotFound(f"Endpoint {name} of account {account} not found.")
    return random.choices(servers, weights=[s.weight for s in servers])[0]


def respond_invoke_endpoint(self: SageMakerRuntimeResponse) -> Any:
    name = self._get_params().get("EndpointName") or self.path.split("/")[2]
    headers = {k.lower(): v for k, v in self.headers.items()}
    server = server_for(
        current(),
        self.current_account,
        self.region,
        name,
        headers.get("x-amzn-sagemaker-target-variant"),
    )
    body = self.body if isinstance(self.body, bytes) else str(self.body or "").encode()
    request_headers = {"Content-Type": headers.get("content-type", "application/octet-stream")}
    if headers.get("accept"):
        request_headers["Accept"] = headers["accept"]
    log_stream = (
        f"arn:aws:logs:{self.region}:{self.current_account}:log-group:"
        f"/aws/sagemaker/Endpoints/{name}"
    )
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.request("POST", "/invocations", body=body, headers=request_headers)
        response = connection.getresponse()
        payload = response.read()
        content_type = response.getheader("Content-Type") or "application/octet-stream"
        connection.close()
    except OSError as error:
        raise ModelError(
            f"Model server of production variant {server.variant} did not answer: {error}",
            500,
            str(error),
            log_stream,
        ) from error
    if response.status != 200:
        text = payload.decode("utf-8", errors="replace")[:1000]
        kind = "client" if response.status < 500 else "server"
        raise ModelError(
            f'Received {kind} error ({response.status}) from primary with message "{text}". '
            f"See {log_stream} in account {self.current_account} for more information.",
            response.status,
            text,
            log_stream,
        )
    try:
        datacapture.capture_invocation(
            self.current_account,
            self.region,
            name,
            server.variant,
            (request_headers["Content-Type"], body),
            (content_type, payload),
        )
    except s3sync.S3Error as error:
        # SageMaker logs a capture it cannot write; the invocation still answers. The IAM
        # ledger keeps the denial, so the e2e suite fails on it.
        LOG.warning("data capture of endpoint %s failed: %s", name, error)
    return (
        200,
        {"Content-Type": content_type, "x-Amzn-Invoked-Production-Variant": server.variant},
        payload,
    )
