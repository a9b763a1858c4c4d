"""AWS packaging: local CodeUri/DefinitionUri uploaded and rewritten; the Launch Stack URL."""

from __future__ import annotations

import zipfile
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

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
        "    Properties: {Handler: handler.handler, Runtime: python3.13}\n"
        "  Other:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: s3://already/there.zip, Handler: h.h, Runtime: python3.13}\n"
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


class FakePip:
    """Stands in for `pip install --target DIR ...`: writes a few packages, records the call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, arguments: list[str]) -> None:
        self.calls.append(arguments)
        target = Path(arguments[arguments.index("--target") + 1])
        for name in (
            "crhelper/__init__.py",
            "pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so",
            "pydantic_core-2.0.dist-info/METADATA",
            "boto3/__init__.py",
            "boto3-1.0.dist-info/METADATA",
            "botocore/__init__.py",
            "s3transfer/__init__.py",
            "bin/jp.py",
            "crhelper/__pycache__/x.cpython-311.pyc",
        ):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_text(name)


def _with_requirements(tmp_path: Path, text: str = "crhelper==2.0.12\n") -> Path:
    template_path = _project(tmp_path)
    (tmp_path / "code" / "requirements.txt").write_text(text)
    return template_path


def _zip_names(tmp_path: Path, s3: RecordingS3, packaged: dict) -> list[str]:
    key = packaged["Globals"]["Function"]["CodeUri"].removeprefix("s3://")
    (tmp_path / "got.zip").write_bytes(s3.files[key])
    return zipfile.ZipFile(tmp_path / "got.zip").namelist()


def test_package_bundles_the_requirements_for_the_lambda_platform_without_boto3(tmp_path):
    template_path = _with_requirements(tmp_path)
    pip, s3 = FakePip(), RecordingS3()
    packaged = deployer.package(
        deployer.load_template(template_path),
        tmp_path,
        s3,
        "b",
        cache_dir=tmp_path / "cache",
        pip=pip,
    )
    names = _zip_names(tmp_path, s3, packaged)
    assert "handler.py" in names and "requirements.txt" in names
    assert "crhelper/__init__.py" in names
    assert "pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so" in names
    assert not [n for n in names if n.split("/")[0].startswith(("boto3", "botocore", "s3t"))]
    assert not [n for n in names if n.startswith("bin/") or n.endswith(".pyc")]
    assert names == sorted(names)
    (arguments,) = pip.calls
    assert arguments[:1] == ["install"]
    assert "--platform manylinux2014_x86_64 --implementation cp" in " ".join(arguments)
    assert arguments[arguments.index("--python-version") + 1] == "3.13"
    assert "--only-binary=:all:" in arguments
    assert arguments[-2:] == ["-r", str(tmp_path / "code" / "requirements.txt")]


def test_the_dependency_install_is_cached_by_the_requirements_hash(tmp_path):
    template_path = _with_requirements(tmp_path)
    pip = FakePip()

    def package() -> dict:
        return deployer.package(
            deployer.load_template(template_path), tmp_path, RecordingS3(), "b", pip=pip
        )

    first = package()
    assert package() == first and len(pip.calls) == 1
    assert len(list((tmp_path / ".sagebuild" / "build" / "deps").iterdir())) == 1
    (tmp_path / "code" / "requirements.txt").write_text("crhelper==2.0.11\n")
    package()
    assert len(pip.calls) == 2


def test_a_failed_dependency_install_leaves_nothing_in_the_cache(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("x\n")

    def failing(arguments: list[str]) -> None:
        raise deployer.UserError("installing the Lambda dependencies failed (pip needs PyPI): x")

    with pytest.raises(deployer.UserError, match="needs PyPI"):
        deployer.install_dependencies(requirements, tmp_path / "cache", failing)
    done = [p for p in (tmp_path / "cache" / "deps").iterdir() if not p.name.endswith(".partial")]
    assert done == []


def test_run_pip_reports_a_pip_failure_as_one_line():
    with pytest.raises(deployer.UserError) as raised:
        deployer.run_pip(["--no-such-option"])
    assert str(raised.value).startswith("installing the Lambda dependencies failed")
    assert "\n" not in str(raised.value)


def test_the_alexa_and_lambdas_directories_each_ship_their_requirements():
    root = deployer.REPO_ROOT
    for code_dir in ("lambdas", "alexa"):
        text = (root / code_dir / "requirements.txt").read_text()
        packages = [line.split("==")[0] for line in text.splitlines() if line[:1].isalpha()]
        assert "aws-lambda-powertools" in packages
        assert "boto3" not in packages and "botocore" not in packages


def test_notebooks_examples_and_the_helper_wheel_are_uploaded_for_the_notebook_instance(tmp_path):
    from moto import mock_aws

    from sagebuild.deployer import REPO_ROOT, upload_notebooks

    def fake_wheel(project, out_dir):
        wheel = out_dir / "sagebuild-0.1.0-py3-none-any.whl"
        wheel.write_bytes(b"wheel")
        return wheel

    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="code")
        keys = upload_notebooks(s3, "code", REPO_ROOT, wheel=fake_wheel)
        stored = {o["Key"] for o in s3.list_objects_v2(Bucket="code")["Contents"]}
    assert set(keys) == stored
    assert "notebooks/quickstart.ipynb" in stored
    assert "notebooks/examples/iris/iris.csv" in stored
    assert "notebooks/examples/byod/serve" in stored
    assert "notebooks/wheel/sagebuild-0.1.0-py3-none-any.whl" in stored


def _with_architecture(tmp_path: Path) -> Path:
    """The project of `_with_requirements`, its functions on `!Ref Architecture` (python3.13)."""
    template_path = _with_requirements(tmp_path)
    text = template_path.read_text().replace(
        "Globals:\n  Function:\n    CodeUri: code/\n",
        "Parameters:\n  Architecture:\n    Type: String\n    Default: x86_64\n"
        "    AllowedValues: [x86_64, arm64]\n"
        "Globals:\n  Function:\n    CodeUri: code/\n    Runtime: python3.13\n"
        "    Architectures: [!Ref Architecture]\n",
    )
    template_path.write_text(text.replace(", Runtime: python3.13}", "}"))
    return template_path


def test_the_lambda_platform_is_the_templates_runtime_and_architecture_parameter(tmp_path):
    template = deployer.load_template(_with_architecture(tmp_path))

    assert deployer.lambda_platform(template) == deployer.LambdaPlatform("python3.13", "x86_64")
    arm = deployer.lambda_platform(template, {"Architecture": "arm64"})
    assert arm.pip_options() == [
        "--platform", "manylinux2014_aarch64", "--implementation", "cp",
        "--python-version", "3.13", "--only-binary=:all:",
    ]  # fmt: skip
    with pytest.raises(deployer.UserError, match="unsupported Lambda architecture sparc"):
        deployer.lambda_platform(template, {"Architecture": "sparc"})


def test_functions_that_disagree_on_the_runtime_are_refused(tmp_path):
    template = deployer.load_template(_with_architecture(tmp_path))
    template["Resources"]["Fn"]["Properties"]["Runtime"] = "python3.12"

    with pytest.raises(deployer.UserError, match="mix runtimes or architectures"):
        deployer.lambda_platform(template)


def test_package_bundles_arm64_wheels_when_the_architecture_parameter_is_arm64(tmp_path):
    template_path = _with_architecture(tmp_path)
    pip = FakePip()

    for architecture in ("arm64", "x86_64", "arm64"):
        deployer.package(
            deployer.load_template(template_path),
            tmp_path,
            RecordingS3(),
            "b",
            cache_dir=tmp_path / "cache",
            pip=pip,
            parameters={"Architecture": architecture},
        )

    platforms = [arguments[arguments.index("--platform") + 1] for arguments in pip.calls]
    assert platforms == ["manylinux2014_aarch64", "manylinux2014_x86_64"]  # each cached apart
    assert all(a[a.index("--python-version") + 1] == "3.13" for a in pip.calls)


def test_publish_pins_the_architecture_it_built_for(tmp_path, monkeypatch):
    import json

    template_path = _with_architecture(tmp_path)
    s3, built_for = RecordingS3(), []

    def install(requirements, cache_dir, pip, platform):
        built_for.append(platform)
        return None

    monkeypatch.setattr(deployer, "install_dependencies", install)

    class Session:
        def client(self, name: str) -> RecordingS3:
            return s3

    deployer.publish(
        Session(), region="us-east-1", bucket="b", template_path=template_path,
        architecture="arm64",
    )  # fmt: skip

    published = json.loads(s3.files["b/sagebuild/template.json"])
    assert published["Parameters"]["Architecture"]["AllowedValues"] == ["arm64"]
    assert published["Parameters"]["Architecture"]["Default"] == "arm64"
    assert built_for == [deployer.LambdaPlatform("python3.13", "arm64")]


def test_the_dependency_cache_never_goes_into_the_installed_package(tmp_path, monkeypatch):
    from sagebuild import assets

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(assets, "is_bundled", lambda: True)

    assert deployer.default_cache_dir(assets.root()) == tmp_path / ".sagebuild" / "build"
    assert deployer.default_cache_dir(tmp_path / "p") == tmp_path / "p" / ".sagebuild" / "build"


def test_an_editable_install_reads_the_checkouts_files_and_setup_bundles_the_same_ones():
    import ast

    from sagebuild import assets

    root = Path(__file__).resolve().parents[2]
    assert assets.root() == root and not assets.is_bundled()
    assert root / "template.yaml" == deployer.DEFAULT_TEMPLATE
    bundled = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse((root / "setup.py").read_text()).body
        if isinstance(node, ast.Assign)
        and getattr(node.targets[0], "id", "") in {"FILES", "FOLDERS"}
    }
    assert bundled == {"FILES": assets.FILES, "FOLDERS": assets.FOLDERS}
    assert all((root / name).exists() for name in (*assets.FILES, *assets.FOLDERS))
