"""SNS → Lambda events carry each message's own id, topic, subject and attributes."""

import json

import pytest

from sagebuild.local.stack import LocalStack


@pytest.fixture
def local():
    with LocalStack(None, local_services=False) as stack:
        yield stack


def _function(local, name: str) -> str:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "echo.py",
            "import json\n"
            "def handler(event, context):\n"
            "    import os\n"
            "    open(os.environ['OUT'], 'a').write(json.dumps(event) + '\\n')\n",
        )
    role = local.client("iam").create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    return local.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="echo.handler",
        Code={"ZipFile": buffer.getvalue()},
        Environment={"Variables": {"OUT": str(local.work_dir / f"{name}.jsonl")}},
    )["FunctionArn"]


def test_each_message_reaches_lambda_with_its_own_id_topic_and_attributes(local):
    sns = local.client("sns")
    topic = sns.create_topic(Name="launch")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=_function(local, "echo"))
    ids = [
        sns.publish(
            TopicArn=topic,
            Message=f"m{i}",
            Subject="hello",
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
        )["MessageId"]
        for i in range(2)
    ]
    events = [json.loads(line) for line in (local.work_dir / "echo.jsonl").read_text().splitlines()]
    records = [event["Records"][0]["Sns"] for event in events]
    assert [r["MessageId"] for r in records] == ids
    assert {r["TopicArn"] for r in records} == {topic}
    assert [r["Message"] for r in records] == ["m0", "m1"]
    assert records[0]["Subject"] == "hello"
    assert records[0]["MessageAttributes"] == {"kind": {"Type": "String", "Value": "test"}}
