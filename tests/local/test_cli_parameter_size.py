"""`sagebuild params set` against emulated AWS with its SSM limits: a document over 4,096
characters is saved as an Advanced parameter, one over 8,192 is refused in one line."""

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


def _set(*assignments: str):
    return CliRunner().invoke(
        app, ["--stack", "demo", "--region", REGION, "params", "set", *assignments]
    )


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
