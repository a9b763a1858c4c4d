"""write_order: atomic DynamoDB conditional writes under threads; S3 events carry a sequencer."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from sagebuild.local.moto_ext import write_order

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        undo = write_order.install()
        try:
            yield
        finally:
            undo()


def test_of_many_concurrent_conditional_puts_of_one_key_exactly_one_succeeds(aws):
    db = boto3.client("dynamodb", region_name=REGION)
    db.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )

    def put(writer: int) -> bool:
        try:
            db.put_item(
                TableName="t",
                Item={"pk": {"S": "lease"}, "writer": {"N": str(writer)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
            return False
        return True

    with ThreadPoolExecutor(max_workers=16) as pool:
        won = [writer for writer, ok in zip(range(64), pool.map(put, range(64)), strict=True) if ok]
    assert len(won) == 1
    item = db.get_item(TableName="t", Key={"pk": {"S": "lease"}})["Item"]
    assert item["writer"]["N"] == str(won[0])


def test_s3_event_records_carry_a_sequencer_that_grows_with_each_event(aws):
    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    s3.create_bucket(Bucket="data")
    queue = sqs.create_queue(QueueName="events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification_configuration(
        Bucket="data",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    for body in (b"one", b"two", b"three"):
        s3.put_object(Bucket="data", Key="train/a.csv", Body=body)
    sequencers = []
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in messages:
            for record in json.loads(message["Body"]).get("Records", []):
                sequencers.append(record["s3"]["object"]["sequencer"])
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    assert len(sequencers) == 3 and len(set(sequencers)) == 3
    assert sequencers == sorted(sequencers) and all(len(s) == 16 for s in sequencers)
