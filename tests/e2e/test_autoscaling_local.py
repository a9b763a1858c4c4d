"""An autoscaled endpoint through its life on the local stack: a second autoscaled deploy, a
rollback and the stack delete each release the variant they remove before SageMaker is asked
(SageMaker refuses UpdateEndpoint / DeleteEndpoint while that variant is a scalable target).

The tests follow that life in file order, but each passes alone and in any order: fixtures
make the endpoint a test starts from (none, an autoscaled variant, two versions, a variant
no longer autoscaled), and the stack a test deleted is deployed again for the next one.
"""

from __future__ import annotations

import re

import pytest
from conftest import IRIS, iris_parameters

from sagebuild.local.stack import LocalStack
from sagebuild.session import Stack

pytestmark = pytest.mark.e2e
AUTOSCALING = {"MinCapacity": 1, "MaxCapacity": 3}


@pytest.fixture(scope="module")
def local():
    with LocalStack(stack_name="scale", parameters={"ConfigFramework": "SCIKIT"}) as local:
        local.prepared = ""  # the data bucket the iris example was last set up in
        yield local


@pytest.fixture
def stack(local) -> Stack:
    """The module's stack, ready for the iris example (deployed again if a test deleted it)."""
    return _ready(local)


def _ready(local) -> Stack:
    if not local.deployed:
        local.deploy()
    stack = Stack(local.outputs, local.client)
    stack.local = local
    if local.prepared != local.outputs["DataBucket"]:
        stack.upload_data(IRIS / "iris.csv", "train/iris/iris.csv")
        stack.set_parameters(iris_parameters(stack.upload_source(IRIS), autoscaling=AUTOSCALING))
        local.prepared = local.outputs["DataBucket"]
    return stack


def _targets(stack: Stack) -> list[tuple[str, int]]:
    targets = stack.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )["ScalableTargets"]
    return sorted((t["ResourceId"], t["MaxCapacity"]) for t in targets)


def _policies(stack: Stack) -> list[str]:
    policies = stack.client("application-autoscaling").describe_scaling_policies(
        ServiceNamespace="sagemaker"
    )["ScalingPolicies"]
    return sorted(p["ResourceId"] for p in policies)


def _deploy(stack: Stack, **message) -> dict:
    _, path, result = stack.run({"reason": "autoscaling", **message})
    assert result["status"] == "SUCCEEDED", (path, result["output"])
    return result["output"]


def _endpoint_exists(stack: Stack) -> bool:
    endpoints = stack.client("sagemaker").list_endpoints()["Endpoints"]
    return any(e["EndpointName"] == stack.outputs["SageMakerEndpoint"] for e in endpoints)


def _configs(stack: Stack) -> dict[int, str]:
    """The stack's endpoint configs by version ("scale-v2-..." is version 2)."""
    listed = stack.client("sagemaker").list_endpoint_configs()["EndpointConfigs"]
    found = {}
    for config in listed:
        match = re.match(r"scale-v(\d+)-", config["EndpointConfigName"])
        if match:
            found[int(match.group(1))] = config["EndpointConfigName"]
    return found


def _serving_version(stack: Stack) -> int:
    serving = stack.endpoint()["EndpointConfigName"]
    [version] = [v for v, name in _configs(stack).items() if name == serving]
    return version


def _variant(version: int) -> str:
    return f"endpoint/scale/variant/v{version}"


# --- the endpoint a test starts from ----------------------------------------------------------


@pytest.fixture
def no_endpoint(local, stack) -> Stack:
    """A stack without an endpoint yet (the stack deleted and deployed again if it has one)."""
    if not _endpoint_exists(stack):
        return stack
    local.delete()
    return _ready(local)


@pytest.fixture
def autoscaled(stack) -> int:
    """The endpoint serves an autoscaled variant: its version (deployed here if it does not)."""
    if not (_endpoint_exists(stack) and _targets(stack)):
        _deploy(stack)
    return _serving_version(stack)


@pytest.fixture
def autoscaled_with_a_previous_version(stack, autoscaled) -> tuple[int, int]:
    """An autoscaled variant serves and an older version has its config: (serving, previous)."""
    if not [v for v in _configs(stack) if v < autoscaled]:
        _deploy(stack, train=False)
    serving = _serving_version(stack)
    return serving, max(v for v in _configs(stack) if v < serving)


@pytest.fixture
def serving_unscaled(stack) -> int:
    """The endpoint serves a variant that is not autoscaled (after a rollback): its version."""
    if _endpoint_exists(stack) and not _targets(stack):
        return _serving_version(stack)
    if not _endpoint_exists(stack):
        _deploy(stack)
    if not [v for v in _configs(stack) if v < _serving_version(stack)]:
        _deploy(stack, train=False)
    serving = _serving_version(stack)
    previous = _configs(stack)[max(v for v in _configs(stack) if v < serving)]
    stack.publish_rollback()
    stack.wait_for_endpoint(config=previous)
    return _serving_version(stack)


# --- the tests ------------------------------------------------------------------------------


def test_the_first_run_creates_the_endpoint_with_its_variant_autoscaled(no_endpoint):
    stack = no_endpoint
    output = _deploy(stack)

    assert output["deployment"]["action"] == "create"
    assert _targets(stack) == [(_variant(output["deployment"]["version"]), 3)]


@pytest.mark.slow  # make test-slow (CI runs both): the handler tier checks the release order
def test_a_second_autoscaled_deploy_releases_the_old_variant_before_the_update(stack, autoscaled):
    output = _deploy(stack, train=False)

    version = output["deployment"]["version"]
    assert output["deployment"]["action"] == "update"
    released = [item["register"]["ResourceId"] for item in output["deployment"]["released_scaling"]]
    assert released == [_variant(autoscaled)]
    assert _targets(stack) == [(_variant(version), 3)]
    assert _policies(stack) == [_variant(version)]
    assert stack.endpoint()["EndpointConfigName"] == output["deployment"]["endpoint_config"]


def test_a_rollback_releases_the_serving_variant_and_serves_the_previous_version(
    stack, autoscaled_with_a_previous_version
):
    _, previous = autoscaled_with_a_previous_version
    stack.publish_rollback()

    described = stack.wait_for_endpoint(config=_configs(stack)[previous])

    assert described["EndpointStatus"] == "InService"
    assert _targets(stack) == [] and _policies(stack) == []


@pytest.mark.slow  # make test-slow (CI runs both): make test stays within 5 minutes
def test_a_deploy_after_the_rollback_is_autoscaled_again(stack, serving_unscaled):
    output = _deploy(stack, train=False)

    assert output["deployment"]["released_scaling"] == []  # the old one was not autoscaled
    assert _targets(stack) == [(_variant(output["deployment"]["version"]), 3)]


def test_the_stack_delete_releases_the_autoscaled_variant_and_deletes_the_endpoint(
    stack, autoscaled
):
    stack.local.delete()

    assert stack.client("sagemaker").list_endpoints()["Endpoints"] == []
    assert _targets(stack) == [] and _policies(stack) == []
