"""SNS → Lambda events carry each message's own id, topic, subject and attributes."""

import pytest
from helpers import service_role
from local_support import recording_function

from sagebuild.local.stack import LocalStack


@pytest.fixture
def local():
    with LocalStack(None, local_services=False) as stack:
        yield stack


def test_each_message_reaches_lambda_with_its_own_id_topic_and_attributes(local):
    role = service_role(local.client("iam"), "echo-role", ["lambda.amazonaws.com"])
    function, events = recording_function(local, "echo", role)
    sns = local.client("sns")
    topic = sns.create_topic(Name="launch")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)
    ids = [
        sns.publish(
            TopicArn=topic,
            Message=f"m{i}",
            Subject="hello",
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
        )["MessageId"]
        for i in range(2)
    ]
    records = [event["Records"][0]["Sns"] for event in events()]
    assert [r["MessageId"] for r in records] == ids
    assert {r["TopicArn"] for r in records} == {topic}
    assert [r["Message"] for r in records] == ["m0", "m1"]
    assert records[0]["Subject"] == "hello"
    assert records[0]["MessageAttributes"] == {"kind": {"Type": "String", "Value": "test"}}
