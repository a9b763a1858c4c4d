"""CreateModel and CreateEndpointConfig requests, compared with literal dicts."""

import pytest
from domain.config import parse_config
from domain.requests import endpoint_config_request, model_request
from request_fixtures import CTX, SCRIPT_MODE_IMAGES, TAGS

SPARKML = "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-sparkml-serving:3.3"
ARTIFACT = "s3://demo-artifacts/demo-v3-1700000000/output/model.tar.gz"


def test_byod_model_request():
    config = parse_config({"modelhostingenvironment": {"WORKERS": 2}}, "BYOD")

    assert model_request(CTX, config, ARTIFACT) == {
        "ModelName": "demo-v3-model",
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/demo-model",
        "PrimaryContainer": {
            "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo:inference-v3",
            "ModelDataUrl": ARTIFACT,
            "Environment": {"WORKERS": "2"},
        },
        "Tags": TAGS,
    }


def test_amazon_model_request_without_environment():
    config = parse_config({"algorithm": "linear-learner"}, "AMAZON")

    assert model_request(CTX, config, ARTIFACT) == {
        "ModelName": "demo-v3-model",
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/demo-model",
        "PrimaryContainer": {
            "Image": "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1",
            "ModelDataUrl": ARTIFACT,
        },
        "Tags": TAGS,
    }


@pytest.mark.parametrize(
    ("framework", "image"),
    [(framework, serving) for framework, (_, serving) in SCRIPT_MODE_IMAGES.items()],
)
def test_script_mode_model_request(framework, image):
    config = parse_config(
        {
            "hostinstancetype": "ml.g5.xlarge",
            "hostentrypoint": "serve.py",
            "modelhostingenvironment": {"SAGEMAKER_MODEL_SERVER_WORKERS": "2"},
        },
        framework,
    )

    assert model_request(CTX, config, ARTIFACT) == {
        "ModelName": "demo-v3-model",
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/demo-model",
        "PrimaryContainer": {
            "Image": image,
            "ModelDataUrl": ARTIFACT,
            "Environment": {
                "SAGEMAKER_PROGRAM": "serve.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": "s3://demo-code/versions/inference/v3.tar.gz",
                "SAGEMAKER_REGION": "us-east-1",
                "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
                "SAGEMAKER_MODEL_SERVER_WORKERS": "2",
            },
        },
        "Tags": TAGS,
    }


def test_script_mode_hosting_defaults_to_the_training_entry_point():
    config = parse_config({"trainentrypoint": "main.py"}, "SCIKIT")

    environment = model_request(CTX, config, ARTIFACT)["PrimaryContainer"]["Environment"]

    assert environment["SAGEMAKER_PROGRAM"] == "main.py"


def test_inference_pipeline_model_request_puts_the_model_last():
    config = parse_config(
        {
            "pipeline": [
                {"tag": "preprocess-v1", "environment": {"MODE": "csv"}},
                {
                    "image": SPARKML,
                    "ModelDataUrl": "s3://demo-artifacts/sparkml/model.tar.gz",
                },
            ],
            "Tags": [{"Key": "team", "Value": "ml"}],
        },
        "BYOD",
    )

    assert model_request(CTX, config, ARTIFACT) == {
        "ModelName": "demo-v3-model",
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/demo-model",
        "Containers": [
            {
                "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo:preprocess-v1",
                "Environment": {"MODE": "csv"},
            },
            {
                "Image": SPARKML,
                "ModelDataUrl": "s3://demo-artifacts/sparkml/model.tar.gz",
            },
            {
                "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo:inference-v3",
                "ModelDataUrl": ARTIFACT,
            },
        ],
        "Tags": [*TAGS, {"Key": "team", "Value": "ml"}],
    }


def test_endpoint_config_request():
    config = parse_config({"hostinstancetype": "ml.c5.xlarge", "hostinstancecount": "2"}, "BYOD")

    assert endpoint_config_request(CTX, config, "demo-v3-model") == {
        "EndpointConfigName": "demo-v3-config",
        "ProductionVariants": [
            {
                "VariantName": "v3",
                "ModelName": "demo-v3-model",
                "InitialInstanceCount": 2,
                "InstanceType": "ml.c5.xlarge",
            }
        ],
        "Tags": TAGS,
    }


def test_endpoint_config_captures_requests_and_responses_when_asked():
    config = parse_config({"datacapture": {"SamplingPercentage": 20}}, "SCIKIT")

    request = endpoint_config_request(CTX, config, "demo-v3-model")

    assert request["DataCaptureConfig"] == {
        "EnableCapture": True,
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": "s3://demo-artifacts/datacapture/demo",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {
            "CsvContentTypes": ["text/csv"],
            "JsonContentTypes": ["application/json"],
        },
    }


def test_data_capture_percentage_is_checked():
    from domain.errors import InvalidParameters

    with pytest.raises(InvalidParameters, match="datacapture.SamplingPercentage"):
        parse_config({"datacapture": {"SamplingPercentage": 150}}, "SCIKIT")
