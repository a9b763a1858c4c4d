"""Driving a deployed sagebuild stack: upload data and code, start a run, follow it, predict.

Used by the demo, the end-to-end tests and the notebooks alike; works with any boto3 client
factory (the local stack's or a real AWS session's). Finding and following a run is
`sagebuild.cli_support.following`, the same as the CLI's.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagebuild.cli_support import following

ClientFactory = Callable[[str], Any]
FINAL = following.FINAL  # the statuses of an execution that has ended


def topic_queue_policy(queue_arn: str, topic_arn: str) -> dict[str, Any]:
    """The queue policy that lets one SNS topic deliver to the queue (SNS Developer Guide,
    "Subscribing an Amazon SQS queue to an Amazon SNS topic")."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }


def source_tarball(directory: Path) -> bytes:
    """A sourcedir.tar.gz of a script directory, as the SageMaker SDK uploads it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(Path(directory).iterdir()):
            if path.is_file() and path.suffix in {".py", ".txt"}:
                tar.add(path, arcname=path.name)
    return buffer.getvalue()


def source_zip(directory: Path) -> bytes:
    """A zip of a build context (for CodeBuild's S3 source), keeping executable bits."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(Path(directory).rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(str(path.relative_to(directory)))
                info.external_attr = (path.stat().st_mode & 0o777) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


@dataclass
class Stack:
    """A deployed stack, seen through its outputs (and its name, when known)."""

    outputs: dict[str, str]
    client: ClientFactory
    name: str = ""

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
        """Save the parameter document (the Advanced tier when it needs more than 4,096
        characters; a UserError naming the 8,192 limit beyond)."""
        from sagebuild.cli_support.domain import parameter_request

        request = parameter_request(self.outputs["ParameterStore"], document)
        self.client("ssm").put_parameter(**request)

    def update_parameters(self, **changes: Any) -> dict:
        document = {**self.get_parameters(), **changes}
        self.set_parameters(document)
        return document

    def stack_parameters(self) -> dict[str, str]:
        """The CloudFormation parameters the stack was deployed with (needs `name`)."""
        if not self.name:
            raise ValueError("the stack's name is not known")
        stack = self.client("cloudformation").describe_stacks(StackName=self.name)["Stacks"][0]
        return {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}

    def last_version(self) -> dict:
        """The version record of the last successful run (the seed `{"version": 0}` before one)."""
        value = self.client("ssm").get_parameter(Name=self.outputs["VersionParameterStore"])[
            "Parameter"
        ]["Value"]
        record = json.loads(value or "{}")
        return record if isinstance(record, dict) else {}

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
        return following.first_new_run(
            self.client("stepfunctions"), self.outputs["StateMachine"], known, timeout
        )

    def follow(
        self, execution_arn: str, timeout: float = 300, poll: float = 0.2
    ) -> Iterator[tuple[str, float]]:
        """Yield (state name, seconds since start) for each state entered, until the run ends."""
        started = time.monotonic()
        looks = following.follow(self.client("stepfunctions"), execution_arn, poll, timeout)
        for name, _seen in following.states_entered(looks):
            yield name, time.monotonic() - started

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

    def stop_run(self, execution_arn: str, cause: str = "stopped by the user") -> None:
        """StopExecution: the run ends ABORTED; the endpoint keeps serving what it served."""
        self.client("stepfunctions").stop_execution(
            executionArn=execution_arn, error="StoppedByUser", cause=cause
        )

    def publish_rollback(self, version: int | None = None) -> str:
        """Ask the RollbackFunction for the previous version, or for `version`."""
        message = {} if version is None else {"version": version}
        return self.client("sns").publish(
            TopicArn=self.outputs["RollbackTopic"], Message=json.dumps(message)
        )["MessageId"]

    def endpoint(self) -> dict:
        """DescribeEndpoint of the stack's endpoint."""
        return self.client("sagemaker").describe_endpoint(
            EndpointName=self.outputs["SageMakerEndpoint"]
        )

    def wait_for_endpoint(
        self, config: str | None = None, not_config: str | None = None, timeout: float = 120
    ) -> dict:
        """Wait until the endpoint is InService on `config` (or on any config but `not_config`)."""
        deadline = time.monotonic() + timeout
        while True:
            described = self.endpoint()
            serving = described["EndpointConfigName"]
            wanted = (config is None or serving == config) and serving != not_config
            if wanted and described["EndpointStatus"] == "InService":
                return described
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"endpoint is {described['EndpointStatus']} on {serving} after {timeout:.0f} s"
                )
            time.sleep(0.2)

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
        topic = self.outputs["TrainStatusTopic"]
        sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": json.dumps(topic_queue_policy(arn, topic))}
        )
        self.client("sns").subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "false"},
        )
        return url

    def close_inbox(self, inbox: str) -> None:
        """Unsubscribe the inbox queue from the TrainStatusTopic and delete it."""
        sqs, sns = self.client("sqs"), self.client("sns")
        arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        listed = sns.list_subscriptions_by_topic(TopicArn=self.outputs["TrainStatusTopic"])
        for subscription in listed["Subscriptions"]:
            if subscription["Endpoint"] == arn:
                sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
        sqs.delete_queue(QueueUrl=inbox)

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
