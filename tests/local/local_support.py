"""Shared helpers of the local-tier tests: small Python functions deployed to a local stack, and
local SageMaker installed over moto."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from sagebuild.local import images
from sagebuild.local import sagemaker as local_sagemaker
from sagebuild.local.stack import LocalStack

# Appends each event to the file named by OUT; raises when FAIL is "1".
RECORDER = (
    "import json, os\n"
    "def handler(event, context):\n"
    "    with open(os.environ['OUT'], 'a') as out:\n"
    "        out.write(json.dumps(event) + '\\n')\n"
    "    if os.environ.get('FAIL') == '1':\n"
    "        raise ValueError('boom: the event is bad')\n"
    "    return {'ok': True}\n"
)


def code_zip(module: str, source: str) -> bytes:
    """A deployment package holding the one module `module`.py."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()


def python_function(
    local: LocalStack,
    name: str,
    role: str,
    source: str,
    *,
    module: str = "h",
    environment: dict[str, str] | None = None,
    **extra: Any,
) -> str:
    """Create function `name` running `module`.handler from `source` as `role`; its ARN."""
    if environment is not None:
        extra["Environment"] = {"Variables": environment}
    return local.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler=f"{module}.handler",
        Code={"ZipFile": code_zip(module, source)},
        **extra,
    )["FunctionArn"]


def recording_function(
    local: LocalStack,
    name: str,
    role: str,
    *,
    fail: bool = False,
    **extra: Any,
) -> tuple[str, Callable[[], list[Any]]]:
    """A function that appends each event it gets to a file (and then fails if `fail`);
    (its ARN, the events so far)."""
    out = local.work_dir / f"{name}.jsonl"
    environment = {"OUT": str(out), "FAIL": "1" if fail else "0"}
    arn = python_function(
        local, name, role, RECORDER, module="record", environment=environment, **extra
    )

    def events() -> list[Any]:
        if not out.exists():
            return []
        return [json.loads(line) for line in out.read_text().splitlines()]

    return arn, events


def queue(local: LocalStack, name: str) -> tuple[str, str]:
    """Create SQS queue `name`; (its URL, its ARN)."""
    sqs = local.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


class Aws:
    """The clients the local SageMaker tests use, on moto in-process or at `endpoint_url`."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        kwargs: dict[str, Any] = {"region_name": "us-east-1"}
        if endpoint_url:
            kwargs["endpoint_url"] = endpoint_url
        self.s3 = boto3.client("s3", **kwargs)
        self.sm = boto3.client("sagemaker", **kwargs)
        self.runtime = boto3.client("sagemaker-runtime", **kwargs)


@contextlib.contextmanager
def local_sagemaker_on_moto(root: Path, bucket: str) -> Iterator[Aws]:
    """Local SageMaker installed over in-process moto, working under `root`, with `bucket`."""
    with mock_aws():
        uninstall = local_sagemaker.install(root)
        clients = Aws()
        clients.s3.create_bucket(Bucket=bucket)
        try:
            yield clients
        finally:
            uninstall()
            images.clear()
