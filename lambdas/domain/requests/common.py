"""Pieces shared by every request builder, and the base of the per-framework builders.

A `FrameworkBuilder` answers the questions on which framework families differ (images,
hyperparameter encoding, model environment); everything else is built here once.
"""

from __future__ import annotations

import json
from typing import Any

from domain.config import Config
from domain.context import RunContext
from domain.requests import images

SECONDS_PER_HOUR = 3600


def encode_plain(value: Any) -> str:
    """A hyperparameter value as SageMaker wants it (a string), strings left as given."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def encode_number(value: float) -> str:
    """A range bound: whole numbers without a decimal point."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class FrameworkBuilder:
    """Default behaviour (BYOD and AMAZON); script-mode frameworks override parts of it."""

    family = "base"

    def training_image(self, ctx: RunContext, config: Config) -> str:
        res = ctx.resources
        return images.training_image(
            config,
            res.region,
            res.image_repository_uri,
            ctx.names.training_image_tag,
        )

    def inference_image(self, ctx: RunContext, config: Config) -> str:
        res = ctx.resources
        return images.inference_image(
            config,
            res.region,
            res.image_repository_uri,
            ctx.names.inference_image_tag,
        )

    def hyperparameters(  # script mode's override uses every argument
        self,
        ctx: RunContext,  # noqa: ARG002
        config: Config,  # noqa: ARG002
        values: dict[str, Any],
        job_name: str,  # noqa: ARG002
    ) -> dict[str, str]:
        """The HyperParameters of a training job (or a tuning job's static ones)."""
        return {name: encode_plain(value) for name, value in values.items()}

    def categorical_value(self, value: Any) -> str:
        return encode_plain(value)

    def model_environment(self, ctx: RunContext, config: Config) -> dict[str, str]:  # noqa: ARG002
        return dict(config.modelhostingenvironment)


def tags(ctx: RunContext, config: Config | None = None) -> list[dict[str, str]]:
    """The stack, run and (once allocated) version tags, then the user's `Tags`."""
    ours = [
        {"Key": "sagebuild:stack", "Value": ctx.resources.stack},
        {"Key": "sagebuild:run", "Value": str(ctx.run)},
    ]
    if ctx.version:
        ours.append({"Key": "sagebuild:version", "Value": str(ctx.version)})
    user = [{"Key": t.Key, "Value": t.Value} for t in config.Tags] if config else []
    return ours + user


def input_data_config(ctx: RunContext, config: Config) -> list[dict[str, Any]]:
    """InputDataConfig from `channels`; one `training` channel on the data bucket by default."""
    bucket = ctx.resources.data_bucket
    if not config.channels:
        return [
            {
                "ChannelName": "training",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": f"s3://{bucket}/train/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
        ]
    channels = []
    for name, channel in config.channels.items():
        uri = channel.uri or f"s3://{bucket}/{(channel.path or name + '/').lstrip('/')}"
        source: dict[str, Any] = {
            "S3DataType": channel.type,
            "S3Uri": uri,
            "S3DataDistributionType": channel.dist,
        }
        if channel.AttributeNames:
            source["AttributeNames"] = list(channel.AttributeNames)
        entry: dict[str, Any] = {"ChannelName": name, "DataSource": {"S3DataSource": source}}
        if channel.ContentType:
            entry["ContentType"] = channel.ContentType
        if channel.CompressionType:
            entry["CompressionType"] = channel.CompressionType
        if channel.RecordWrapperType:
            entry["RecordWrapperType"] = channel.RecordWrapperType
        if channel.InputMode:
            entry["InputMode"] = channel.InputMode
        if channel.ShuffleConfig:
            entry["ShuffleConfig"] = {"Seed": channel.ShuffleConfig.Seed}
        channels.append(entry)
    return channels


def output_data_config(ctx: RunContext) -> dict[str, Any]:
    return {"S3OutputPath": f"s3://{ctx.resources.artifact_bucket}/"}


def resource_config(config: Config) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "InstanceType": config.traininstancetype,
        "InstanceCount": config.traininstancecount,
        "VolumeSizeInGB": config.trainvolumesize,
    }
    if config.volumekmskey:
        resources["VolumeKmsKeyId"] = config.volumekmskey
    return resources


def stopping_condition(config: Config) -> dict[str, Any]:
    condition = {"MaxRuntimeInSeconds": int(config.trainmaxrun * SECONDS_PER_HOUR)}
    if config.spot:
        wait = config.maxwait if config.maxwait is not None else config.trainmaxrun
        condition["MaxWaitTimeInSeconds"] = int(wait * SECONDS_PER_HOUR)
    return condition


def algorithm_specification(
    builder: FrameworkBuilder, ctx: RunContext, config: Config, metrics: list[dict[str, Any]]
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "TrainingImage": builder.training_image(ctx, config),
        "TrainingInputMode": config.inputmode,
    }
    if metrics:
        spec["MetricDefinitions"] = metrics
    return spec


def metric_definitions(config: Config) -> list[dict[str, Any]]:
    return [{"Name": m.Name, "Regex": m.Regex} for m in config.metrics]
