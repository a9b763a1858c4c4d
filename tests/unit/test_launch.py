"""Launch events, read at the edge: every kind of trigger, and never a crash on a bad one.

The envelopes are the shapes AWS documents (Lambda Developer Guide, "Using AWS Lambda with ...")
and the shapes the local stack delivers (tests/local covers those end to end).
"""

from __future__ import annotations

import hashlib
import json

import pytest
from domain.launch import Drain, Kind, Outcome, Rejected, Trigger, coalesce, parse_message
from handlers.envelopes import launch_items

ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:launch"


# --- envelopes as AWS sends them --------------------------------------------------------------
def sns_notification(message: str, message_id: str = "m-1") -> dict:
    """The SNS notification inside a Lambda record (and, with SQS's URL spelling, an SQS body)."""
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": TOPIC,
        "Subject": None,
        "Message": message,
        "Timestamp": "2026-01-01T00:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/cert.pem",
        "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
        "MessageAttributes": {},
    }


def sns_event(*messages: str, ids: list[str] | None = None) -> dict:
    ids = ids or [f"m-{i + 1}" for i in range(len(messages))]
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{TOPIC}:subscription",
                "EventSource": "aws:sns",
                "Sns": sns_notification(message, message_id),
            }
            for message, message_id in zip(messages, ids, strict=True)
        ]
    }


def sqs_record(body: str, message_id: str = "q-1") -> dict:
    return {
        "messageId": message_id,
        "receiptHandle": "AQEB-handle",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1767225600000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1767225600001",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 - SQS's checksum
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:{ACCOUNT}:launch",
        "awsRegion": "us-east-1",
    }


def s3_record(key: str = "train/iris.csv", sequencer: str | None = "0055AED6DCD90281E5") -> dict:
    found: dict = {"key": key, "size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e"}
    if sequencer:
        found["sequencer"] = sequencer
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "launch",
            "bucket": {"name": "data", "arn": "arn:aws:s3:::data"},
            "object": found,
        },
    }


def codecommit_record(commit: str = "abcdef0123456789") -> dict:
    return {
        "eventId": "5a824061-17ca-46a9-bbf9-114edeadbeef",
        "eventVersion": "1.0",
        "eventTime": "2026-01-01T00:00:00.000+0000",
        "eventTriggerName": "sagebuild-demo",
        "eventSource": "aws:codecommit",
        "eventName": "TriggerEventTest",
        "eventSourceARN": f"arn:aws:codecommit:us-east-1:{ACCOUNT}:repo",
        "awsRegion": "us-east-1",
        "codecommit": {"references": [{"ref": "refs/heads/main", "commit": commit}]},
    }


def eventbridge(source: str, detail_type: str, detail: dict, event_id: str = "e-1") -> dict:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/retrain"],
        "detail": detail,
    }


def s3_object_created(key: str = "train/iris.csv", sequencer: str = "0055AED6DCD90281E5") -> dict:
    return eventbridge(
        "aws.s3",
        "Object Created",
        {
            "version": "0",
            "bucket": {"name": "data"},
            "object": {"key": key, "size": 1024, "etag": "d41d8cd9", "sequencer": sequencer},
            "request-id": "57H08PA84AB1JZW0",
            "requester": ACCOUNT,
            "reason": "PutObject",
        },
    )


def only(items: list) -> Trigger:
    [item] = items
    assert isinstance(item, Trigger), item
    return item


def rejection(items: list) -> Rejected:
    [item] = items
    assert isinstance(item, Rejected), item
    return item


# --- launch messages on the topic -------------------------------------------------------------
def test_custom_message_carries_per_run_overrides_including_build():
    trigger = only(
        launch_items(
            sns_event(
                json.dumps(
                    {
                        "train": False,
                        "build": {"Inference": False},
                        "overrides": {"hostinstancecount": 2},
                        "hyperparameters": {"max_depth": 3},
                        "reason": "notebook",
                    }
                )
            )
        )
    )
    assert trigger.source == "sns" and trigger.detail == "notebook"
    assert trigger.trigger_id == "m-1"
    assert trigger.overrides == {
        "train": False,
        "build": {"Inference": False},
        "hostinstancecount": 2,
        "hyperparameters": {"max_depth": 3},
    }


def test_message_that_is_not_json_starts_a_run_with_defaults_and_says_so():
    trigger = only(launch_items(sns_event("please retrain")))
    assert trigger.overrides == {}
    assert "not a JSON object" in trigger.detail and "please retrain" in trigger.detail


def test_json_that_is_not_an_object_is_treated_like_text():
    trigger = parse_message("[1, 2]", "m")
    assert isinstance(trigger, Trigger) and trigger.overrides == {}


def test_drain_message_names_the_finished_execution():
    items = launch_items(sns_event(json.dumps({"sagebuild": "drain", "finished_execution": "a"})))
    assert items == [Drain("a")]


def test_every_sns_record_of_an_event_is_read():
    items = launch_items(sns_event("{}", json.dumps({"reason": "b"}), ids=["a", "b"]))
    assert [(i.trigger_id, i.detail) for i in items] == [
        ("a", "message on the launch topic"),
        ("b", "b"),
    ]


def test_the_local_stacks_sns_envelope_is_read():
    """The local stack's SNS delivery writes "LOCAL" where AWS writes URLs and a signature."""
    event = sns_event("{}", ids=["local-1"])
    event["Records"][0]["Sns"].update(
        {"Signature": "LOCAL", "SigningCertUrl": "LOCAL", "UnsubscribeUrl": "LOCAL"}
    )
    assert only(launch_items(event)).trigger_id == "local-1"


# --- S3 and CodeCommit, relayed by the topic or invoking the function --------------------------
def test_s3_event_relayed_by_sns_names_the_uploaded_keys():
    trigger = only(launch_items(sns_event(json.dumps({"Records": [s3_record()]}))))
    assert trigger.source == "s3" and "s3://data: train/iris.csv" in trigger.detail


def test_an_s3_trigger_id_is_the_objects_version_so_a_redelivery_repeats_it():
    relayed = sns_event(json.dumps({"Records": [s3_record()]}), ids=["first"])
    again = sns_event(json.dumps({"Records": [s3_record()]}), ids=["second"])
    later = sns_event(json.dumps({"Records": [s3_record(sequencer="0055AED6DCD90281F0")]}))
    first = only(launch_items(relayed)).trigger_id
    assert only(launch_items(again)).trigger_id == first
    assert only(launch_items(later)).trigger_id != first


def test_an_s3_record_without_a_sequencer_falls_back_on_the_message_id():
    """moto's S3 notifications carry no sequencer."""
    without = json.dumps({"Records": [s3_record(sequencer=None)]})
    one = only(launch_items(sns_event(without, ids=["a"])))
    other = only(launch_items(sns_event(without, ids=["b"])))
    assert one.trigger_id != other.trigger_id


def test_many_uploads_in_one_notification_are_one_trigger_naming_five_keys():
    records = [s3_record(f"train/{i}.csv", f"00{i}") for i in range(7)]
    trigger = only(launch_items(sns_event(json.dumps({"Records": records}))))
    assert trigger.detail == (
        "new data in s3://data: train/0.csv, train/1.csv, train/2.csv, train/3.csv, "
        "train/4.csv and 2 more"
    )


def test_s3_invoking_the_function_directly_starts_a_run():
    trigger = only(launch_items({"Records": [s3_record()]}))
    assert trigger.source == "s3" and "train/iris.csv" in trigger.detail


def test_s3_test_event_starts_nothing():
    event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "data"}
    assert launch_items(sns_event(json.dumps(event))) == []


def test_codecommit_push_names_branch_and_commit():
    trigger = only(launch_items(sns_event(json.dumps({"Records": [codecommit_record()]}))))
    assert trigger.source == "codecommit" and trigger.trigger_id == "abcdef0123456789"
    assert trigger.detail == "push to repo refs/heads/main at abcdef012345"


def test_a_repository_trigger_invoking_the_function_directly_starts_a_run():
    trigger = only(launch_items({"Records": [codecommit_record()]}))
    assert trigger.source == "codecommit" and trigger.trigger_id == "abcdef0123456789"


# --- EventBridge ------------------------------------------------------------------------------
def test_schedule_event_starts_a_scheduled_run_named_after_the_event_id():
    trigger = only(launch_items(eventbridge("aws.events", "Scheduled Event", {}, "tick-1")))
    assert trigger == Trigger("schedule", "retraining schedule", "tick-1")


def test_eventbridge_scheduler_event_starts_a_scheduled_run():
    event = eventbridge("aws.scheduler", "Scheduled Event", {}, "tick-2")
    event["detail"] = "{}"  # EventBridge Scheduler's empty payload
    assert only(launch_items(event)).trigger_id == "tick-2"


def test_s3_object_created_by_eventbridge_starts_a_run_for_the_object():
    trigger = only(launch_items(s3_object_created()))
    assert trigger.source == "s3" and trigger.detail == "new data in s3://data: train/iris.csv"


def test_s3_object_created_relayed_by_sns_starts_the_same_run_as_direct():
    direct = only(launch_items(s3_object_created()))
    relayed = only(launch_items(sns_event(json.dumps(s3_object_created()))))
    assert relayed.trigger_id == direct.trigger_id


def test_a_step_functions_status_event_drains_the_queue():
    event = eventbridge(
        "aws.states",
        "Step Functions Execution Status Change",
        {"executionArn": "arn:aws:states:us-east-1:1:execution:pipeline:sns-m0"},
    )
    assert launch_items(event) == [Drain("arn:aws:states:us-east-1:1:execution:pipeline:sns-m0")]


def test_a_scheduled_event_that_lost_its_fields_is_rejected_naming_them():
    found = rejection(
        launch_items({"source": "aws.events", "detail-type": "Scheduled Event", "id": "x"})
    )
    assert found.source == "schedule"
    assert "account: Field required" in found.reason and "input transformer" in found.reason


def test_an_eventbridge_event_of_another_source_is_rejected_naming_what_starts_a_run():
    found = rejection(launch_items(eventbridge("aws.ec2", "EC2 Instance State-change", {})))
    assert "'aws.ec2'" in found.reason and "Scheduled Event" in found.reason
    assert json.loads(found.body)["source"] == "aws.ec2"


# --- SQS --------------------------------------------------------------------------------------
def test_a_launch_message_sent_to_a_queue_starts_a_run_named_after_the_sqs_message():
    trigger = only(launch_items({"Records": [sqs_record(json.dumps({"reason": "queue"}))]}))
    assert (trigger.source, trigger.detail, trigger.trigger_id) == ("sqs", "queue", "q-1")


def test_a_topic_notification_in_a_queue_is_the_topics_message():
    notification = sns_notification(json.dumps({"train": False}), "sns-id")
    notification["SigningCertURL"] = notification.pop("SigningCertUrl")  # SQS's spelling
    notification["UnsubscribeURL"] = notification.pop("UnsubscribeUrl")
    trigger = only(launch_items({"Records": [sqs_record(json.dumps(notification))]}))
    assert (trigger.source, trigger.trigger_id, trigger.overrides) == (
        "sns",
        "sns-id",
        {"train": False},
    )


def test_s3_notifications_in_a_queue_start_a_run():
    trigger = only(launch_items({"Records": [sqs_record(json.dumps({"Records": [s3_record()]}))]}))
    assert trigger.source == "s3"


def test_an_sqs_record_without_its_fields_is_rejected_naming_them():
    record = sqs_record("{}")
    del record["attributes"]
    found = rejection(launch_items({"Records": [record]}))
    assert found.source == "sqs" and "attributes: Field required" in found.reason


# --- never raises, names what is wrong ---------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "source", "says"),
    [
        (json.dumps({"Records": 3}), "sns", "Records must be a list"),
        (json.dumps({"Records": []}), "sns", "non-empty list of S3 or CodeCommit"),
        (json.dumps({"Records": [{"eventSource": "aws:s3", "s3": {}}]}), "s3", "s3.bucket"),
        (json.dumps({"Records": [{"eventSource": "aws:s3", "s3": 1}]}), "s3", "S3 event record 0"),
        (
            json.dumps({"Records": [s3_record(), {"eventSource": "aws:s3"}]}),
            "s3",
            "S3 event record 1: s3: Field required",
        ),
        (
            json.dumps({"Records": [{"eventSource": "aws:codecommit", "codecommit": {}}]}),
            "codecommit",
            "codecommit.references: Field required",
        ),
        (
            json.dumps({"Records": [{"eventSource": "aws:codecommit"}]}),
            "codecommit",
            "a push names codecommit.references[0].commit",
        ),
        (
            json.dumps({"Records": [{"eventSource": "aws:s3", "s3": {"object": {}}}]}),
            "s3",
            "s3.object.key: Field required",
        ),
        ("[" * 1000 + "]" * 1000, "sns", "too deeply"),
    ],
)
def test_a_bad_message_is_rejected_naming_what_is_wrong_and_kept_whole(message, source, says):
    found = rejection(launch_items(sns_event(message)))
    assert found.source == source and says in found.reason and found.body == message


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ([], "not a JSON object"),
        ({}, "no Records list"),
        ({"Records": ["x"]}, "not a JSON object"),
        ({"Records": [{"Sns": {"Message": 5}}]}, "Sns.Message: Input should be a valid string"),
        ({"Records": [{"eventSource": "aws:kinesis"}]}, "neither an SNS, SQS, S3 nor CodeCommit"),
    ],
)
def test_an_event_that_is_no_launch_event_is_rejected_and_kept(event, says):
    found = rejection(launch_items(event))
    kept = event["Records"][0] if event and "Records" in event else event  # each record alone
    assert says in found.reason and json.loads(found.body) == kept


def test_a_bad_record_is_rejected_alone_and_the_good_ones_still_start_runs():
    items = launch_items({"Records": [{"Sns": {}}, s3_record()]})
    assert [type(item) for item in items] == [Rejected, Trigger]


def test_coalesce_merges_overrides_in_order_and_names_every_trigger():
    one = Trigger("s3", "a.csv", "1", {"traininstancecount": 1})
    two = Trigger("sns", "notebook", "2", {"traininstancecount": 2, "train": True})
    merged = coalesce([one, two])
    assert merged.overrides == {"traininstancecount": 2, "train": True}
    assert "2 triggers" in merged.detail and "a.csv" in merged.detail


def test_an_outcome_line_reads_kind_trigger_and_detail():
    assert Outcome(Kind.QUEUED, "q1", "sns-m0", "sns trigger waits").line() == (
        "queued q1 sns trigger waits"
    )
    assert Outcome(Kind.IDLE).line() == "idle"


def test_an_error_reading_the_event_is_a_rejection_naming_it_not_a_crash(monkeypatch):
    from handlers import envelopes

    def broken(event):
        raise KeyError("surprise")

    monkeypatch.setattr(envelopes, "_launch_items", broken)
    found = rejection(launch_items({"Records": []}))
    assert found.reason == "the event could not be read (KeyError: 'surprise')"
    assert json.loads(found.body) == {"Records": []}
