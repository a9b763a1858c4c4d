"""`--set` values, the LaunchTopic message and `params validate` messages."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sagebuild.cli import app, launch_message, parse_assignments, parse_value
from sagebuild.cli_support.errors import UserError

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("0.5", 0.5),
        ("true", True),
        ("null", None),
        ('{"max_depth": 4}', {"max_depth": 4}),
        ("[1, 2]", [1, 2]),
        ("ml.m5.large", "ml.m5.large"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_set_values_are_json_when_they_parse_else_strings(text, value):
    assert parse_value(text) == value


def test_assignments_split_on_the_first_equals_sign():
    assert parse_assignments(["trainmaxrun=2", 'hyperparameters={"eta": 0.1}', "x=a=b"]) == {
        "trainmaxrun": 2,
        "hyperparameters": {"eta": 0.1},
        "x": "a=b",
    }


@pytest.mark.parametrize("item", ["novalue", "=3", " =x"])
def test_assignment_without_a_key_is_a_user_error(item):
    with pytest.raises(UserError, match="KEY=VALUE"):
        parse_assignments([item])


def test_launch_message_carries_train_overrides_and_reason_only_when_given():
    assert launch_message(None, {}, None) == {}
    assert launch_message(False, {"trainmaxrun": 2}, "new data") == {
        "train": False,
        "overrides": {"trainmaxrun": 2},
        "reason": "new data",
    }


def test_launch_message_parses_back_as_the_launch_function_reads_it():
    from domain.launch import parse_message

    message = launch_message(False, {"trainmaxrun": 2}, "because")
    trigger = parse_message(json.dumps(message), "m-1")
    assert trigger.overrides == {"trainmaxrun": 2, "train": False}
    assert trigger.detail == "because"


def test_params_validate_names_every_bad_key_and_exits_2(tmp_path):
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"framework": "XGBOOST", "trainmaxrun": -1, "bogus": 1}))
    result = runner.invoke(app, ["params", "validate", str(path)])
    assert result.exit_code == 2
    assert "unknown key 'bogus'" in result.stderr
    assert "trainmaxrun" in result.stderr
    assert "Traceback" not in result.output


def test_params_validate_accepts_a_valid_document(tmp_path):
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"framework": "SCIKIT", "trainmaxrun": 2}))
    result = runner.invoke(app, ["params", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout


def test_params_validate_uses_the_framework_option_when_the_document_has_none(tmp_path):
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"trainmaxrun": 2}))
    result = runner.invoke(app, ["params", "validate", str(path), "--framework", "CHAINER"])
    assert result.exit_code == 2
    assert "CHAINER is no longer supported" in result.stderr


def test_params_validate_of_a_file_that_is_not_json_is_one_line(tmp_path):
    path = tmp_path / "params.json"
    path.write_text("{not json")
    result = runner.invoke(app, ["params", "validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "is not JSON" in result.stderr
