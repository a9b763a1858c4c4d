"""Resources a call is authorised against, from the Service Authorization Reference dataset."""

from __future__ import annotations

import pytest

from sagebuild.local.iam import catalog

REGION, ACCOUNT = "us-east-1", "123456789012"
SM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"


def _resolve(service, action, params):
    act = catalog.action(service, catalog.iam_action_name(service, action))
    return catalog.resolve(act, params, region=REGION, account=ACCOUNT)


def test_create_endpoint_is_authorised_against_the_endpoint_and_its_config():
    resolution = _resolve(
        "sagemaker", "CreateEndpoint", {"EndpointName": "e", "EndpointConfigName": "c"}
    )
    assert set(resolution.resources) == {f"{SM}:endpoint/e", f"{SM}:endpoint-config/c"}
    assert resolution.unresolved == ()


def test_update_endpoint_needs_both_resources_too():
    resolution = _resolve(
        "sagemaker", "UpdateEndpoint", {"EndpointName": "e", "EndpointConfigName": "c"}
    )
    assert set(resolution.resources) == {f"{SM}:endpoint/e", f"{SM}:endpoint-config/c"}


def test_an_arn_parameter_names_its_resource():
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:status"
    assert _resolve("sns", "Publish", {"TopicArn": topic, "Message": "m"}).resources == (topic,)
    tag_target = f"{SM}:model/m-1"
    assert _resolve("sagemaker", "AddTags", {"ResourceArn": tag_target, "Tags": []}).resources == (
        tag_target,
    )


def test_execution_arns_resolve_to_the_execution_type_only():
    execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:sm:run-1"
    assert _resolve("states", "DescribeExecution", {"executionArn": execution}).resources == (
        execution,
    )


def test_lambda_invoke_is_invoke_function_on_the_function():
    resolution = _resolve("lambda", "Invoke", {"FunctionName": "fn"})
    assert resolution.resources == (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:fn",)


def test_ssm_parameter_names_lose_their_leading_slash_and_lists_give_one_arn_each():
    resolution = _resolve("ssm", "GetParameters", {"Names": ["/a/b", "/c"]})
    assert resolution.resources == (
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a/b",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/c",
    )


def test_codebuild_build_ids_name_their_project():
    resolution = _resolve("codebuild", "BatchGetBuilds", {"ids": ["images:1234"]})
    assert resolution.resources == (f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/images",)


def test_sqs_queue_urls_name_the_queue():
    resolution = _resolve(
        "sqs",
        "SendMessage",
        {"QueueUrl": f"http://127.0.0.1:5000/{ACCOUNT}/pending", "MessageBody": "x"},
    )
    assert resolution.resources == (f"arn:aws:sqs:{REGION}:{ACCOUNT}:pending",)


def test_list_actions_have_no_resource_type_and_are_authorised_on_star():
    assert _resolve("sagemaker", "ListTrainingJobs", {}).resources == ("*",)


def test_a_required_resource_no_parameter_fills_is_reported_unresolved():
    resolution = _resolve("sagemaker", "DescribeEndpoint", {})
    assert resolution.unresolved == ("endpoint",)


def test_calls_that_pass_a_role_name_the_role_and_the_service():
    params = {"TrainingJobName": "t", "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/train"}
    assert catalog.passed_role("sagemaker", "CreateTrainingJob", params) == (
        f"arn:aws:iam::{ACCOUNT}:role/train",
        "sagemaker.amazonaws.com",
    )
    tuning = {"TrainingJobDefinition": {"RoleArn": "arn:aws:iam::1:role/t"}}
    assert (
        catalog.passed_role("sagemaker", "CreateHyperParameterTuningJob", tuning)[0]
        == "arn:aws:iam::1:role/t"
    )
    assert catalog.passed_role("sagemaker", "DescribeTrainingJob", params) is None


def test_an_unknown_action_is_an_error_not_an_allow():
    with pytest.raises(catalog.UnknownAction):
        catalog.action("sagemaker", "LaunchRockets")


def test_the_dataset_is_pinned_and_reports_its_version():
    assert catalog.dataset_version().startswith("0.1.")


def test_a_subscription_is_authorised_against_its_topic():
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:status"
    resolution = _resolve("sns", "Unsubscribe", {"SubscriptionArn": f"{topic}:1234-abcd"})
    assert resolution.resources == (topic,)
