"""Launch parses every kind of trigger and never crashes on a bad message."""

import json

from domain.launch import Drain, Trigger, coalesce, parse_message
from handlers.envelopes import launch_items as parse_event


def _sns(message: str) -> dict:
    return {"Records": [{"Sns": {"Message": message, "MessageId": "m-1"}}]}


def test_custom_message_carries_per_run_overrides_including_build():
    [trigger] = parse_event(
        _sns(
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
    assert trigger.source == "sns" and trigger.detail == "notebook"
    assert trigger.overrides == {
        "train": False,
        "build": {"Inference": False},
        "hostinstancecount": 2,
        "hyperparameters": {"max_depth": 3},
    }


def test_message_that_is_not_json_starts_a_run_with_defaults_and_says_so():
    [trigger] = parse_event(_sns("please retrain"))
    assert trigger.overrides == {}
    assert "not a JSON object" in trigger.detail and "please retrain" in trigger.detail


def test_json_that_is_not_an_object_is_treated_like_text():
    trigger = parse_message("[1, 2]", "m")
    assert isinstance(trigger, Trigger) and trigger.overrides == {}


def test_s3_event_relayed_by_sns_names_the_uploaded_keys():
    s3 = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "s3": {"bucket": {"name": "data"}, "object": {"key": "train/iris.csv"}},
            }
        ]
    }
    [trigger] = parse_event(_sns(json.dumps(s3)))
    assert trigger.source == "s3" and "s3://data: train/iris.csv" in trigger.detail


def test_s3_test_event_starts_nothing():
    assert parse_event(_sns(json.dumps({"Event": "s3:TestEvent"}))) == []


def test_codecommit_push_names_branch_and_commit():
    push = {
        "Records": [
            {
                "eventSource": "aws:codecommit",
                "eventSourceARN": "arn:aws:codecommit:us-east-1:1:repo",
                "codecommit": {
                    "references": [{"ref": "refs/heads/main", "commit": "abcdef0123456789"}]
                },
            }
        ]
    }
    [trigger] = parse_event(_sns(json.dumps(push)))
    assert trigger.source == "codecommit" and "refs/heads/main" in trigger.detail


def test_schedule_event_starts_a_scheduled_run():
    [trigger] = parse_event({"source": "aws.events", "detail-type": "Scheduled Event", "id": "x"})
    assert trigger.source == "schedule"


def test_drain_message_names_the_finished_execution():
    [drain] = parse_event(_sns(json.dumps({"sagebuild": "drain", "finished_execution": "arn"})))
    assert drain == Drain("arn")


def test_coalesce_merges_overrides_in_order_and_names_every_trigger():
    one = Trigger("s3", "a.csv", "1", {"traininstancecount": 1})
    two = Trigger("sns", "notebook", "2", {"traininstancecount": 2, "train": True})
    merged = coalesce([one, two])
    assert merged.overrides == {"traininstancecount": 2, "train": True}
    assert "2 triggers" in merged.detail and "a.csv" in merged.detail
