"""Rollback: which config a request names, what a message asks for, and what is refused."""

import json

import pytest
from domain.errors import RollbackFailed
from domain.rollback import (
    BadRollbackMessage,
    Refused,
    RollbackRequest,
    RolledBack,
    answer,
    choose_target,
    read_rollback_message,
    rollback_request_of,
)
from handlers.envelopes import rollback_request

CONFIGS = [(5, "s-v5-aaaaaa"), (4, "s-v4-bbbbbb"), (2, "s-v2-cccccc")]


def test_one_back_takes_the_newest_earlier_version():
    assert choose_target(CONFIGS, "s-v5-aaaaaa", None) == "s-v4-bbbbbb"
    assert choose_target(CONFIGS, "s-v4-bbbbbb", None) == "s-v2-cccccc"


def test_named_version_is_found():
    assert choose_target(CONFIGS, "s-v5-aaaaaa", 2) == "s-v2-cccccc"


def test_unknown_version_names_the_versions_available():
    with pytest.raises(RollbackFailed, match=r"version 3; versions available: \[2, 4, 5\]"):
        choose_target(CONFIGS, "s-v5-aaaaaa", 3)


def test_nothing_before_the_first_version():
    with pytest.raises(RollbackFailed, match="no version before"):
        choose_target(CONFIGS, "s-v2-cccccc", None)


@pytest.mark.parametrize(
    ("text", "version"),
    [("{}", None), ("", None), ("  ", None), ('{"version": 3}', 3), ('{"version": " 7 "}', 7)],
)
def test_a_rollback_message_names_a_version_or_one_back(text, version):
    assert read_rollback_message(text) == RollbackRequest(version, text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"version": 0}', "version: 0 is not a version"),
        ('{"version": true}', "version: true is not a version"),
        ('{"version": 1.5}', "version: 1.5 is not a version"),
        ('{"version": "²"}', "is not a version"),
        ("[3]", "not a JSON object"),
        ("three", "not JSON"),
        ("[" * 5000 + "]" * 5000, "too deeply"),
    ],
)
def test_a_rollback_message_that_names_no_version_says_what_to_send(text, says):
    found = read_rollback_message(text)
    assert isinstance(found, BadRollbackMessage) and found.body == text
    assert says in found.reason and '{"version": N}' in found.reason


def test_a_direct_invocation_is_the_message_itself():
    assert rollback_request({"version": 2}) == RollbackRequest(2, json.dumps({"version": 2}))
    assert rollback_request_of({}, "{}") == RollbackRequest(None, "{}")


def test_an_sns_event_is_read_from_its_first_record():
    event = {"Records": [{"Sns": {"MessageId": "m", "Message": '{"version": 4}'}}]}
    assert rollback_request(event) == RollbackRequest(4, '{"version": 4}')


@pytest.mark.parametrize("records", [[], ["x"], [{"Sns": {"MessageId": "m"}}], 3])
def test_a_records_event_without_an_sns_message_is_refused_not_rolled_back(records):
    found = rollback_request({"Records": records})
    assert isinstance(found, BadRollbackMessage) and "RollbackTopic" in found.reason


def test_a_bad_message_is_refused_with_its_body_and_nothing_is_called():
    def no_aws(service: str):
        raise AssertionError(f"{service} called for a refused message")

    bad = BadRollbackMessage("version: 0 is not a version", '{"version": 0}')
    assert answer(bad, no_aws, "s", "s") == Refused("s", bad.reason, bad.body)


def test_a_refusal_and_a_rollback_answer_as_the_function_always_did():
    assert Refused("s", "why").as_dict() == {"endpoint": "s", "changed": False, "error": "why"}
    done = RolledBack("s", "s-v5-a", "s-v4-b", True, 4, ("endpoint/s/variant/v",))
    assert done.as_dict() == {
        "endpoint": "s",
        "from": "s-v5-a",
        "to": "s-v4-b",
        "changed": True,
        "version": 4,
        "released_scaling": ["endpoint/s/variant/v"],
    }
    same = RolledBack("s", "s-v5-a", "s-v5-a", False)
    assert same.as_dict() == {"endpoint": "s", "from": "s-v5-a", "to": "s-v5-a", "changed": False}
