"""The run context, tags, training defaults and framework images the request-builder tests
share."""

from domain.context import Names, RunContext, StackResources

CTX = RunContext(
    resources=StackResources(
        stack="demo",
        region="us-east-1",
        account="123456789012",
        data_bucket="demo-data",
        artifact_bucket="demo-artifacts",
        checkpoint_bucket="demo-checkpoints",
        code_bucket="demo-code",
        image_repository_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/demo",
        training_role_arn="arn:aws:iam::123456789012:role/demo-training",
        model_role_arn="arn:aws:iam::123456789012:role/demo-model",
        endpoint="demo",
    ),
    run=7,
    version=3,
    names=Names(
        training_job="demo-v3-1700000000",
        tuning_job="demo-v3-tuning",
        model="demo-v3-model",
        endpoint_config="demo-v3-config",
        endpoint="demo",
        training_image_tag="training-v3",
        inference_image_tag="inference-v3",
    ),
    training_source_uri="s3://demo-code/versions/training/v3.tar.gz",
    inference_source_uri="s3://demo-code/versions/inference/v3.tar.gz",
)
TAGS = [
    {"Key": "sagebuild:stack", "Value": "demo"},
    {"Key": "sagebuild:run", "Value": "7"},
    {"Key": "sagebuild:version", "Value": "3"},
]


def data_channel(name: str, prefix: str, **settings: str) -> dict:
    """The channel `name` as the builders write it: the data bucket's `prefix`, fully replicated."""
    source = {
        "S3DataType": "S3Prefix",
        "S3Uri": f"s3://demo-data/{prefix}",
        "S3DataDistributionType": "FullyReplicated",
    }
    return {"ChannelName": name, "DataSource": {"S3DataSource": source}, **settings}


# What a training job gets from the defaults, in CreateTrainingJob and in a tuning job's
# TrainingJobDefinition alike: the training role, the one `training` channel, the artifact
# bucket, one ml.m5.large with 10 GB, at most 4 hours.
TRAINING_DEFAULTS = {
    "RoleArn": "arn:aws:iam::123456789012:role/demo-training",
    "InputDataConfig": [data_channel("training", "train/")],
    "OutputDataConfig": {"S3OutputPath": "s3://demo-artifacts/"},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 14400},
}

# Each script-mode framework's images: (training on ml.m5.large, serving on ml.g5.xlarge).
SCRIPT_MODE_IMAGES = {
    "SCIKIT": (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
    ),
    "XGBOOST": (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    ),
    "PYTORCH": (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310",
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-gpu-py310",
    ),
    "TENSORFLOW": (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.13.0-cpu-py310",
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference:2.13.0-gpu",
    ),
    "MXNET": (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/mxnet-training:1.9.0-cpu-py38",
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/mxnet-inference:1.9.0-gpu-py38",
    ),
}
