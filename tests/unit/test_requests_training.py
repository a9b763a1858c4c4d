"""CreateTrainingJob requests, compared with literal dicts per framework."""

import pytest
from domain.config import parse_config
from domain.errors import UnsupportedConfiguration
from domain.requests import builder_for, training_job_request
from request_fixtures import CTX, SCRIPT_MODE_IMAGES, TAGS, TRAINING_DEFAULTS, data_channel


def default_request(algorithm: dict, hyperparameters: dict) -> dict:
    """The literal request of a job on the training defaults, but for algorithm and values."""
    return {
        "TrainingJobName": "demo-v3-1700000000",
        **TRAINING_DEFAULTS,
        "AlgorithmSpecification": algorithm,
        "HyperParameters": hyperparameters,
        "CheckpointConfig": {"S3Uri": "s3://demo-checkpoints/demo-v3-1700000000/checkpoints"},
        "Tags": TAGS,
    }


def test_byod_training_request():
    config = parse_config({"hyperparameters": {"epochs": 3, "mode": "fast", "debug": True}}, "BYOD")

    assert training_job_request(CTX, config) == default_request(
        {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo:training-v3",
            "TrainingInputMode": "File",
        },
        {"epochs": "3", "mode": "fast", "debug": "true"},
    )


def test_byod_training_request_uses_a_prebuilt_image():
    config = parse_config({"TrainingImage": "111.dkr.ecr.us-east-1.amazonaws.com/x:7"}, "BYOD")

    request = training_job_request(CTX, config)

    assert request["AlgorithmSpecification"]["TrainingImage"] == (
        "111.dkr.ecr.us-east-1.amazonaws.com/x:7"
    )


def test_amazon_training_request():
    config = parse_config(
        {
            "hyperparameters": {"num_round": "50", "objective": "reg:squarederror", "eta": 0.2},
            "channels": {
                "train": {"path": "train/", "ContentType": "text/csv"},
                "validation": {"path": "validation/", "contentType": "text/csv"},
            },
            "traininstancecount": "2",
            "trainvolumesize": "30",
            "trainmaxrun": "1",
            "Tags": [{"Key": "team", "Value": "ml"}],
        },
        "AMAZON",
    )

    assert training_job_request(CTX, config) == {
        "TrainingJobName": "demo-v3-1700000000",
        "RoleArn": "arn:aws:iam::123456789012:role/demo-training",
        "AlgorithmSpecification": {
            "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "TrainingInputMode": "File",
        },
        "HyperParameters": {"num_round": "50", "objective": "reg:squarederror", "eta": "0.2"},
        "InputDataConfig": [
            data_channel("train", "train/", ContentType="text/csv"),
            data_channel("validation", "validation/", ContentType="text/csv"),
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://demo-artifacts/"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CheckpointConfig": {"S3Uri": "s3://demo-checkpoints/demo-v3-1700000000/checkpoints"},
        "Tags": [*TAGS, {"Key": "team", "Value": "ml"}],
    }


def script_mode_request(image: str, hyperparameters: dict) -> dict:
    """The literal request every script-mode framework shares except image and user values."""
    return default_request(
        {
            "TrainingImage": image,
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "loss", "Regex": "loss=([0-9.]+)"}],
        },
        {
            **hyperparameters,
            "sagemaker_program": '"train.py"',
            "sagemaker_submit_directory": '"s3://demo-code/versions/training/v3.tar.gz"',
            "sagemaker_region": '"us-east-1"',
            "sagemaker_container_log_level": "20",
            "sagemaker_job_name": '"demo-v3-1700000000"',
        },
    )


SCRIPT_DOCUMENT = {
    "hyperparameters": {"epochs": 3, "kernel": "rbf", "layers": [64, 32]},
    "metrics": [{"Name": "loss", "Regex": "loss=([0-9.]+)"}],
    "trainsourcefile": "s3://user-bucket/src/train.tar.gz",
}
SCRIPT_HYPERPARAMETERS = {"epochs": "3", "kernel": '"rbf"', "layers": "[64, 32]"}


@pytest.mark.parametrize(
    ("framework", "image"),
    [(framework, training) for framework, (training, _) in SCRIPT_MODE_IMAGES.items()],
)
def test_script_mode_training_request(framework, image):
    config = parse_config(SCRIPT_DOCUMENT, framework)

    assert training_job_request(CTX, config) == script_mode_request(image, SCRIPT_HYPERPARAMETERS)


def test_pytorch_gpu_spot_training_request_with_channels():
    config = parse_config(
        {
            "traininstancetype": "ml.p3.2xlarge",
            "inputmode": "FastFile",
            "spot": True,
            "trainmaxrun": 2,
            "maxwait": 3,
            "volumekmskey": "alias/train",
            "trainentrypoint": "fit.py",
            "containerloglevel": 10,
            "enablecloudwatchmetrics": "true",
            "channels": {
                "images": {
                    "uri": "s3://shared-data/images.manifest",
                    "type": "AugmentedManifestFile",
                    "dist": True,
                    "AttributeNames": ["source-ref", "label"],
                    "RecordWrapperType": "RecordIO",
                    "InputMode": "Pipe",
                    "CompressionType": "None",
                    "ShuffleConfig": {"Seed": "7"},
                }
            },
        },
        "PYTORCH",
    )

    assert training_job_request(CTX, config) == {
        "TrainingJobName": "demo-v3-1700000000",
        "RoleArn": "arn:aws:iam::123456789012:role/demo-training",
        "AlgorithmSpecification": {
            "TrainingImage": (
                "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-gpu-py310"
            ),
            "TrainingInputMode": "FastFile",
        },
        "HyperParameters": {
            "sagemaker_program": '"fit.py"',
            "sagemaker_submit_directory": '"s3://demo-code/versions/training/v3.tar.gz"',
            "sagemaker_region": '"us-east-1"',
            "sagemaker_container_log_level": "10",
            "sagemaker_job_name": '"demo-v3-1700000000"',
            "sagemaker_enable_cloudwatch_metrics": "true",
        },
        "InputDataConfig": [
            {
                "ChannelName": "images",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "AugmentedManifestFile",
                        "S3Uri": "s3://shared-data/images.manifest",
                        "S3DataDistributionType": "ShardedByS3Key",
                        "AttributeNames": ["source-ref", "label"],
                    }
                },
                "CompressionType": "None",
                "RecordWrapperType": "RecordIO",
                "InputMode": "Pipe",
                "ShuffleConfig": {"Seed": 7},
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://demo-artifacts/"},
        "ResourceConfig": {
            "InstanceType": "ml.p3.2xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 10,
            "VolumeKmsKeyId": "alias/train",
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 7200, "MaxWaitTimeInSeconds": 10800},
        "CheckpointConfig": {"S3Uri": "s3://demo-checkpoints/demo-v3-1700000000/checkpoints"},
        "Tags": TAGS,
        "EnableManagedSpotTraining": True,
    }


def test_channel_without_path_reads_its_own_prefix():
    config = parse_config({"channels": {"test": {}}}, "BYOD")

    source = training_job_request(CTX, config)["InputDataConfig"][0]["DataSource"]
    assert source["S3DataSource"]["S3Uri"] == "s3://demo-data/test/"


def test_fractional_hours_become_whole_seconds():
    config = parse_config({"trainmaxrun": "0.5"}, "BYOD")

    assert training_job_request(CTX, config)["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}


def test_registry_gives_one_builder_per_family():
    families = {fw: builder_for(fw).family for fw in ("BYOD", "AMAZON", "PYTORCH", "scikit")}

    assert families == {
        "BYOD": "byod",
        "AMAZON": "amazon",
        "PYTORCH": "framework",
        "scikit": "framework",
    }
    with pytest.raises(UnsupportedConfiguration, match="Chainer"):
        builder_for("CHAINER")
