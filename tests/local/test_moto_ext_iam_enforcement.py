"""moto_ext.iam_enforcement: requests signed by a role are evaluated like AWS evaluates them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from helpers import service_role
from local_support import python_function

from sagebuild.local.stack import LocalStack


@pytest.fixture(scope="module")
def local():
    with LocalStack(None, local_services=False) as local:
        yield local


def _signed_with(local: LocalStack, **credentials: str) -> Callable[[str], Any]:
    """boto3 clients of the local stack, by service, signed with these credentials."""

    def client(service: str):
        import boto3

        return boto3.client(
            service, region_name=local.region, endpoint_url=local.endpoint_url, **credentials
        )

    return client


def _role(local: LocalStack, name: str, statements: list[dict]) -> Callable[[str], Any]:
    """A role with these statements, and boto3 clients signed with its assumed credentials."""
    arn = service_role(local.client("iam"), name, ["lambda.amazonaws.com"], statements)
    from sagebuild.local.iam import principals

    credentials = principals.assume(arn, "lambda.amazonaws.com", f"{name}-session")
    return _signed_with(local, **credentials.client_kwargs())


def _error(call) -> dict:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response


def test_a_role_without_a_statement_is_denied_with_the_json_services_error(local):
    client = _role(local, "nothing", [])
    response = _error(lambda: client("ssm").get_parameter(Name="/x"))
    assert response["Error"]["Code"] == "AccessDeniedException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"]["Message"] == (
        "User: arn:aws:sts::123456789012:assumed-role/nothing/nothing-session is not authorized "
        "to perform: ssm:GetParameter on resource: "
        "arn:aws:ssm:us-east-1:123456789012:parameter/x "
        "because no identity-based policy allows the ssm:GetParameter action"
    )


def test_a_statement_on_the_resource_allows_and_another_resource_stays_denied(local):
    local.client("ssm").put_parameter(Name="/mine/a", Value="1", Type="String")
    local.client("ssm").put_parameter(Name="/other/a", Value="2", Type="String")
    client = _role(
        local,
        "reader",
        [
            {
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": "arn:aws:ssm:*:*:parameter/mine/*",
            }
        ],
    )
    assert client("ssm").get_parameter(Name="/mine/a")["Parameter"]["Value"] == "1"
    assert _error(lambda: client("ssm").get_parameter(Name="/other/a"))["Error"]["Code"] == (
        "AccessDeniedException"
    )


def test_sns_denies_with_authorization_error_and_s3_with_access_denied(local):
    topic = local.client("sns").create_topic(Name="t")["TopicArn"]
    local.client("s3").create_bucket(Bucket="denied-bucket")
    client = _role(local, "mute", [])
    sns = _error(lambda: client("sns").publish(TopicArn=topic, Message="m"))
    assert sns["Error"]["Code"] == "AuthorizationError"
    assert f"sns:Publish on resource: {topic}" in sns["Error"]["Message"]
    s3 = _error(lambda: client("s3").get_object(Bucket="denied-bucket", Key="k"))
    assert s3["Error"]["Code"] == "AccessDenied"
    assert "s3:GetObject on resource: arn:aws:s3:::denied-bucket/k" in s3["Error"]["Message"]


def test_an_explicit_deny_names_itself(local):
    client = _role(
        local,
        "denied",
        [
            {"Effect": "Allow", "Action": "sns:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sns:CreateTopic", "Resource": "*"},
        ],
    )
    message = _error(lambda: client("sns").create_topic(Name="nope"))["Error"]["Message"]
    assert message.endswith("with an explicit deny in an identity-based policy")
    assert client("sns").list_topics()["Topics"] is not None


def test_an_unknown_access_key_is_refused(local):
    stranger = _signed_with(
        local,
        aws_access_key_id="ASIAUNKNOWNKEY000000",
        aws_secret_access_key="x",
        aws_session_token="y",
    )
    response = _error(lambda: stranger("ssm").get_parameter(Name="/x"))
    assert response["Error"]["Code"] == "UnrecognizedClientException"
    assert response["Error"]["Message"] == "The security token included in the request is invalid."
    sts = stranger("sts")
    assert _error(lambda: sts.get_caller_identity())["Error"]["Code"] == "InvalidClientTokenId"


def test_a_role_the_service_may_not_assume_cannot_be_used(local):
    from sagebuild.local.iam import principals

    arn = service_role(local.client("iam"), "untrusting", ["lambda.amazonaws.com"])
    with pytest.raises(principals.TrustError, match="states.amazonaws.com cannot assume"):
        principals.assume(arn, "states.amazonaws.com", "s")


def test_the_ledger_records_calls_and_denials_per_role(local):
    client = _role(
        local, "ledgered", [{"Effect": "Allow", "Action": "sns:ListTopics", "Resource": "*"}]
    )
    client("sns").list_topics()
    _error(lambda: client("sns").create_topic(Name="x"))
    report = local.iam_report()
    role = report["roles"]["arn:aws:iam::123456789012:role/ledgered"]
    assert {c["action"] for c in role["calls"]} == {"sns:ListTopics", "sns:CreateTopic"}
    assert [d["action"] for d in role["denials"]] == ["sns:CreateTopic"]
    assert role["statements_used"] == ["ledgered/use#0"] and role["statements_unused"] == []


def test_a_bucket_policy_deny_wins_and_its_allow_suffices_for_the_principals_it_names(local):
    s3 = local.client("s3")
    for bucket in ("guarded-bucket", "shared-bucket"):
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    reader = _role(
        local, "bucket-reader", [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]
    )
    nothing = _role(local, "bucket-nothing", [])
    account = "arn:aws:iam::123456789012"
    policies = {
        "guarded-bucket": {
            "Effect": "Deny",
            "Principal": {"AWS": f"{account}:role/bucket-reader"},
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::guarded-bucket",
        },
        "shared-bucket": {
            "Effect": "Allow",
            "Principal": {"AWS": f"{account}:role/bucket-nothing"},
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::shared-bucket",
        },
    }
    for bucket, statement in policies.items():
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [statement]}))

    denied = _error(lambda: reader("s3").list_objects_v2(Bucket="guarded-bucket"))
    assert denied["Error"]["Message"].endswith("with an explicit deny in a resource-based policy")
    assert [o["Key"] for o in reader("s3").list_objects_v2(Bucket="shared-bucket")["Contents"]]
    assert nothing("s3").list_objects_v2(Bucket="shared-bucket")["KeyCount"] == 1
    assert _error(lambda: nothing("s3").list_objects_v2(Bucket="guarded-bucket"))


def test_step_functions_invokes_a_task_as_the_state_machine_role(local):
    from helpers import wait_until

    iam = local.client("iam")
    function_role = service_role(iam, "task-fn", ["lambda.amazonaws.com"])
    machine_role = service_role(iam, "task-machine", ["states.amazonaws.com"])  # no invoke
    function = python_function(
        local, "task-fn", function_role, "def handler(event, context):\n    return {'ok': True}\n"
    )
    definition = {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": function, "End": True}},
    }
    sfn = local.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="task-machine", definition=json.dumps(definition), roleArn=machine_role
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]

    def ended():
        described = sfn.describe_execution(executionArn=execution)
        return None if described["status"] == "RUNNING" else described

    described = wait_until(ended, 30, "the execution to end")
    assert described["status"] == "FAILED"
    assert (
        "assumed-role/task-machine/StepFunctions is not authorized to perform: "
        f"lambda:InvokeFunction on resource: {function}"
    ) in described["cause"]
