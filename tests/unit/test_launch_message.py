"""The launch-message codec: what writers publish is what the Launch function reads back.

The Alexa skill ships without lambdas/, so it keeps a copy of the codec: the copy must stay
byte-identical to domain/launch_message.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from domain import launch_message
from domain.launch_message import Drain, Rejected, Trigger, decode, document, encode, encode_drain
from skill import launch_message as skill_launch_message

ROOT = Path(__file__).resolve().parents[2]


def test_the_alexa_skill_ships_the_same_codec_byte_for_byte():
    lambdas_copy = ROOT / "lambdas" / "domain" / "launch_message.py"
    skill_copy = ROOT / "alexa" / "skill" / "launch_message.py"
    assert skill_copy.read_bytes() == lambdas_copy.read_bytes(), (
        "alexa/skill/launch_message.py differs: copy lambdas/domain/launch_message.py over it"
    )


def test_the_codec_imports_only_the_standard_library():
    source = (ROOT / "lambdas" / "domain" / "launch_message.py").read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == [
        "from __future__ import annotations",
        "import json",
        "from collections.abc import Mapping",
        "from dataclasses import dataclass, field",
        "from typing import Any",
    ]


WRITTEN = [
    ({}, {}),
    ({"train": False}, {"train": False}),
    ({"reason": "new data"}, {"reason": "new data"}),
    ({"overrides": {}}, {"overrides": {}}),
    (
        {"train": True, "overrides": {"trainmaxrun": 2}, "reason": "alexa"},
        {"train": True, "overrides": {"trainmaxrun": 2}, "reason": "alexa"},
    ),
    ({"train": None, "overrides": None, "reason": ""}, {}),
]


@pytest.mark.parametrize(("given", "expected"), WRITTEN)
def test_document_has_each_part_only_when_given(given, expected):
    assert document(**given) == expected
    assert json.loads(encode(**given)) == expected
    assert skill_launch_message.encode(**given) == encode(**given)


@pytest.mark.parametrize(
    ("given", "overrides", "detail"),
    [
        ({}, {}, "message on the launch topic"),
        ({"train": False, "reason": "cli"}, {"train": False}, "cli"),
        (
            {"train": True, "overrides": {"hyperparameters": {"max_depth": 3}}, "reason": "alexa"},
            {"train": True, "hyperparameters": {"max_depth": 3}},
            "alexa",
        ),
    ],
)
def test_what_is_encoded_decodes_to_the_run_it_asks_for(given, overrides, detail):
    body = encode(**given)
    assert decode(body, "m-1") == Trigger("sns", detail, "m-1", overrides, body)


def test_drain_round_trips():
    assert decode(encode_drain("arn:execution"), "m") == Drain("arn:execution")


def test_top_level_keys_besides_the_reserved_ones_are_overrides_too():
    body = json.dumps({"build": {"Inference": False}, "traininstancecount": 2, "reason": "nb"})
    trigger = decode(body, "m")
    assert isinstance(trigger, Trigger)
    assert trigger.overrides == {"build": {"Inference": False}, "traininstancecount": 2}


def test_overrides_that_are_not_an_object_are_kept_for_initialize_to_name():
    trigger = decode(json.dumps({"overrides": [1]}), "m")
    assert isinstance(trigger, Trigger) and trigger.overrides == {"overrides": [1]}


def test_a_message_that_is_not_a_json_object_starts_a_run_with_the_stored_parameters():
    trigger = decode("please retrain", "m")
    assert isinstance(trigger, Trigger) and trigger.overrides == {}
    assert "not a JSON object" in trigger.detail and "please retrain" in trigger.detail


def test_a_message_nested_too_deep_is_rejected_and_says_what_to_send():
    rejected = decode("[" * 5000 + "]" * 5000, "m")
    assert isinstance(rejected, Rejected)
    assert "too deeply" in rejected.reason and "flat JSON object" in rejected.reason


def test_a_long_reason_is_cut_to_what_notifications_show():
    trigger = decode(encode(reason="x" * 2000), "m")
    assert isinstance(trigger, Trigger) and len(trigger.detail) == launch_message.MAX_REASON
