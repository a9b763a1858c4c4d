"""Properties of the parameter document and of `--set` values, over arbitrary input.

Whatever JSON a user writes (any keys, huge integers, 1e309, NaN, deep nesting, wrong types),
validation returns problems that each name a key, never another exception; a valid document
holds only finite numbers. Whatever a `--set` item says, it parses, or is one user error
naming its key, and the CLI exits 0 or 2 without a traceback.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from domain.config import (
    FRAMEWORKS,
    Approval,
    AutoScaling,
    Build,
    Channel,
    Config,
    DataCapture,
    DeployGate,
    MetricDefinition,
    PipelineContainer,
    Shuffle,
    Tag,
    TuningObjective,
    parse_config,
)
from domain.errors import InvalidParameters, UnsupportedConfiguration
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sagebuild.cli import app, parse_assignments
from sagebuild.cli_support.errors import UserError

MODELS = (Approval, AutoScaling, Build, Channel, DataCapture, DeployGate, MetricDefinition)
MODELS += (PipelineContainer, Shuffle, Tag, TuningObjective)
runner = CliRunner()
SETTINGS = settings(max_examples=200, deadline=None, database=None)

# The keys the schema checks (top level and nested), and what its values are made of.
TOP = sorted(Config.model_fields)
NESTED = sorted(
    {name for model in MODELS for name in model.model_fields}
    | {"Values", "MinValue", "MaxValue", "integer", "ScalingType", "contentType"}
)
WORDS = [
    "SAGEMAKERHPO", "Maximize", "ml.m5.large", "s3://bucket/key", "true", "none", "File",
    "1e309", "NaN", "-Infinity", "4", "0.0001", '{"MinValue": 1, "MaxValue": 1e309}',
]  # fmt: skip
NUMBERS = [math.inf, -math.inf, math.nan, 1e308, 0.0001, 2**31, 2**63, 16385, 673, 101, 0, -1]

keys = st.one_of(st.sampled_from(TOP), st.sampled_from(NESTED), st.text(max_size=8))
numbers = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from([400, -400, 5000]).map(
        lambda power: (1 if power > 0 else -1) * 10 ** abs(power)
    ),
    st.integers(),
    st.floats(),
)
scalars = st.one_of(
    numbers,
    numbers,
    st.none(),
    st.booleans(),
    st.sampled_from(WORDS),
    st.text(max_size=12),
)


def _nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
values_or_deep = st.one_of(scalars, values, st.integers(90, 3000).map(_nested))
top_keys = st.one_of(st.sampled_from(TOP), st.sampled_from(TOP), st.text(max_size=8))
# Paths into the schema's nested objects, so that edge values reach every check.
PATHS = [(key,) for key in TOP] + [
    (parent, *child.split("."))
    for parent, children in {
        "deploygate": ["MetricName", "Threshold", "MinImprovement"],
        "approval": ["TimeoutHours", "Required"],
        "datacapture": ["SamplingPercentage"],
        "autoscaling": list(AutoScaling.model_fields),
        "channels": ["train.path", "train.ShuffleConfig.Seed", "train.dist"],
        "hyperparameters": ["x", "y.MinValue", "y.MaxValue", "y.Values", "y.integer"],
        "modelhostingenvironment": ["A"],
        "tuningobjective": ["Name", "Type", "Regex"],
    }.items()
    for child in children
]


def _document(assignments: list[tuple[tuple[str, ...], Any]]) -> dict:
    """A document with each value at its path (later paths win where they collide)."""
    document: dict = {}
    for path, value in assignments:
        node = document
        for part in path[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[path[-1]] = value
    return document


documents = st.one_of(
    st.dictionaries(top_keys, values_or_deep, max_size=8),
    st.lists(st.tuples(st.sampled_from(PATHS), values_or_deep), max_size=8).map(_document),
)
frameworks = st.sampled_from([*FRAMEWORKS, "CHAINER", "bogus", ""])
NAMES = set(Config.model_fields) | {"framework", "the parameter document"}


def _names_a_key(problem: str) -> bool:
    if problem.startswith("unknown key "):
        return True
    head, sep, _ = problem.partition(": ")
    return bool(sep) and head.split(".")[0] in NAMES


@SETTINGS
@given(document=documents, framework=frameworks)
def test_validation_returns_problems_naming_keys_and_never_raises(document, framework):
    try:
        config = parse_config(document, framework)
    except InvalidParameters as error:
        assert error.problems
        for problem in error.problems:
            assert _names_a_key(problem), problem
            assert "\n" not in problem, problem
        return
    except UnsupportedConfiguration as error:
        assert str(error).startswith("framework ")
        return

    json.dumps(config.to_document(), allow_nan=False)  # only finite numbers


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value)
    except ValueError:  # an integer of over 4300 digits
        return "1" + "0" * 5000


texts = st.one_of(
    st.text(max_size=30),
    values.map(_dumps),
    st.integers(90, 3000).map(lambda n: "[" * n + "]" * n),
    st.integers(90, 3000).map(lambda n: '{"a": ' * n + "1" + "}" * n),
    st.sampled_from(["1e309", "-1e309", "NaN", "Infinity", "1" + "0" * 400, "NaNa", "1e999x"]),
)
items = st.one_of(
    st.text(max_size=30),
    st.tuples(keys, texts).map(lambda pair: f"{pair[0]}={pair[1]}"),
)


@SETTINGS
@given(item=items)
def test_a_set_item_parses_to_finite_json_or_is_one_user_error_naming_its_key(item):
    try:
        parsed = parse_assignments([item])
    except UserError as error:
        message = str(error)
        assert "\n" not in message
        key, sep, _ = item.partition("=")
        name = key.strip()
        if sep and name:
            assert message.startswith(f"{name if name.isprintable() else repr(name)}: expected")
        else:
            assert message.startswith("expected KEY=VALUE")
        return

    [value] = parsed.values()
    json.dumps(value, allow_nan=False)


# Keys may hold "[": the error printer escapes Rich markup ("[/x]" is not a closing tag).
cli_keys = st.one_of(
    st.sampled_from(TOP),
    st.sampled_from(["[/x]", "[foo bar]", "[red]"]),
    st.text(st.characters(exclude_characters="="), min_size=1, max_size=8),
)
cli_items = st.tuples(cli_keys, texts).map(lambda pair: f"{pair[0]}={pair[1]}")


@settings(max_examples=60, deadline=None, database=None)  # a CLI run each: ~55 ms
@given(item=cli_items, command=st.sampled_from([["start", "--set"], ["params", "set", "--"]]))
def test_the_cli_exits_0_or_2_on_any_set_value_and_never_shows_a_traceback(item, command):
    from cli_patching import offline

    if not item.partition("=")[0].strip():
        return  # "expected KEY=VALUE": covered above
    with pytest.MonkeyPatch.context() as patch:
        offline(patch, publish=lambda *args: "m-1", save=lambda target, document: None)
        result = runner.invoke(app, [*command, item])

    assert result.exit_code in (0, 2), (result.output, result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert result.stderr.startswith("error: ")
