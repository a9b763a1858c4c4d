"""Property tests: the launch and rollback envelope parsers take any event and never raise.

Whatever arrives (SNS envelopes and SQS records around any message, S3 and CodeCommit records
of any shape, EventBridge events, deep nesting, non-JSON), parsing returns triggers, drains or
rejections; every rejection says what is wrong, and a trigger always has an id a redelivery
repeats.
"""

from __future__ import annotations

import json

from domain.launch import Drain, Rejected, Trigger
from domain.naming import execution_name
from domain.rollback import BadRollbackMessage, RollbackRequest
from handlers.envelopes import launch_items, rollback_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=15,
)
s3_record = st.fixed_dictionaries(
    {"eventSource": st.just("aws:s3")},
    optional={
        "s3": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {},
                optional={
                    "bucket": st.one_of(json_values, st.fixed_dictionaries({"name": scalars})),
                    "object": st.one_of(
                        json_values,
                        st.fixed_dictionaries(
                            {"key": scalars}, optional={"sequencer": scalars, "versionId": scalars}
                        ),
                    ),
                },
            ),
        )
    },
)
codecommit_record = st.fixed_dictionaries(
    {"eventSource": st.just("aws:codecommit")},
    optional={
        "eventSourceARN": scalars,
        "codecommit": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {
                    "references": st.lists(
                        st.one_of(
                            json_values, st.fixed_dictionaries({"ref": scalars, "commit": scalars})
                        ),
                        max_size=3,
                    )
                }
            ),
        ),
    },
)
messages = st.one_of(
    st.text(max_size=40),
    json_values.map(json.dumps),
    st.integers(50, 3000).map(lambda n: "[" * n + "]" * n),
    st.integers(50, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.lists(st.one_of(s3_record, codecommit_record, json_values), max_size=3).map(
        lambda records: json.dumps({"Records": records})
    ),
    st.fixed_dictionaries({"overrides": json_values, "reason": scalars, "train": scalars}).map(
        json.dumps
    ),
)
sns_record = st.fixed_dictionaries(
    {
        "Sns": st.one_of(
            json_values,
            st.fixed_dictionaries({"Message": messages, "MessageId": st.text(max_size=40)}),
        )
    }
)
sqs_record = st.fixed_dictionaries(
    {"eventSource": st.just("aws:sqs")},
    optional={
        "messageId": scalars,
        "receiptHandle": st.just("handle"),
        "body": st.one_of(messages, scalars),
        "attributes": st.just(
            {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1545082649183",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1545082649185",
            }
        ),
        "messageAttributes": st.just({}),
        "md5OfBody": st.just("e4e68fb7bd0e697a0ae8f1bb342846b3"),
        "eventSourceARN": st.just("arn:aws:sqs:us-east-1:123456789012:launch"),
        "awsRegion": st.just("us-east-1"),
    },
)
eventbridge = st.fixed_dictionaries(
    {
        "source": st.sampled_from(["aws.events", "aws.states", "aws.s3", "aws.scheduler"]),
        "detail-type": st.one_of(scalars, st.sampled_from(["Scheduled Event", "Object Created"])),
    },
    optional={
        "version": st.just("0"),
        "id": scalars,
        "account": st.just("123456789012"),
        "time": st.one_of(scalars, st.just("2026-01-01T00:00:00Z")),
        "region": st.just("us-east-1"),
        "resources": st.one_of(json_values, st.just([])),
        "detail": json_values,
    },
)
events = st.one_of(
    json_values,
    st.lists(
        st.one_of(sns_record, sqs_record, s3_record, codecommit_record, json_values), max_size=4
    ).map(lambda records: {"Records": records}),
    eventbridge,
)


@SETTINGS
@given(event=events)
def test_launch_items_never_raise_and_every_rejection_says_what_is_wrong(event):
    found = launch_items(event)
    for item in found:
        assert isinstance(item, Trigger | Drain | Rejected)
        if isinstance(item, Rejected):
            assert len(item.reason) > 10 and item.source
            json.dumps(item.body)
        if isinstance(item, Trigger):
            assert item.trigger_id and isinstance(item.overrides, dict)
            name = execution_name(item.source, item.trigger_id)
            assert 0 < len(name) <= 80


@SETTINGS
@given(message=messages, message_id=st.text(min_size=1, max_size=40))
def test_a_redelivery_of_any_message_yields_the_same_trigger_id(message, message_id):
    event = {"Records": [{"Sns": {"Message": message, "MessageId": message_id}}]}

    def identity(items: list) -> list[tuple]:  # not ==: 3.12+ parse values too deep to compare
        return [
            (type(i).__name__, getattr(i, "trigger_id", ""), getattr(i, "reason", ""))
            for i in items
        ]

    assert identity(launch_items(event)) == identity(launch_items(dict(event)))


@SETTINGS
@given(
    event=st.one_of(events, st.builds(lambda m: {"Records": [{"Sns": {"Message": m}}]}, messages))
)
def test_rollback_request_never_raises_and_names_a_problem_or_a_version(event):
    request = rollback_request(event)
    if isinstance(request, BadRollbackMessage):
        assert len(request.reason) > 10
        json.dumps(request.body)
    else:
        assert isinstance(request, RollbackRequest)
        assert request.version is None or (
            isinstance(request.version, int) and request.version >= 1
        )


SQS_ATTRIBUTES = {
    "ApproximateReceiveCount": "1",
    "SentTimestamp": "1767225600000",
    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
    "ApproximateFirstReceiveTimestamp": "1767225600001",
}


@SETTINGS
@given(body=messages, message_id=st.text(min_size=1, max_size=40))
def test_a_queued_message_of_any_body_is_one_item_and_a_redelivery_repeats_its_id(body, message_id):
    record = {
        "messageId": message_id,
        "receiptHandle": "handle",
        "body": body,
        "attributes": SQS_ATTRIBUTES,
        "messageAttributes": {},
        "md5OfBody": "0",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:launch",
        "awsRegion": "us-east-1",
    }
    first = launch_items({"Records": [record]})
    assert len(first) <= 1
    again = launch_items({"Records": [dict(record)]})
    assert [getattr(i, "trigger_id", "") for i in first] == [
        getattr(i, "trigger_id", "") for i in again
    ]
    for item in first:
        if isinstance(item, Trigger):
            assert item.trigger_id and 0 < len(execution_name(item.source, item.trigger_id)) <= 80


@SETTINGS
@given(
    source=st.sampled_from(["aws.events", "aws.scheduler", "aws.s3", "aws.states", "aws.ec2"]),
    detail_type=st.sampled_from(["Scheduled Event", "Object Created", "Other"]),
    detail=json_values,
    event_id=st.text(max_size=40),
)
def test_a_complete_eventbridge_event_of_any_detail_never_raises(
    source, detail_type, detail, event_id
):
    event = {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }
    [item] = launch_items(event)
    if isinstance(item, Rejected):
        assert len(item.reason) > 10 and json.loads(item.body)["id"] == event_id
    if isinstance(item, Trigger):
        assert item.trigger_id
