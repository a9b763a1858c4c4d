"""IAM policy evaluation (sagebuild.local.iam.policy), case by case from the IAM User Guide."""

from __future__ import annotations

import pytest

from sagebuild.local.iam.policy import PolicyError, Request, evaluate, wildcard_match

ENDPOINT = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/prod"
CONFIG = "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/prod-v1"


def _policy(*statements):
    return [("p", {"Version": "2012-10-17", "Statement": list(statements)})]


def _statement(effect, action, **fields):
    """A statement of `effect` for `action` on every resource, with these other fields."""
    return {"Effect": effect, "Action": action, "Resource": "*", **fields}


def _allowed_when(condition, action="*"):
    """A policy allowing `action` on every resource under `condition`."""
    return _policy(_statement("Allow", action, Condition=condition))


def _context(values):
    return lambda key: values.get(key)


def test_no_statement_means_implicit_deny():
    decision = evaluate(_policy(), Request("sagemaker:CreateEndpoint", ENDPOINT))
    assert not decision.allowed and not decision.explicit_deny


def test_allow_matches_action_case_insensitively_and_resource_with_wildcards():
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": "SageMaker:create*",
            "Resource": "arn:aws:sagemaker:*:*:endpoint/p?od",
        }
    )
    assert evaluate(policy, Request("sagemaker:CreateEndpoint", ENDPOINT)).allowed
    assert not evaluate(policy, Request("sagemaker:CreateEndpoint", CONFIG)).allowed


def test_resource_match_is_case_sensitive():
    policy = _policy({"Effect": "Allow", "Action": "*", "Resource": ENDPOINT.upper()})
    assert not evaluate(policy, Request("sagemaker:CreateEndpoint", ENDPOINT)).allowed


def test_explicit_deny_wins_over_allow_and_names_the_statement():
    policy = _policy(
        _statement("Allow", "sagemaker:*"),
        _statement("Deny", "sagemaker:DeleteEndpoint", Sid="NoDelete"),
    )
    decision = evaluate(policy, Request("sagemaker:DeleteEndpoint", ENDPOINT))
    assert not decision.allowed and decision.explicit_deny
    assert decision.statements == ("p#NoDelete",)
    assert evaluate(policy, Request("sagemaker:DescribeEndpoint", ENDPOINT)).allowed


def test_not_action_and_not_resource_invert_the_match():
    policy = _policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": CONFIG})
    assert evaluate(policy, Request("sagemaker:CreateEndpoint", ENDPOINT)).allowed
    assert not evaluate(policy, Request("sagemaker:CreateEndpoint", CONFIG)).allowed
    assert not evaluate(policy, Request("iam:PassRole", ENDPOINT)).allowed


def test_string_equals_on_resource_tag_needs_the_tag_value():
    policy = _allowed_when(
        {"StringEquals": {"aws:ResourceTag/sagebuild:stack": "prod"}}, "sagemaker:DeleteModel"
    )
    tagged = _context({"aws:resourcetag/sagebuild:stack": ["prod"]})
    other = _context({"aws:resourcetag/sagebuild:stack": ["dev"]})
    assert evaluate(policy, Request("sagemaker:DeleteModel", ENDPOINT, tagged)).allowed
    assert not evaluate(policy, Request("sagemaker:DeleteModel", ENDPOINT, other)).allowed
    assert not evaluate(policy, Request("sagemaker:DeleteModel", ENDPOINT)).allowed


def test_every_operator_and_every_key_must_hold():
    policy = _allowed_when(
        {
            "StringEquals": {"iam:PassedToService": ["sagemaker.amazonaws.com", "x"]},
            "StringLike": {"aws:RequestedRegion": "us-*"},
        },
        "iam:PassRole",
    )
    both = _context(
        {"iam:passedtoservice": ["sagemaker.amazonaws.com"], "aws:requestedregion": ["us-east-1"]}
    )
    one = _context(
        {"iam:passedtoservice": ["sagemaker.amazonaws.com"], "aws:requestedregion": ["eu-west-1"]}
    )
    assert evaluate(policy, Request("iam:PassRole", ENDPOINT, both)).allowed
    assert not evaluate(policy, Request("iam:PassRole", ENDPOINT, one)).allowed


def test_negated_operators_and_if_exists_hold_when_the_key_is_absent():
    deny_plain_http = _policy(
        _statement("Allow", "s3:*"),
        _statement("Deny", "s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
    )
    assert evaluate(
        deny_plain_http,
        Request("s3:GetObject", "arn:aws:s3:::b/k", _context({"aws:securetransport": ["true"]})),
    ).allowed
    assert not evaluate(
        deny_plain_http,
        Request("s3:GetObject", "arn:aws:s3:::b/k", _context({"aws:securetransport": ["false"]})),
    ).allowed
    negated = _allowed_when({"StringNotEquals": {"aws:ResourceTag/env": "prod"}})
    assert evaluate(negated, Request("s3:GetObject", "r")).allowed
    if_exists = _allowed_when({"StringEqualsIfExists": {"aws:ResourceTag/env": "prod"}})
    assert evaluate(if_exists, Request("s3:GetObject", "r")).allowed
    assert not evaluate(
        if_exists, Request("s3:GetObject", "r", _context({"aws:resourcetag/env": ["dev"]}))
    ).allowed


def test_null_tests_presence_and_numeric_compares_numbers():
    null = _allowed_when({"Null": {"aws:RequestTag/team": "false"}})
    assert evaluate(
        null, Request("sagemaker:CreateModel", "r", _context({"aws:requesttag/team": ["ml"]}))
    ).allowed
    assert not evaluate(null, Request("sagemaker:CreateModel", "r")).allowed
    numeric = _allowed_when({"NumericLessThanEquals": {"sagemaker:MaxRuntimeInSeconds": "3600"}})
    assert evaluate(
        numeric,
        Request(
            "sagemaker:CreateTrainingJob", "r", _context({"sagemaker:maxruntimeinseconds": ["600"]})
        ),
    ).allowed
    assert not evaluate(
        numeric,
        Request(
            "sagemaker:CreateTrainingJob",
            "r",
            _context({"sagemaker:maxruntimeinseconds": ["7200"]}),
        ),
    ).allowed


def test_for_all_values_and_for_any_value_over_multivalued_keys():
    all_values = _allowed_when({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}})
    any_value = _allowed_when({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}})
    assert evaluate(all_values, Request("x:Y", "r", _context({"aws:tagkeys": ["a", "b"]}))).allowed
    assert not evaluate(
        all_values, Request("x:Y", "r", _context({"aws:tagkeys": ["a", "c"]}))
    ).allowed
    assert evaluate(any_value, Request("x:Y", "r", _context({"aws:tagkeys": ["c", "a"]}))).allowed
    assert not evaluate(any_value, Request("x:Y", "r", _context({"aws:tagkeys": ["c"]}))).allowed


def test_an_operator_the_local_stack_cannot_evaluate_fails_loudly():
    policy = _allowed_when({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    with pytest.raises(PolicyError, match="IpAddress"):
        evaluate(policy, Request("x:Y", "r", _context({"aws:sourceip": ["10.1.1.1"]})))


def test_statements_left_empty_by_no_value_are_skipped():
    policy = [
        ("p", {"Statement": [None, {"Effect": "Allow", "Action": "x:Y", "Resource": [None, "r"]}]})
    ]
    assert evaluate(policy, Request("x:Y", "r")).allowed


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("a*c", "abbc", True),
        ("a?c", "abc", True),
        ("a?c", "abbc", False),
        ("a[1]", "a[1]", True),
        ("*", "", True),
    ],
)
def test_wildcards_are_iam_wildcards_not_globs(pattern, value, matches):
    assert wildcard_match(pattern, value) is matches
