"""The run context and tags the request-builder tests share."""

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
