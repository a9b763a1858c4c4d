"""sagebuild.toml and `sagebuild init`: a user's own project in any folder."""

from __future__ import annotations

import csv
import py_compile

import pytest

from sagebuild.cli_support import project
from sagebuild.cli_support.errors import UserError


def test_a_folder_without_sagebuild_toml_has_no_project(tmp_path):
    assert project.load(tmp_path) is None


def test_the_project_file_gives_stack_region_framework_folders_and_parameters(tmp_path):
    (tmp_path / "sagebuild.toml").write_text(
        '[stack]\nname = "m"\nregion = "eu-west-1"\nframework = "xgboost"\n'
        '[code]\ndir = "src"\n[data]\ndir = "d"\nprefix = "/train/m/"\n'
        "[parameters]\nhyperparameters = { max_depth = 2 }\n"
    )
    found = project.load(tmp_path)
    assert found == project.Project(
        root=tmp_path,
        stack="m",
        region="eu-west-1",
        framework="XGBOOST",
        code_dir=tmp_path / "src",
        data_dir=tmp_path / "d",
        data_prefix="train/m",
        parameters={"hyperparameters": {"max_depth": 2}},
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[stack\nname = 1", "is not valid TOML"),
        ("[stak]\nname = 'm'", "unknown section [stak]"),
        ("[stack]\nnmae = 'm'", "unknown key 'nmae' in [stack]"),
        ("[stack]\nname = 3", "[stack] name must be a non-empty string"),
        ("stack = 3", "stack must be a [stack] table"),
        ("[stack]\nframework = 'SKLEARN'", "framework 'SKLEARN' is not a framework"),
    ],
)
def test_a_broken_project_file_is_one_user_error_naming_the_file_and_the_problem(
    tmp_path, text, message
):
    (tmp_path / "sagebuild.toml").write_text(text)
    with pytest.raises(UserError) as raised:
        project.load(tmp_path)
    assert message in str(raised.value) and "sagebuild.toml" in str(raised.value)


@pytest.mark.parametrize("framework", project.FRAMEWORKS)
def test_init_writes_a_project_that_loads_with_its_code_and_sample_data(tmp_path, framework):
    folder = tmp_path / "My Model"
    written = project.scaffold(folder, framework.lower())
    found = project.load(folder)
    assert found is not None and found.stack == "my-model" and found.framework == framework
    assert found.code_dir == folder / "code" and found.data_prefix == "train/my-model"
    assert found.parameters["channels"] == {"train": {"path": "train/my-model"}}
    assert all(path.is_file() for path in written)
    for script in folder.rglob("*.py"):
        py_compile.compile(str(script), doraise=True)
    if framework == "BYOD":
        assert {p.name for p in (folder / "code").iterdir()} == {"Dockerfile", "train", "serve"}
    else:
        assert found.parameters["trainentrypoint"] == "train.py"
    rows = list(csv.reader((folder / "data" / "sample.csv").open()))
    assert len(rows) == 150 and {row[0] for row in rows} == {"0", "1", "2"}
    assert [p.name for p in (folder / "data").iterdir()] == ["sample.csv"]


def test_init_refuses_to_overwrite_a_project_unless_forced(tmp_path):
    project.scaffold(tmp_path, "SCIKIT")
    with pytest.raises(UserError, match="pass --force"):
        project.scaffold(tmp_path, "SCIKIT")
    assert project.scaffold(tmp_path, "XGBOOST", force=True)
    assert project.load(tmp_path).framework == "XGBOOST"


def test_init_names_the_frameworks_it_knows(tmp_path):
    with pytest.raises(UserError, match="SCIKIT, XGBOOST, PYTORCH, BYOD"):
        project.scaffold(tmp_path, "SKLEARN")
