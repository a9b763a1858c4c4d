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


# --- values no parameter can hold: one line on stderr, exit code 2, never a traceback -------

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a": ' * 1000 + "1" + "}" * 1000
HUGE = "1" + "0" * 400


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DEEP, "expected a value nested at most 100 levels deep, got 1000"),
        (DEEP_OBJECT, "expected a value nested at most 100 levels deep, got 1000"),
        ("[" * 1000, "expected a value nested at most 100 levels deep, got 1000"),
        ("1e309", "expected finite numbers, got 1e309"),
        ("-1e309", "expected finite numbers, got -1e309"),
        ('{"eta": NaN}', "expected finite numbers, got NaN"),
        ("[Infinity]", "expected finite numbers, got Infinity"),
        (HUGE, "expected finite numbers, got 10000000000000000000... (401 digits)"),
        ("9" * 5000, "expected finite numbers, got 99999999999999999999... (5000 digits)"),
    ],
)
def test_values_no_parameter_can_hold_are_user_errors(text, expected):
    with pytest.raises(UserError) as raised:
        parse_value(text)

    assert str(raised.value) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("[" * 100 + "]" * 100, json.loads("[" * 100 + "]" * 100)),
        ('"[[[["', "[[[["),
        ("NaNa", "NaNa"),
        ("1e309x", "1e309x"),
        ("1e308", 1e308),
        ('["[[[[", 1]', ["[[[[", 1]),
    ],
)
def test_values_that_parse_or_are_plain_strings_are_kept(text, value):
    assert parse_value(text) == value


def test_assignment_errors_name_the_key():
    with pytest.raises(UserError, match=r"^trainmaxrun: expected finite numbers, got 1e309$"):
        parse_assignments(["trainmaxrun=1e309"])


@pytest.fixture
def offline(monkeypatch):
    """The CLI without AWS: a stored document and a stack framework; publishing and saving
    are recorded."""
    from cli_patching import offline as offline_cli

    sent: dict[str, list] = {"published": [], "saved": []}

    def publish(target, topic, message, subject):
        sent["published"].append(message)
        return "m-1"

    offline_cli(monkeypatch, publish, lambda target, document: sent["saved"].append(document))
    return sent


def _assert_one_line(result, text: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert text in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [["params", "set"], ["start", "--set"]])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DEEP, "trainmaxrun: expected a value nested at most 100 levels deep"),
        ('{"a": ' * 1000 + "1" + "}" * 1000, "trainmaxrun: expected a value nested"),
        ("1e309", "trainmaxrun: expected finite numbers, got 1e309"),
        (HUGE, "trainmaxrun: expected finite numbers, got 1000"),
    ],
    ids=["deep-list", "deep-object", "1e309", "10**400"],
)
def test_set_values_no_parameter_can_hold_are_one_line(offline, command, value, expected):
    result = runner.invoke(app, [*command, f"trainmaxrun={value}"])

    _assert_one_line(result, expected)
    assert offline == {"published": [], "saved": []}


@pytest.mark.parametrize("command", [["params", "set"], ["start", "--set"]])
def test_huge_numbers_that_parse_are_refused_by_validation_naming_the_key(offline, command):
    result = runner.invoke(app, [*command, f"traininstancecount={'9' * 300}"])

    assert result.exit_code == 2, result.output
    assert "traininstancecount: expected a whole number from 1 to 100" in result.stderr
    assert "Traceback" not in result.output
    assert offline == {"published": [], "saved": []}


def test_start_validates_its_overrides_before_publishing(offline):
    result = runner.invoke(app, ["start", "--set", "badkey=1", "--set", "trainmaxrun=0.0001"])

    assert result.exit_code == 2, result.output
    assert "nothing published" in result.stderr
    assert "unknown key 'badkey'" in result.stderr
    assert "trainmaxrun: expected a number of hours from 1 second" in result.stderr
    assert offline["published"] == []


def test_start_publishes_valid_overrides(offline):
    result = runner.invoke(app, ["start", "--set", "trainmaxrun=2", "--reason", "why"])

    assert result.exit_code == 0, result.output
    assert offline["published"] == [{"overrides": {"trainmaxrun": 2}, "reason": "why"}]


def test_start_without_overrides_publishes_without_reading_the_document(offline, monkeypatch):
    from cli_patching import replace

    from sagebuild.cli import params

    replace(monkeypatch, params, "stored", lambda target: pytest.fail("read the document"))
    result = runner.invoke(app, ["start", "--no-train"])

    assert result.exit_code == 0, result.output
    assert offline["published"] == [{"train": False}]


def test_params_set_saves_valid_values(offline):
    result = runner.invoke(app, ["params", "set", "trainmaxrun=2", "trainvolumesize=16384"])

    assert result.exit_code == 0, result.output
    assert offline["saved"] == [{"framework": "SCIKIT", "trainmaxrun": 2, "trainvolumesize": 16384}]
    assert "saved trainmaxrun, trainvolumesize" in result.stdout


def test_params_validate_of_a_deeply_nested_file_is_one_line(tmp_path):
    path = tmp_path / "params.json"
    path.write_text('{"hyperparameters": ' + "[" * 100_000 + "]" * 100_000 + "}")

    result = runner.invoke(app, ["params", "validate", str(path), "--framework", "SCIKIT"])

    _assert_one_line(result, "nested too deeply")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"trainmaxrun": ' + HUGE + "}", "trainmaxrun"),
        (
            '{"deploygate": {"MetricName": "acc", "Threshold": ' + HUGE + "}}",
            "deploygate.Threshold",
        ),
        ('{"approval": {"TimeoutHours": 1e309}}', "approval.TimeoutHours"),
        ('{"hyperparameters": {"lr": NaN}}', "hyperparameters.lr"),
        ('{"hyperparameters": {"lr": ' + "[" * 500 + "]" * 500 + "}}", "hyperparameters.lr"),
    ],
    ids=["10**400", "threshold", "1e309", "nan", "deep"],
)
def test_params_validate_names_the_key_of_a_number_or_nesting_sagemaker_cannot_take(
    tmp_path, text, key
):
    path = tmp_path / "params.json"
    path.write_text(text)

    result = runner.invoke(app, ["params", "validate", str(path), "--framework", "SCIKIT"])

    assert result.exit_code == 2, result.output
    assert f"  - {key}: expected" in result.stderr
    assert "Traceback" not in result.output


def test_a_stored_document_nested_too_deep_to_read_is_one_user_error():
    from cli_patching import replace

    from sagebuild.cli import params
    from sagebuild.cli_support.errors import UserError

    class Ssm:
        def get_parameter(self, Name):  # noqa: N803 - boto3's spelling
            return {"Parameter": {"Value": "[" * 100_000 + "]" * 100_000}}

    class Target:
        def client(self, service):
            return Ssm()

        def output(self, name):
            return "/demo/parameters"

    with pytest.MonkeyPatch.context() as patch:
        replace(patch, params, "parameter_name", lambda target: "/demo/parameters")
        with pytest.raises(UserError, match="nests JSON too deeply"):
            params.stored(Target())
