"""Handler tier: each handler against moto, with the environment the template gives it."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "demo"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def stack(monkeypatch):
    """A minimal deployed stack in moto: buckets, parameters, topics, run table, roles."""
    from domain.clients import reset_clients
    from handlers.common import get_settings

    with mock_aws():
        reset_clients()
        get_settings.cache_clear()
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in ("data", "artifacts", "checkpoints", "code"):
            s3.create_bucket(Bucket=f"{STACK}-{bucket}")
        ssm = boto3.client("ssm", region_name=REGION)
        ssm.put_parameter(
            Name="/demo/params",
            Type="String",
            Value=json.dumps({"trainsourcefile": f"s3://{STACK}-code/scripts/source.tar.gz"}),
        )
        ssm.put_parameter(Name="/demo/version", Type="String", Value=json.dumps({"version": 0}))
        s3.put_object(Bucket=f"{STACK}-code", Key="scripts/source.tar.gz", Body=b"tar")
        sns = boto3.client("sns", region_name=REGION)
        status_topic = sns.create_topic(Name="status")["TopicArn"]
        launch_topic = sns.create_topic(Name="launch")["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=status_topic, Protocol="sqs", Endpoint=inbox_arn)
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName="runs",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="sm", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        env = {
            "STACK_NAME": STACK,
            "PARAMETER_NAME": "/demo/params",
            "VERSION_PARAMETER_NAME": "/demo/version",
            "STATUS_TOPIC_ARN": status_topic,
            "LAUNCH_TOPIC_ARN": launch_topic,
            "DATA_BUCKET": f"{STACK}-data",
            "ARTIFACT_BUCKET": f"{STACK}-artifacts",
            "CHECKPOINT_BUCKET": f"{STACK}-checkpoints",
            "CODE_BUCKET": f"{STACK}-code",
            "IMAGE_REPOSITORY_URI": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/demo",
            "IMAGE_BUILD_PROJECT": "demo-image-build",
            "TRAINING_ROLE_ARN": role,
            "MODEL_ROLE_ARN": role,
            "CONFIG_FRAMEWORK": "SCIKIT",
            "ENDPOINT_NAME": "",
            "TRAINING_CONFIG_LAMBDA": "EMPTY",
            "MODEL_CONFIG_LAMBDA": "EMPTY",
            "ENDPOINT_CONFIG_LAMBDA": "EMPTY",
            "ETL_STATE_MACHINE": "EMPTY",
            "POSTPROCESS_STATE_MACHINE": "EMPTY",
            "POLL_FLOOR_SECONDS": "30",
            "RUN_TABLE": "runs",
            "STATE_MACHINE_ARN": "",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield {"env": env, "inbox": inbox, "table": "runs"}
        get_settings.cache_clear()
        reset_clients()


class Ctx:
    function_name = "test"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:test"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def ctx():
    return Ctx()


def notifications(inbox: str) -> list[dict]:
    """Every message the status topic delivered to the test inbox (SNS envelopes)."""
    sqs = boto3.client("sqs", region_name=REGION)
    found = []
    while True:
        messages = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=message["ReceiptHandle"])
