"""SageMaker's limits in the parameter document: each bound accepts its edge and refuses one
step past it naming the key, every number is finite, and validation never raises anything but
`InvalidParameters` (10**400, 1e309, NaN, deep nesting)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from domain.config import parse_config
from domain.errors import InvalidParameters

HPO = {
    "configtrain": "SAGEMAKERHPO",
    "tuningobjective": {"Name": "acc", "Type": "Maximize", "Regex": "acc=(.*)"},
}
INF = json.loads("1e309")  # what JSON's 1e309 becomes in Python
HUGE = 10**400  # an integer no float can hold
OK = {"ok": {"Values": [1]}}  # a well-formed range, so that HPO has one


def problems_of(document: dict, framework: str = "PYTORCH") -> list[str]:
    with pytest.raises(InvalidParameters) as raised:
        parse_config(document, framework)
    return raised.value.problems


def at(path: str, value: Any) -> dict:
    """`{"a": {"b": value}}` for the path "a.b"."""
    document: Any = value
    for part in reversed(path.split(".")):
        document = {part: document}
    return document


def _range(n: int) -> dict:
    return {"MinValue": 0, "MaxValue": n}


# (document just inside the bound, document just outside, the key its problem names)
BOUNDS = [
    ({"traininstancecount": 100}, {"traininstancecount": 101}, "traininstancecount"),
    ({"traininstancecount": 1}, {"traininstancecount": 0}, "traininstancecount"),
    ({"trainvolumesize": 16384}, {"trainvolumesize": 16385}, "trainvolumesize"),
    ({"trainvolumesize": 1}, {"trainvolumesize": 0}, "trainvolumesize"),
    ({"trainmaxrun": 672}, {"trainmaxrun": 672.001}, "trainmaxrun"),
    ({"trainmaxrun": 1 / 3600}, {"trainmaxrun": 0.0001}, "trainmaxrun"),
    ({"spot": True, "maxwait": 672}, {"spot": True, "maxwait": 673}, "maxwait"),
    (
        {"spot": True, "trainmaxrun": 1 / 3600, "maxwait": 1 / 3600},
        {"spot": True, "trainmaxrun": 1 / 3600, "maxwait": 0.0001},
        "maxwait",
    ),
    ({"approval": {"TimeoutHours": 672}}, {"approval": {"TimeoutHours": 673}}, "approval"),
    ({"maxtrainingjobs": 750}, {"maxtrainingjobs": 751}, "maxtrainingjobs"),
    ({"maxparalleltrainingjobs": 100}, {"maxparalleltrainingjobs": 101}, "maxparalleltrainingjobs"),
    ({"hostinstancecount": 100}, {"hostinstancecount": 101}, "hostinstancecount"),
    (
        {"autoscaling": {"MinCapacity": 100, "MaxCapacity": 100}},
        {"autoscaling": {"MinCapacity": 100, "MaxCapacity": 101}},
        "autoscaling.MaxCapacity",
    ),
    (
        {"autoscaling": {"ScaleInCooldown": 2**31 - 1}},
        {"autoscaling": {"ScaleInCooldown": 2**31}},
        "autoscaling.ScaleInCooldown",
    ),
    (
        {"datacapture": {"SamplingPercentage": 100}},
        {"datacapture": {"SamplingPercentage": 101}},
        "datacapture.SamplingPercentage",
    ),
    ({"containerloglevel": 50}, {"containerloglevel": 51}, "containerloglevel"),
    (
        {"channels": {"train": {"path": "t/", "ShuffleConfig": {"Seed": 2**63 - 1}}}},
        {"channels": {"train": {"path": "t/", "ShuffleConfig": {"Seed": 2**63}}}},
        "channels.train.ShuffleConfig.Seed",
    ),
    (
        {"Tags": [{"Key": "k" * 128, "Value": "v"}]},
        {"Tags": [{"Key": "k" * 129, "Value": "v"}]},
        "Tags.0.Key",
    ),
    (
        {"Tags": [{"Key": "k", "Value": "v" * 256}]},
        {"Tags": [{"Key": "k", "Value": "v" * 257}]},
        "Tags.0.Value",
    ),
    (
        {"Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(47)]},
        {"Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(48)]},
        "Tags",
    ),
    (
        {"modelhostingenvironment": {"A": "x" * 1024}},
        {"modelhostingenvironment": {"A": "x" * 1025}},
        "modelhostingenvironment",
    ),
    # script mode sends every hyperparameter JSON-encoded: "a" * 2498 is 2500 characters
    (
        {"hyperparameters": {"x": "a" * 2498}},
        {"hyperparameters": {"x": "a" * 2499}},
        "hyperparameters.x",
    ),
    (
        {"hyperparameters": {"k" * 256: 1}},
        {"hyperparameters": {"k" * 257: 1}},
        "hyperparameters.kkk",
    ),
    # script mode adds 6 sagemaker_* hyperparameters of its own
    (
        {"hyperparameters": {f"h{i}": 1 for i in range(94)}},
        {"hyperparameters": {f"h{i}": 1 for i in range(95)}},
        "hyperparameters",
    ),
    (
        {**HPO, "hyperparameters": {**OK, "x": {"Values": list(range(30))}}},
        {**HPO, "hyperparameters": {**OK, "x": {"Values": list(range(31))}}},
        "hyperparameters.x",
    ),
    (
        {**HPO, "hyperparameters": {f"h{i}": _range(i + 1) for i in range(30)}},
        {**HPO, "hyperparameters": {f"h{i}": _range(i + 1) for i in range(31)}},
        "hyperparameters",
    ),
    # a range bound is sent as its digits: 1e255 has 256 of them
    (
        {**HPO, "hyperparameters": {**OK, "x": {"MinValue": 0, "MaxValue": 1e255}}},
        {**HPO, "hyperparameters": {**OK, "x": {"MinValue": 0, "MaxValue": 1e256}}},
        "hyperparameters.x",
    ),
    (
        {**HPO, "hyperparameters": {**OK, "x": {"Values": ["v" * 254]}}},
        {**HPO, "hyperparameters": {**OK, "x": {"Values": ["v" * 255]}}},
        "hyperparameters.x",
    ),
]


@pytest.mark.parametrize(("inside", "outside", "key"), BOUNDS, ids=[b[2] for b in BOUNDS])
def test_each_bound_accepts_its_edge_and_refuses_past_it_naming_the_key(inside, outside, key):
    parse_config(inside, "PYTORCH")

    problems = problems_of(outside)

    assert len(problems) == 1, problems
    assert problems[0].startswith(key), problems


def test_byod_hyperparameters_are_sent_as_given_so_get_the_whole_2500_characters_and_100():
    parse_config({"hyperparameters": {"x": "a" * 2500}}, "BYOD")
    parse_config({"hyperparameters": {f"h{i}": 1 for i in range(100)}}, "BYOD")

    assert problems_of({"hyperparameters": {"x": "a" * 2501}}, "BYOD")[0].startswith(
        "hyperparameters.x: expected at most 2500 characters"
    )
    assert problems_of({"hyperparameters": {f"h{i}": 1 for i in range(101)}}, "BYOD") == [
        "hyperparameters: expected at most 100 values besides the ranges (SageMaker takes 100), "
        "got 101"
    ]


def test_a_max_runtime_under_one_second_is_refused_instead_of_becoming_zero():
    assert problems_of({"trainmaxrun": 0.0001}) == [
        "trainmaxrun: expected a number of hours from 1 second (1/3600) to 672 (28 days), "
        "got 0.0001"
    ]


def test_spot_wait_must_still_cover_the_max_runtime():
    assert problems_of({"spot": True, "trainmaxrun": 2, "maxwait": 1.5}) == [
        "maxwait: expected at least trainmaxrun (2 hours), got 1.5"
    ]


NUMERIC_KEYS = [
    "traininstancecount",
    "trainvolumesize",
    "trainmaxrun",
    "maxwait",
    "maxtrainingjobs",
    "maxparalleltrainingjobs",
    "hostinstancecount",
    "containerloglevel",
    "deploygate.Threshold",
    "deploygate.MinImprovement",
    "approval.TimeoutHours",
    "datacapture.SamplingPercentage",
    "autoscaling.MinCapacity",
    "autoscaling.MaxCapacity",
    "autoscaling.TargetInvocationsPerInstance",
    "autoscaling.ScaleInCooldown",
    "autoscaling.ScaleOutCooldown",
    "channels.train.ShuffleConfig.Seed",
    "modelhostingenvironment.A",
    "hyperparameters.x",
    "Tags",
]


def _with_number(path: str, number: Any) -> dict:
    if path == "Tags":
        return {"Tags": [{"Key": "k", "Value": number}]}
    document = at(path, number)
    if path.startswith("deploygate"):
        document["deploygate"]["MetricName"] = "acc"
    if path.startswith("maxwait"):
        document["spot"] = True
    return document


@pytest.mark.parametrize("number", [INF, -INF, HUGE, -HUGE, math.nan], ids=repr)
@pytest.mark.parametrize("path", NUMERIC_KEYS)
def test_numbers_that_are_not_finite_are_refused_in_every_numeric_key(path, number):
    problems = problems_of(_with_number(path, number))

    assert len(problems) == 1, problems
    assert problems[0].startswith(path if path != "modelhostingenvironment.A" else path[:-2])


@pytest.mark.parametrize("bound", ["MinValue", "MaxValue"])
@pytest.mark.parametrize("number", [INF, HUGE, math.nan, "1e309", "nan"], ids=repr)
def test_range_bounds_must_be_finite(bound, number):
    value = {"MinValue": 0, "MaxValue": 1, bound: number}

    problems = problems_of({**HPO, "hyperparameters": {"lr": value, **OK}})

    assert len(problems) == 1, problems
    assert problems[0].startswith("hyperparameters.lr: expected")


@pytest.mark.parametrize(
    "value",
    [math.nan, INF, -INF, [1, math.nan], {"a": [INF]}, HUGE, 10**5000],
    ids=["nan", "inf", "-inf", "nan-in-list", "inf-in-object", "10**400", "10**5000"],
)
def test_hyperparameter_values_must_be_finite(value):
    problems = problems_of({"hyperparameters": {"lr": value}})

    assert len(problems) == 1
    assert problems[0].startswith("hyperparameters.lr: expected finite numbers")


@pytest.mark.parametrize("value", [math.nan, INF])
def test_categorical_values_must_be_finite(value):
    problems = problems_of({**HPO, "hyperparameters": {**OK, "x": {"Values": [1, value]}}})

    assert len(problems) == 1
    assert problems[0].startswith("hyperparameters.x: expected finite numbers (no NaN or Infinity)")


def test_numeric_tag_values_must_be_finite_and_fit():
    assert parse_config({"Tags": [{"Key": "n", "Value": 1.5}]}, "BYOD").Tags[0].Value == "1.5"
    assert problems_of({"Tags": [{"Key": "n", "Value": math.nan}]})[0].startswith("Tags.0.Value")


def _nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


@pytest.mark.parametrize(
    "key", ["hyperparameters", "channels", "Tags", "train", "framework", "autoscaling", "bogus"]
)
def test_deep_nesting_is_a_problem_not_a_recursion_error(key):
    problems = problems_of({key: _nested(5000)})

    assert problems
    assert all(key in problem for problem in problems), problems


def test_a_deep_hyperparameter_value_names_its_key():
    assert problems_of({"hyperparameters": {"x": _nested(5000)}}) == [
        "hyperparameters.x: expected a value nested at most 100 levels deep, "
        "got a value too large to show"
    ]


def test_an_integer_too_long_to_print_is_still_reported():
    problems = problems_of({"trainvolumesize": 10**5000})

    assert problems == [
        "trainvolumesize: expected a whole number from 1 to 16384, got a value too large to show"
    ]


def test_a_valid_document_holds_only_finite_numbers():
    config = parse_config(
        {
            **HPO,
            "hyperparameters": {"lr": {"MinValue": 1e-5, "MaxValue": 1e5}, "x": [1.5, 2]},
            "deploygate": {"MetricName": "acc", "Threshold": 0.9},
            "autoscaling": {"TargetInvocationsPerInstance": 1e300},
        },
        "PYTORCH",
    )

    json.dumps(config.to_document(), allow_nan=False)


def test_the_lengths_checked_are_those_of_the_values_the_requests_send():
    from domain.config import hyperparameter_text, range_bound_text
    from domain.requests.common import encode_number, encode_plain

    for value in ["a", 'q"uote', 1, 1.5, True, [1, "x"], {"a": None}]:
        assert hyperparameter_text(value, script_mode=False) == encode_plain(value)
        assert hyperparameter_text(value, script_mode=True) == json.dumps(value)  # framework.py
    for bound in [0.0, 3.0, -7.0, 1e255, 0.1, -2.5, 1e-300]:
        assert range_bound_text(bound) == encode_number(bound)
