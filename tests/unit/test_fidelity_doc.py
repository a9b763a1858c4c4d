"""docs/fidelity.md stays true to the original's inventory and to our template and ASL."""

from __future__ import annotations

import re

import pytest
from helpers import ROOT, load_asl

DOC_PATH = ROOT / "docs" / "fidelity.md"
TEMPLATE_PATH = ROOT / "template.yaml"

# reference/original.md §1.1: the original's 21 stack parameters (spelling as in the original).
ORIGINAL_PARAMETERS = (
    "Parameters",
    "AssetBucket",
    "AssetPrefix",
    "ExternalTrainingPolicy",
    "ExternalHostingPolicy",
    "ConfigFramework",
    "BucketTriggerBuild",
    "ConfigDeploy",
    "Type",
    "NoteBookInstanceType",
    "ExternalDataBucket",
    "ExternalCodeBucket",
    "ExternalLaunchTopic",
    "ExternalCodeCommitRepo",
    "ExternalGithubRepo",
    "BranchBuildTrigger",
    "EndpointConfigLambda",
    "TrainingConfigLambda",
    "ModelConfigLambda",
    "ETLStepFuction",
    "PostProcessStepFuction",
)

# reference/original.md §1.2: the original's 21 stack outputs.
ORIGINAL_OUTPUTS = (
    "CodeBucket",
    "TrainingRoleArn",
    "TrainingRole",
    "ModelRole",
    "AlexaLambdaArn",
    "ParameterStore",
    "NoteBookUrl",
    "NoteBookInstance",
    "NoteBookInstanceName",
    "DashboardUrl",
    "TrainStatusTopic",
    "LaunchTopic",
    "RollbackTopic",
    "SageMakerEndpoint",
    "StateMachine",
    "DataBucket",
    "TrainingConfigLambda",
    "EndpointConfigLambda",
    "ModelConfigLambda",
    "RepoUrl",
    "StepFunctionConsole",
)

STATUSES = {"kept", "improved", "changed", "fixed", "dropped", "new", "gap", "partly"}


def _doc() -> str:
    return DOC_PATH.read_text(encoding="utf-8")


def _section(doc: str, heading_start: str) -> str:
    """The text from the heading that starts with `heading_start` to the next heading."""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading_start))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return "\n".join(lines[start + 1 : end])


def _first_column_names(section: str) -> set[str]:
    """Backticked names in the first column of a section's table rows."""
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            first = line.split("|")[1]
            names.update(re.findall(r"`([^`]+)`", first))
    return names


def _template_outputs() -> set[str]:
    from samtranslator.yaml_helper import yaml_parse

    return set(yaml_parse(TEMPLATE_PATH.read_text(encoding="utf-8"))["Outputs"])


def _flow_table_states(doc: str) -> set[str]:
    """State names in the sagebuild column (the second) of the §3.2 flow table."""
    found: set[str] = set()
    for line in _section(doc, "### 3.2").splitlines():
        cells = line.split("|")
        if line.startswith("|") and not line.startswith("|---") and len(cells) > 3:
            found.update(re.findall(r"`([^`]+)`", cells[2]))
    return found


@pytest.mark.parametrize("name", ORIGINAL_PARAMETERS)
def test_every_original_parameter_has_a_row_in_the_parameters_table(name):
    assert name in _first_column_names(_section(_doc(), "### 1.1")), name


@pytest.mark.parametrize("name", ORIGINAL_OUTPUTS)
def test_every_original_output_has_a_row_in_the_outputs_table(name):
    assert name in _first_column_names(_section(_doc(), "### 1.2")), name


def test_every_original_output_is_still_a_template_output():
    assert set(ORIGINAL_OUTPUTS) - _template_outputs() == set()


def test_every_state_the_flow_table_names_exists_in_the_asl():
    states = set(load_asl()["States"])
    named = _flow_table_states(_doc())
    assert named, "the §3.2 table names no sagebuild state"
    assert named - states == set()


def test_every_asl_state_appears_in_the_flow_table():
    states = set(load_asl()["States"])
    assert states - _flow_table_states(_doc()) == set()


def test_every_table_row_ends_with_a_known_status():
    doc = _doc()
    body = doc[doc.index("## 1. Stack parameters") : doc.index("## Open gaps")]
    bad = []
    for line in body.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        last = line.rstrip().rstrip("|").split("|")[-1].strip()
        word = re.sub(r"[^a-z]", "", last.split()[0].lower()) if last else ""
        if last != "status" and word not in STATUSES:
            bad.append(line[:80])
    assert bad == []
