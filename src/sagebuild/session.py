"""Driving a deployed sagebuild stack: upload data and code, start a run, follow it, predict.

Used by the demo, the end-to-end tests and the notebooks alike; works with any boto3 client
factory (the local stack's or a real AWS session's).
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ClientFactory = Callable[[str], Any]
FINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def source_tarball(directory: Path) -> bytes:
    """A sourcedir.tar.gz of a script directory, as the SageMaker SDK uploads it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(Path(directory).iterdir()):
            if path.is_file() and path.suffix in {".py", ".txt"}:
                tar.add(path, arcname=path.name)
    return buffer.getvalue()


@dataclass
class Stack:
    """A deployed stack, seen through its outputs."""

    outputs: dict[str, str]
    client: ClientFactory

    def upload_data(self, path: Path, key: str) -> str:
        bucket = self.outputs["DataBucket"]
        self.client("s3").put_object(Bucket=bucket, Key=key, Body=Path(path).read_bytes())
        return f"s3://{bucket}/{key}"

    def upload_source(self, directory: Path, key: str = "scripts/source.tar.gz") -> str:
        bucket = self.outputs["CodeBucket"]
        self.client("s3").put_object(Bucket=bucket, Key=key, Body=source_tarball(directory))
        return f"s3://{bucket}/{key}"

    def get_parameters(self) -> dict:
        name = self.outputs["ParameterStore"]
        return json.loads(self.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])

    def set_parameters(self, document: dict) -> None:
        self.client("ssm").put_parameter(
            Name=self.outputs["ParameterStore"],
            Value=json.dumps(document),
            Type="String",
            Overwrite=True,
        )

    def update_parameters(self, **changes: Any) -> dict:
        document = {**self.get_parameters(), **changes}
        self.set_parameters(document)
        return document

    def publish_launch(self, message: dict | str) -> str:
        body = message if isinstance(message, str) else json.dumps(message)
        return self.client("sns").publish(TopicArn=self.outputs["LaunchTopic"], Message=body)[
            "MessageId"
        ]

    def executions(self) -> list[dict]:
        return self.client("stepfunctions").list_executions(
            stateMachineArn=self.outputs["StateMachine"]
        )["executions"]

    def wait_for_execution(self, known: set[str], timeout: float = 30) -> str:
        """The ARN of the first execution not in `known` (started by a trigger)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for execution in self.executions():
                if execution["executionArn"] not in known:
                    return execution["executionArn"]
            time.sleep(0.1)
        raise TimeoutError("no run started within the timeout")

    def follow(
        self, execution_arn: str, timeout: float = 300, poll: float = 0.2
    ) -> Iterator[tuple[str, float]]:
        """Yield (state name, seconds since start) for each state entered, until the run ends."""
        sfn = self.client("stepfunctions")
        seen, started = 0, time.monotonic()
        deadline = started + timeout
        while True:
            status = sfn.describe_execution(executionArn=execution_arn)["status"]
            events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)[
                "events"
            ]
            entered = [e for e in events if e["type"].endswith("StateEntered")]
            for event in entered[seen:]:
                yield event["stateEnteredEventDetails"]["name"], time.monotonic() - started
            seen = len(entered)
            if status in FINAL:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"run still {status} after {timeout:.0f} s")
            time.sleep(poll)

    def run_result(self, execution_arn: str) -> dict:
        described = self.client("stepfunctions").describe_execution(executionArn=execution_arn)
        return {
            "status": described["status"],
            "output": json.loads(described.get("output") or "null"),
        }

    def run(self, message: dict | str, timeout: float = 300) -> tuple[str, list[str], dict]:
        """Publish a launch message and follow the run: (execution arn, path, result)."""
        known = {e["executionArn"] for e in self.executions()}
        self.publish_launch(message)
        arn = self.wait_for_execution(known)
        path = [name for name, _ in self.follow(arn, timeout)]
        return arn, path, self.run_result(arn)

    def predict(self, rows: list[list[float]], accept: str = "application/json") -> Any:
        body = "\n".join(",".join(str(v) for v in row) for row in rows)
        response = self.client("sagemaker-runtime").invoke_endpoint(
            EndpointName=self.outputs["SageMakerEndpoint"],
            ContentType="text/csv",
            Accept=accept,
            Body=body.encode(),
        )
        payload = response["Body"].read().decode()
        return json.loads(payload) if accept == "application/json" else payload

    def subscribe_inbox(self, name: str = "sagebuild-inbox") -> str:
        """An SQS queue subscribed to the TrainStatusTopic (to read notifications)."""
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.client("sns").subscribe(
            TopicArn=self.outputs["TrainStatusTopic"],
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "false"},
        )
        return url

    def notifications(self, inbox: str) -> list[dict]:
        sqs, found = self.client("sqs"), list[dict]()
        while True:
            messages = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=inbox, ReceiptHandle=message["ReceiptHandle"])
