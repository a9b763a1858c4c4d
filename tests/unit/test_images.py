"""Image URIs per framework, region and instance type: the catalogue (`domain.images`, from
the image_uris.json table) and a run's image choice (`domain.requests.images`)."""

import ast
import json
from pathlib import Path

import pytest
from domain import images
from domain.config import parse_config
from domain.errors import UnsupportedConfiguration
from domain.requests import images as choice

REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo"


def training(document: dict, framework: str, region: str = "us-east-1") -> str:
    config = parse_config(document, framework)
    return choice.training_image(config, region, REPO, "training-v3")


def inference(document: dict, framework: str, region: str = "us-east-1") -> str:
    config = parse_config(document, framework)
    return choice.inference_image(config, region, REPO, "inference-v3")


@pytest.mark.parametrize(
    ("framework", "expected_training", "expected_inference"),
    [
        (
            "SCIKIT",
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
        ),
        (
            "XGBOOST",
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        ),
        (
            "PYTORCH",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310",
        ),
        (
            "TENSORFLOW",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.13.0-cpu-py310",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference:2.13.0-cpu",
        ),
        (
            "MXNET",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/mxnet-training:1.9.0-cpu-py38",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/mxnet-inference:1.9.0-cpu-py38",
        ),
        (
            "AMAZON",
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        ),
        ("BYOD", f"{REPO}:training-v3", f"{REPO}:inference-v3"),
    ],
)
def test_default_images_per_framework(framework, expected_training, expected_inference):
    assert training({}, framework) == expected_training
    assert inference({}, framework) == expected_inference


def test_hosting_picks_gpu_from_the_host_instance_not_the_training_one():
    document = {"traininstancetype": "ml.p3.2xlarge", "hostinstancetype": "ml.m5.large"}

    assert training(document, "PYTORCH").endswith("pytorch-training:2.1.0-gpu-py310")
    assert inference(document, "PYTORCH").endswith("pytorch-inference:2.1.0-cpu-py310")
    swapped = {"traininstancetype": "ml.m5.large", "hostinstancetype": "ml.g5.xlarge"}
    assert inference(swapped, "TENSORFLOW").endswith("tensorflow-inference:2.13.0-gpu")


def test_cpu_only_framework_uses_its_cpu_image_on_gpu_instances():
    assert training({"traininstancetype": "ml.g4dn.xlarge"}, "SCIKIT").endswith(
        "sagemaker-scikit-learn:1.2-1-cpu-py3"
    )


def test_full_framework_versions_are_accepted_too():
    assert training({"frameworkversion": "2.3.0"}, "PYTORCH").endswith(
        "pytorch-training:2.3.0-cpu-py311"
    )


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("kmeans", "382416733822.dkr.ecr.us-east-1.amazonaws.com/kmeans:1"),
        ("linear-learner", "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"),
        ("blazingtext", "811284229777.dkr.ecr.us-east-1.amazonaws.com/blazingtext:1"),
        ("forecasting-deepar", "522234722520.dkr.ecr.us-east-1.amazonaws.com/forecasting-deepar:1"),
        ("lda", "766337827248.dkr.ecr.us-east-1.amazonaws.com/lda:1"),
    ],
)
def test_built_in_algorithm_images(algorithm, expected):
    assert training({"algorithm": algorithm}, "AMAZON") == expected
    assert inference({"algorithm": algorithm}, "AMAZON") == expected


def test_china_regions_use_the_cn_domain():
    assert training({}, "PYTORCH", region="cn-north-1") == (
        "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-training:2.1.0-cpu-py310"
    )
    assert training({}, "AMAZON", region="cn-northwest-1") == (
        "451049120500.dkr.ecr.cn-northwest-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1"
    )


def test_other_regions_use_their_own_registry_account():
    assert training({}, "SCIKIT", region="eu-west-1").startswith(
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/"
    )
    assert training({}, "PYTORCH", region="me-south-1").startswith("217643126080.")


def test_unknown_region_names_the_region_and_the_valid_ones():
    with pytest.raises(UnsupportedConfiguration) as raised:
        training({}, "PYTORCH", region="mars-north-1")

    assert "'mars-north-1'" in str(raised.value)
    assert "us-east-1" in str(raised.value)


def test_algorithm_missing_in_a_region_is_unsupported():
    with pytest.raises(UnsupportedConfiguration, match="algorithm lda.*'eu-north-1'"):
        training({"algorithm": "lda"}, "AMAZON", region="eu-north-1")


def test_unknown_algorithm_and_version_are_unsupported():
    with pytest.raises(UnsupportedConfiguration, match="unknown built-in algorithm 'nope'"):
        images.algorithm_image("nope", "1", "us-east-1")
    with pytest.raises(UnsupportedConfiguration, match="versions: 1.0-1, 1.2-1"):
        images.algorithm_image("xgboost", "0.90-2", "us-east-1")
    with pytest.raises(UnsupportedConfiguration, match="PYTORCH has no version '0.4'"):
        images.framework_image("PYTORCH", "0.4", "py3", "ml.m5.large", "us-east-1", "training")


def test_image_overrides_win_for_every_framework():
    document = {"TrainingImage": "my/train:1", "InferenceImage": "my/serve:1"}

    for framework in ("BYOD", "AMAZON", "SCIKIT", "PYTORCH"):
        assert training(document, framework) == "my/train:1"
        assert inference(document, framework) == "my/serve:1"


def test_byod_with_only_a_training_image_still_builds_the_inference_one():
    config = parse_config({"TrainingImage": "my/train:1"}, "BYOD")

    assert not config.build_training_image
    assert config.build_inference_image
    assert inference({"TrainingImage": "my/train:1"}, "BYOD") == f"{REPO}:inference-v3"


def test_neuron_instances_are_unsupported_without_an_image_override():
    with pytest.raises(UnsupportedConfiguration, match="ml.inf2.xlarge needs AWS Neuron"):
        inference({"hostinstancetype": "ml.inf2.xlarge"}, "PYTORCH")


def test_every_registry_but_lda_covers_the_same_commercial_regions():
    table = json.loads((Path(images.__file__).with_name("image_uris.json")).read_text())[
        "registries"
    ]
    regions = {name: set(accounts) for name, accounts in table.items()}

    full = regions["deep-learning-containers"]
    assert len(full) == 31
    assert {"us-east-1", "eu-central-2", "il-central-1", "cn-north-1"} <= full
    assert not any(r.startswith(("us-gov", "us-iso")) for r in full)
    assert all(found == full for name, found in regions.items() if name != "lda")
    assert regions["lda"] < full


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    found |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return found


def test_the_catalogue_is_a_leaf_that_config_and_requests_both_import():
    catalogue = Path(images.__file__)
    config_modules = catalogue.with_name("config").glob("*.py")

    assert not {m for m in _imports(catalogue) if m.startswith(("domain.config", "domain.req"))}
    assert not {m for path in config_modules for m in _imports(path) if "requests" in m}
    assert choice.images is images
