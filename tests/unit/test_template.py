"""The SAM template is tested like code: it lints clean, transforms offline, and agrees with the
code it deploys (handlers, ASL substitutions, settings, custom resources, parameter defaults)."""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import fields
from typing import Any

import pytest
from domain.config import FRAMEWORKS, SCRIPT_MODE_FRAMEWORKS, defaults_for, parse_config
from domain.settings import Settings
from helpers import ASL_PATH, ROOT
from samtranslator.yaml_helper import yaml_parse

TEMPLATE_PATH = ROOT / "template.yaml"
TEXT = TEMPLATE_PATH.read_text()
TEMPLATE = yaml_parse(TEXT)
RESOURCES: dict[str, dict] = TEMPLATE["Resources"]
GLOBAL_FUNCTION = TEMPLATE["Globals"]["Function"]

# docs/architecture.md "Functions": the step functions the ASL calls.
STEP_FUNCTIONS = [
    "InitializeFunction", "NotifyFunction", "StartHookFunction", "PollHookFunction",
    "StartImageBuildFunction", "PollImageBuildFunction", "StartTrainingJobFunction",
    "PollTrainingJobFunction", "StartTuningJobFunction", "PollTuningJobFunction",
    "FindModelArtifactFunction", "CreateModelFunction", "CreateEndpointConfigFunction",
    "DeployEndpointFunction", "PollEndpointFunction", "VerifyEndpointFunction",
    "CheckQualityGateFunction", "RequestApprovalFunction", "ConfigureAutoscalingFunction",
    "CleanUpDeployFunction", "RecordVersionFunction",
]  # fmt: skip
CUSTOM_RESOURCES = {
    "Custom::EmptyBucket": "empty_bucket",
    "Custom::EmptyImageRepository": "empty_image_repository",
    "Custom::SageMakerCleanup": "sagemaker_cleanup",
    "Custom::BucketNotification": "bucket_notification",
    "Custom::RepositoryTrigger": "repository_trigger",
    "Custom::ParameterMerge": "parameter_merge",
}
ORIGINAL_OUTPUTS = {
    "CodeBucket", "TrainingRoleArn", "TrainingRole", "ModelRole", "AlexaLambdaArn",
    "ParameterStore", "NoteBookUrl", "NoteBookInstance", "NoteBookInstanceName", "DashboardUrl",
    "TrainStatusTopic", "LaunchTopic", "RollbackTopic", "SageMakerEndpoint", "StateMachine",
    "DataBucket", "TrainingConfigLambda", "EndpointConfigLambda", "ModelConfigLambda", "RepoUrl",
    "StepFunctionConsole",
}  # fmt: skip
NEW_OUTPUTS = {"VersionParameterStore", "ArtifactBucket", "ImageRepositoryUri", "ImageBuildProject"}


def _functions() -> dict[str, dict]:
    return {k: r for k, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}


def _walk(node: Any, path: str = ""):
    """Every (path, dict) in the template."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def _strings(node: Any):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


# --- lint and transform ---------------------------------------------------------------------


def test_template_is_cfn_lint_clean():
    from cfnlint.api import ManualArgs, lint

    matches = lint(TEXT, config=ManualArgs(regions=["us-east-1"]))

    assert [str(m) for m in matches] == []


def _transformed(monkeypatch, parameters: dict) -> dict:
    """The template as SAM transforms it offline (code and definition as if packaged)."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    packaged = yaml_parse(TEXT)
    packaged["Globals"]["Function"]["CodeUri"] = "s3://bucket/lambdas.zip"
    packaged["Resources"]["AlexaFunction"]["Properties"]["CodeUri"] = "s3://bucket/alexa.zip"
    packaged["Resources"]["PipelineStateMachine"]["Properties"]["DefinitionUri"] = "s3://b/a.json"
    return transform(packaged, parameters, NoManagedPolicies())


def test_template_transforms_offline_with_sam_translator(monkeypatch):
    out = _transformed(monkeypatch, {})

    types = {r["Type"] for r in out["Resources"].values()}
    assert "AWS::StepFunctions::StateMachine" in types
    assert not any(t.startswith("AWS::Serverless::") for t in types)
    assert "Rules" in out


def test_functions_run_python313_on_the_architecture_the_stack_parameter_chooses():
    architecture = TEMPLATE["Parameters"]["Architecture"]

    assert GLOBAL_FUNCTION["Runtime"] == "python3.13"
    assert GLOBAL_FUNCTION["Architectures"] == [{"Ref": "Architecture"}]
    assert architecture["AllowedValues"] == ["x86_64", "arm64"]
    assert architecture["Default"] == "x86_64"
    overrides = {
        logical_id: {k: function["Properties"][k] for k in ("Runtime", "Architectures")}
        for logical_id, function in _functions().items()
        if {"Runtime", "Architectures"} & set(function["Properties"])
    }
    assert overrides == {}, "every function takes Runtime and Architectures from Globals"


@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_the_architecture_parameter_reaches_every_transformed_function(architecture, monkeypatch):
    out = _transformed(monkeypatch, {"Architecture": architecture})

    functions = [r for r in out["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert functions
    for function in functions:
        assert function["Properties"]["Runtime"] == "python3.13"
        assert function["Properties"]["Architectures"] == [{"Ref": "Architecture"}]


# --- code the template points at ------------------------------------------------------------


@pytest.mark.parametrize("logical_id", sorted(_functions()))
def test_every_function_handler_module_exists(logical_id):
    properties = RESOURCES[logical_id]["Properties"]
    code_uri = properties.get("CodeUri", GLOBAL_FUNCTION["CodeUri"])
    module, _, function = properties["Handler"].rpartition(".")
    path = ROOT / code_uri / (module.replace(".", "/") + ".py")

    assert path.is_file(), f"{logical_id}: {path} does not exist"
    assert re.search(rf"^def {function}\(", path.read_text(), re.M), f"no {function} in {path}"


def test_step_functions_of_the_architecture_exist_with_their_handlers():
    functions = _functions()
    for logical_id in STEP_FUNCTIONS:
        module = re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id.removesuffix("Function")).lower()
        assert functions[logical_id]["Properties"]["Handler"] == f"handlers.{module}.handler"


def test_asl_substitutions_match_definition_substitutions_both_ways():
    substitutions = RESOURCES["PipelineStateMachine"]["Properties"]["DefinitionSubstitutions"]
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", ASL_PATH.read_text()))

    assert used == set(substitutions)
    assert set(substitutions) == {f"{name}Arn" for name in STEP_FUNCTIONS} | {"Partition"}
    assert substitutions.pop("Partition") == {"Ref": "AWS::Partition"}
    for key, value in substitutions.items():
        assert value == {"Fn::GetAtt": [key.removesuffix("Arn"), "Arn"]}


def test_state_machine_may_invoke_every_step_function_and_nothing_else():
    policies = RESOURCES["PipelineStateMachine"]["Properties"]["Policies"]
    invoked = {p["LambdaInvokePolicy"]["FunctionName"]["Ref"] for p in policies}

    assert invoked == set(STEP_FUNCTIONS)


@pytest.mark.parametrize("resource_type", sorted(CUSTOM_RESOURCES))
def test_every_custom_resource_runs_its_own_module(resource_type):
    module = CUSTOM_RESOURCES[resource_type]
    users = [r for r in RESOURCES.values() if r["Type"] == resource_type]
    assert users, f"no {resource_type} in the template"
    for resource in users:
        function = resource["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
        handler = RESOURCES[function]["Properties"]["Handler"]
        assert handler == f"resources.{module}.handler"
    assert importlib.util.find_spec(f"resources.{module}") is not None


def test_globals_give_the_step_functions_every_setting():
    variables = set(GLOBAL_FUNCTION["Environment"]["Variables"])
    settings = {f.name.upper() for f in fields(Settings)}
    launch = set(RESOURCES["LaunchFunction"]["Properties"]["Environment"]["Variables"])

    assert settings - variables == {"STATE_MACHINE_ARN"}  # launch/alexa only (a cycle otherwise)
    assert "STATE_MACHINE_ARN" in launch
    assert variables - settings == {"POWERTOOLS_SERVICE_NAME"}


def test_alexa_function_gets_what_the_skill_reads():
    variables = RESOURCES["AlexaFunction"]["Properties"]["Environment"]["Variables"]

    assert set(variables) >= {
        "STATE_MACHINE_ARN", "LAUNCH_TOPIC_ARN", "ROLLBACK_TOPIC_ARN", "STATUS_TOPIC_ARN",
        "ALEXA_SKILL_ID", "STACK_NAME",
    }  # fmt: skip


# --- IAM and hygiene ------------------------------------------------------------------------


def test_no_administrator_or_full_access_managed_policies():
    offenders = [s for s in _strings(RESOURCES) if re.search(r"AdministratorAccess|FullAccess", s)]

    assert offenders == []


def test_no_statement_allows_every_action():
    wildcard = [
        path
        for path, node in _walk(RESOURCES)
        if "Action" in node and "Effect" in node
        and node["Effect"] == "Allow"
        and (node["Action"] == "*" or (isinstance(node["Action"], list) and "*" in node["Action"]))
    ]  # fmt: skip

    assert wildcard == []


def test_passrole_is_limited_to_sagemaker():
    statements = [n for _, n in _walk(RESOURCES) if n.get("Action") == "iam:PassRole"]

    assert statements
    for statement in statements:
        assert statement["Condition"] == {
            "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
        }


def test_no_account_ids_or_regions_are_hard_coded():
    body = TEXT.split("\nParameters:\n", 1)[1]  # the Parameters' patterns may name digits
    body = body.split("\nRules:\n", 1)[1]

    assert re.findall(r"(?<![\w{])\d{12}(?!\w)", body) == []
    assert (
        re.findall(r"\b(?:us|eu|ap|sa|ca|me|af)-(?:east|west|north|south|central)-\d\b", body) == []
    )
    assert "arn:aws:" not in body  # partition-aware: arn:${AWS::Partition}:


def test_every_bucket_is_encrypted_private_and_tls_only():
    buckets = [k for k, r in RESOURCES.items() if r["Type"] == "AWS::S3::Bucket"]
    policies = {
        r["Properties"]["Bucket"]["Ref"]: r["Properties"]["PolicyDocument"]["Statement"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::S3::BucketPolicy"
    }

    assert set(buckets) == {"DataBucket", "ArtifactBucket", "CheckpointBucket", "CodeBucket"}
    for name in buckets:
        properties = RESOURCES[name]["Properties"]
        block = properties["PublicAccessBlockConfiguration"]
        assert all(block.values()) and len(block) == 4
        sse = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        deny = policies[name][0]
        assert deny["Effect"] == "Deny"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


# --- values the template renders ------------------------------------------------------------


def _render(node: Any, refs: dict[str, Any]) -> Any:
    """Evaluate the few intrinsic functions the rendered values use."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return [_render(item, refs) for item in node]
    (name, arg), = node.items()  # fmt: skip
    if name == "Ref":
        return refs[arg]
    if name == "Fn::FindInMap":
        table, key, field = (_render(a, refs) for a in arg)
        return TEMPLATE["Mappings"][table][key][field]
    if name == "Fn::Join":
        return arg[0].join(_render(item, refs) for item in arg[1])
    if name == "Fn::If":
        return _render(arg[1] if refs[arg[0]] else arg[2], refs)
    if name == "Fn::GetAtt":
        return refs[".".join(arg)]
    if name == "Fn::Sub":
        text, extra = (arg, {}) if isinstance(arg, str) else arg
        values = {**refs, **{k: _render(v, refs) for k, v in extra.items()}}
        return re.sub(r"\$\{([^}]+)\}", lambda m: str(values[m.group(1)]), text)
    raise AssertionError(f"unexpected intrinsic {name}")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_seeded_parameter_document_is_the_framework_and_resolves_to_its_defaults(framework):
    refs = {
        "ConfigFramework": framework,
        "CodeBucket": "demo-codebucket-1a2b3c",
        "IsScriptMode": framework in SCRIPT_MODE_FRAMEWORKS,
    }
    value = _render(RESOURCES["ParameterStore"]["Properties"]["Value"], refs)

    document = json.loads(value)
    expected = {"framework": framework}
    if framework in SCRIPT_MODE_FRAMEWORKS:
        expected["trainsourcefile"] = "s3://demo-codebucket-1a2b3c/scripts/source.tar.gz"
    assert document == expected
    resolved = parse_config(document, framework)  # the run fills the defaults
    assert resolved == parse_config({**defaults_for(framework), **document}, framework)
    assert resolved.to_document().items() >= defaults_for(framework).items()
    assert len(value) < 4096  # a standard SSM parameter


def test_script_mode_condition_matches_the_config_schema():
    mapping = TEMPLATE["Mappings"]["Frameworks"]

    assert set(mapping) == set(FRAMEWORKS)
    assert {f for f, v in mapping.items() if v["ScriptMode"] == "true"} == SCRIPT_MODE_FRAMEWORKS


def test_dashboard_is_json_and_searches_every_variant_of_the_endpoint():
    refs: dict[str, Any] = {"AWS::StackName": "Demo", "AWS::Region": "us-east-1"}
    refs.update({k: f"demo-{k}" for k in RESOURCES})
    refs["SageMakerCleanup.EndpointName"] = "demo"

    body = json.loads(_render(RESOURCES["Dashboard"]["Properties"]["DashboardBody"], refs))

    expressions = [
        m[0]["expression"]
        for w in body["widgets"] if w["type"] == "metric"
        for m in w["properties"]["metrics"] if isinstance(m[0], dict)
    ]  # fmt: skip
    assert len(expressions) == 3
    assert all('EndpointName="demo"' in e and "VariantName" in e for e in expressions)
    lambdas = [
        w for w in body["widgets"] if w.get("properties", {}).get("title") == "Function errors"
    ]
    assert len(lambdas[0]["properties"]["metrics"]) == len(STEP_FUNCTIONS) + 2


# --- parameters and outputs -----------------------------------------------------------------


def test_outputs_include_the_originals_and_the_new_ones_each_described():
    outputs = TEMPLATE["Outputs"]

    assert set(outputs) >= ORIGINAL_OUTPUTS | NEW_OUTPUTS
    assert all(o.get("Description") for o in outputs.values())


def test_every_parameter_has_a_default_a_label_and_a_group():
    parameters = TEMPLATE["Parameters"]
    interface = TEMPLATE["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = {p for g in interface["ParameterGroups"] for p in g["Parameters"]}

    assert all("Default" in p for p in parameters.values())
    assert grouped == set(parameters) == set(interface["ParameterLabels"])


def test_rules_reject_codecommit_and_git_repository_together():
    rule = TEMPLATE["Rules"]["OneImageSourceRepository"]

    assert rule["RuleCondition"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalGitRepo"}, "EMPTY"]}]
    }
    assert {"Fn::Equals": [{"Ref": "ExternalCodeCommitRepo"}, "CREATE_REPO"]} in [
        a["Assert"] for a in rule["Assertions"]
    ]


def test_image_build_declares_what_the_pipeline_overrides_and_builds_with_cache():
    import yaml

    project = RESOURCES["ImageBuildProject"]["Properties"]
    declared = {v["Name"] for v in project["Environment"]["EnvironmentVariables"]}
    overridden = set(
        re.findall(r'"name": "([A-Z_]+)"', (ROOT / "lambdas/domain/builds.py").read_text())
    )
    spec = yaml.safe_load(project["Source"]["BuildSpec"])
    commands = "\n".join(c for phase in spec["phases"].values() for c in phase["commands"])

    assert overridden and overridden <= declared
    assert project["Environment"]["PrivilegedMode"] is True
    assert '--cache-from "$IMAGE_REPOSITORY_URI:latest-$IMAGE_KIND"' in commands
    assert 'docker push "$IMAGE_REPOSITORY_URI:$IMAGE_TAG"' in commands


def test_every_ended_run_reaches_the_run_ended_function_and_triggers_keep_a_dead_letter_queue():
    function = RESOURCES["RunEndedFunction"]["Properties"]
    [event] = function["Events"].values()
    pattern = event["Properties"]["Pattern"]
    assert event["Type"] == "EventBridgeRule" and pattern["source"] == ["aws.states"]
    assert sorted(pattern["detail"]["status"]) == ["ABORTED", "FAILED", "SUCCEEDED", "TIMED_OUT"]
    assert pattern["detail"]["stateMachineArn"] == [{"Ref": "PipelineStateMachine"}]
    for name in ("LaunchFunction", "RollbackFunction", "RunEndedFunction"):
        dead_letter = RESOURCES[name]["Properties"]["DeadLetterQueue"]
        assert dead_letter == {
            "Type": "SQS",
            "TargetArn": {"Fn::GetAtt": ["TriggerDeadLetterQueue", "Arn"]},
        }
    assert "PendingQueue" not in RESOURCES
    table = RESOURCES["RunTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
