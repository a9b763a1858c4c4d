"""AWS packaging: local CodeUri/DefinitionUri uploaded and rewritten; the Launch Stack URL."""

from __future__ import annotations

import zipfile
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sagebuild import deployer


class RecordingS3:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def upload_file(self, filename: str, bucket: str, key: str) -> None:
        self.files[f"{bucket}/{key}"] = Path(filename).read_bytes()

    def put_object(self, Bucket: str, Key: str, Body: bytes, **kwargs: object) -> None:  # noqa: N803
        self.files[f"{Bucket}/{Key}"] = Body


def _project(tmp_path: Path) -> Path:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "handler.py").write_text("def handler(e, c):\n    return e\n")
    (tmp_path / "flow.asl.json").write_text('{"StartAt": "A", "States": {}}')
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Globals:\n  Function:\n    CodeUri: code/\n"
        "Resources:\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Handler: handler.handler, Runtime: python3.11}\n"
        "  Other:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: s3://already/there.zip, Handler: h.h, Runtime: python3.11}\n"
        "  Flow:\n    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n      DefinitionUri: flow.asl.json\n"
        "      DefinitionSubstitutions: {FnArn: !GetAtt Fn.Arn}\n"
    )
    return template


def test_package_uploads_local_artifacts_and_rewrites_their_uris(tmp_path):
    template_path = _project(tmp_path)
    s3 = RecordingS3()
    packaged = deployer.package(deployer.load_template(template_path), tmp_path, s3, "b", "p")
    code_uri = packaged["Globals"]["Function"]["CodeUri"]
    assert code_uri.startswith("s3://b/p/code/code-") and code_uri.endswith(".zip")
    (tmp_path / "got.zip").write_bytes(s3.files[code_uri.removeprefix("s3://")])
    assert zipfile.ZipFile(tmp_path / "got.zip").namelist() == ["handler.py"]
    assert packaged["Resources"]["Other"]["Properties"]["CodeUri"] == "s3://already/there.zip"
    location = packaged["Resources"]["Flow"]["Properties"]["DefinitionUri"]
    assert location["Bucket"] == "b" and location["Key"].startswith("p/statemachine/flow.asl-")
    substitutions = packaged["Resources"]["Flow"]["Properties"]["DefinitionSubstitutions"]
    assert substitutions == {"FnArn": {"Fn::GetAtt": ["Fn", "Arn"]}}  # short form expanded


def test_packaging_twice_gives_the_same_keys(tmp_path):
    template_path = _project(tmp_path)
    first = deployer.package(deployer.load_template(template_path), tmp_path, RecordingS3(), "b")
    second = deployer.package(deployer.load_template(template_path), tmp_path, RecordingS3(), "b")
    assert first == second


def test_quick_create_url_encodes_the_template_url_and_stack():
    url = deployer.quick_create_url(
        "eu-west-1", "https://b.s3.eu-west-1.amazonaws.com/p/template.json", "my stack"
    )
    assert url.startswith(
        "https://console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/quickcreate?"
    )
    query = parse_qs(urlsplit(url).fragment.split("?", 1)[1])
    assert (
        unquote(query["templateURL"][0]) == "https://b.s3.eu-west-1.amazonaws.com/p/template.json"
    )
    assert query["stackName"] == ["my stack"]


def test_publish_uploads_the_template_next_to_the_code(tmp_path):
    template_path = _project(tmp_path)
    s3 = RecordingS3()

    class Session:
        def client(self, name: str) -> RecordingS3:
            assert name == "s3"
            return s3

    template_url, launch = deployer.publish(
        Session(),
        region="us-east-1",
        bucket="b",
        prefix="rel/1",
        stack="demo",
        template_path=template_path,
    )
    assert template_url == "https://b.s3.amazonaws.com/rel/1/template.json"
    assert b"s3://b/rel/1/code/" in s3.files["b/rel/1/template.json"]
    assert "stackName=demo" in launch
