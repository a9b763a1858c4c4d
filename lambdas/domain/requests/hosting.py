"""The CreateModel and CreateEndpointConfig requests of a run."""

from __future__ import annotations

from typing import Any

from domain.config import Config
from domain.context import RunContext
from domain.requests import common
from domain.requests.registry import builder_for


def variant_name(version: int) -> str:
    """The production variant of a version: `v<version>`."""
    return f"v{version}"


def model_request(ctx: RunContext, config: Config, model_data_url: str) -> dict[str, Any]:
    """The exact request of SageMaker CreateModel: one PrimaryContainer, or `Containers`
    (the `pipeline` containers, then the model) for an inference pipeline.

    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html
    """
    builder = builder_for(config.framework)
    main: dict[str, Any] = {
        "Image": builder.inference_image(ctx, config),
        "ModelDataUrl": model_data_url,
    }
    environment = builder.model_environment(ctx, config)
    if environment:
        main["Environment"] = environment
    request: dict[str, Any] = {
        "ModelName": ctx.names.model,
        "ExecutionRoleArn": ctx.resources.model_role_arn,
    }
    if config.pipeline:
        containers = []
        for extra in config.pipeline:
            image = extra.image or f"{ctx.resources.image_repository_uri}:{extra.tag}"
            container: dict[str, Any] = {"Image": image}
            if extra.ModelDataUrl:
                container["ModelDataUrl"] = extra.ModelDataUrl
            if extra.environment:
                container["Environment"] = dict(extra.environment)
            containers.append(container)
        request["Containers"] = [*containers, main]
    else:
        request["PrimaryContainer"] = main
    request["Tags"] = common.tags(ctx, config)
    return request


def endpoint_config_request(ctx: RunContext, config: Config, model_name: str) -> dict[str, Any]:
    """The exact request of SageMaker CreateEndpointConfig: one variant `v<version>`.

    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html
    """
    request: dict[str, object] = {
        "EndpointConfigName": ctx.names.endpoint_config,
        "ProductionVariants": [
            {
                "VariantName": variant_name(ctx.version),
                "ModelName": model_name,
                "InitialInstanceCount": config.hostinstancecount,
                "InstanceType": config.hostinstancetype,
            }
        ],
        "Tags": common.tags(ctx, config),
    }
    if config.datacapture is not None:
        request["DataCaptureConfig"] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": config.datacapture.SamplingPercentage,
            "DestinationS3Uri": (
                f"s3://{ctx.resources.artifact_bucket}/datacapture/{ctx.resources.endpoint}"
            ),
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {
                "CsvContentTypes": ["text/csv"],
                "JsonContentTypes": ["application/json"],
            },
        }
    return request
