"""`sagebuild params` against emulated AWS with its SSM limits: a document over 4,096
characters is saved as an Advanced parameter, one over 8,192 is refused in one line; `params get
--resolved` prints the stored document with every default filled in."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from sagebuild.cli import app

REGION = "us-east-1"
NAME = "/demo/parameters"
BASE = {"framework": "SCIKIT", "trainsourcefile": "s3://demo-code/scripts/source.tar.gz"}
TEMPLATE = {
    "Resources": {
        "ParameterStore": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": NAME, "Type": "String", "Value": json.dumps(BASE)},
        }
    },
    "Outputs": {"ParameterStore": {"Value": {"Ref": "ParameterStore"}}},
}


@pytest.fixture
def ssm(monkeypatch, tmp_path):
    from sagebuild.local.moto_ext import limits

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.chdir(tmp_path)  # no local stack state dir here
    with mock_aws():
        undo = limits.install()
        try:
            boto3.client("cloudformation", region_name=REGION).create_stack(
                StackName="demo", TemplateBody=json.dumps(TEMPLATE)
            )
            yield boto3.client("ssm", region_name=REGION)
        finally:
            undo()


def _params(*args: str):
    return CliRunner().invoke(app, ["--stack", "demo", "--region", REGION, "params", *args])


def _set(*assignments: str):
    return _params("set", *assignments)


PADS = ("n0", "n1", "n2", "n3")  # four values: each within SageMaker's 2,500 characters


def _notes(total: int) -> str:
    """Hyperparameters (JSON) that make the stored (compact) document `total` characters."""
    empty = json.dumps(
        {**BASE, "hyperparameters": dict.fromkeys(PADS, "")}, sort_keys=True, separators=(",", ":")
    )
    padding = total - len(empty)
    sizes = [padding // 4 + (padding % 4 if i == 0 else 0) for i in range(4)]
    return json.dumps({k: "x" * n for k, n in zip(PADS, sizes, strict=True)})


def _stored(ssm) -> tuple[str, str]:
    value = ssm.get_parameter(Name=NAME)["Parameter"]["Value"]
    [described] = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [NAME]}])[
        "Parameters"
    ]
    return value, described["Tier"]


def test_params_set_of_a_document_of_8192_characters_saves_it_as_advanced(ssm):
    result = _set(f"hyperparameters={_notes(8192)}")

    value, tier = _stored(ssm)
    assert result.exit_code == 0, result.output
    assert "Advanced parameter" in result.stdout
    assert len(value) == 8192 and tier == "Advanced"


def test_params_set_of_a_document_of_8193_characters_is_refused_naming_the_limit(ssm):
    result = _set(f"hyperparameters={_notes(8193)}")

    value, tier = _stored(ssm)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "8,192" in result.stderr and "nothing saved" in result.stderr
    assert json.loads(value) == BASE and tier == "Standard"


def test_params_set_of_a_small_document_stays_standard(ssm):
    result = _set('hyperparameters={"max_depth": 3}')

    value, tier = _stored(ssm)
    assert result.exit_code == 0, result.output
    assert json.loads(value)["hyperparameters"] == {"max_depth": 3} and tier == "Standard"


def test_params_get_resolved_prints_the_stored_document_with_every_default_filled(ssm):
    result = _params("get", "--resolved")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {**document, **BASE} == document  # the stored keys, as stored
    assert document["traininstancetype"] == "ml.m5.large"  # common default
    assert document["frameworkversion"] == "1.2-1"  # SCIKIT's default
    assert document["trainentrypoint"] == "train.py"  # script-mode default
    assert json.loads(_stored(ssm)[0]) == BASE  # nothing saved


def test_params_get_resolved_of_one_key_prints_its_default(ssm):
    plain = _params("get", "traininstancecount")
    result = _params("get", "traininstancecount", "--resolved")

    assert plain.exit_code == 2 and "no key 'traininstancecount'" in plain.stderr
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == 1


def test_params_get_resolved_of_an_invalid_document_says_what_validate_says(ssm):
    bad = {**BASE, "nosuchkey": 1, "traininstancecount": 0}
    ssm.put_parameter(Name=NAME, Value=json.dumps(bad), Type="String", Overwrite=True)

    result = _params("get", "--resolved")
    validated = _params("validate")

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: invalid parameters:\n")
    assert "  - unknown key 'nosuchkey'" in result.stderr
    assert "  - traininstancecount: expected a whole number from 1 to 100" in result.stderr
    assert (validated.exit_code, validated.stderr) == (2, result.stderr)


def test_params_get_resolved_of_a_document_that_is_not_json_is_one_line(ssm):
    ssm.put_parameter(Name=NAME, Value="{not json", Type="String", Overwrite=True)

    result = _params("get", "--resolved")

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: the stored parameter document is not JSON")
    assert result.stderr.count("\n") == 1
