"""An autoscaled endpoint through its life on the local stack: a second autoscaled deploy, a
rollback and the stack delete each release the variant they remove before SageMaker is asked
(SageMaker refuses UpdateEndpoint / DeleteEndpoint while that variant is a scalable target).

The tests share one stack and run in order, as a user would drive it.
"""

from __future__ import annotations

import pytest
from conftest import IRIS, iris_parameters

from sagebuild.local.stack import LocalStack
from sagebuild.session import Stack

pytestmark = pytest.mark.e2e
AUTOSCALING = {"MinCapacity": 1, "MaxCapacity": 3}


@pytest.fixture(scope="module")
def stack():
    with LocalStack(stack_name="scale", parameters={"ConfigFramework": "SCIKIT"}) as local:
        stack = Stack(local.outputs, local.client)
        stack.local = local
        stack.configs = {}
        stack.upload_data(IRIS / "iris.csv", "train/iris/iris.csv")
        stack.set_parameters(iris_parameters(stack.upload_source(IRIS), autoscaling=AUTOSCALING))
        yield stack


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
    version = result["output"]["deployment"]["version"]
    stack.configs[version] = result["output"]["deployment"]["endpoint_config"]
    return result["output"]


def test_the_first_run_creates_the_endpoint_with_its_variant_autoscaled(stack):
    output = _deploy(stack)

    assert output["deployment"]["action"] == "create"
    assert _targets(stack) == [("endpoint/scale/variant/v1", 3)]


def test_a_second_autoscaled_deploy_releases_the_old_variant_before_the_update(stack):
    output = _deploy(stack, train=False)

    assert output["deployment"]["action"] == "update"
    released = [item["register"]["ResourceId"] for item in output["deployment"]["released_scaling"]]
    assert released == ["endpoint/scale/variant/v1"]
    assert _targets(stack) == [("endpoint/scale/variant/v2", 3)]
    assert _policies(stack) == ["endpoint/scale/variant/v2"]
    assert stack.endpoint()["EndpointConfigName"] == stack.configs[2]


def test_a_rollback_releases_the_serving_variant_and_serves_the_previous_version(stack):
    stack.publish_rollback()

    described = stack.wait_for_endpoint(config=stack.configs[1])

    assert described["EndpointStatus"] == "InService"
    assert _targets(stack) == [] and _policies(stack) == []


def test_a_deploy_after_the_rollback_is_autoscaled_again(stack):
    output = _deploy(stack, train=False)

    assert output["deployment"]["released_scaling"] == []  # v1 was not autoscaled any more
    assert _targets(stack) == [("endpoint/scale/variant/v3", 3)]


def test_the_stack_delete_releases_the_autoscaled_variant_and_deletes_the_endpoint(stack):
    stack.local.delete()

    assert stack.client("sagemaker").list_endpoints()["Endpoints"] == []
    assert _targets(stack) == [] and _policies(stack) == []
