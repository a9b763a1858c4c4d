"""Initialize a run: validate the parameters, assign the run number and names, decide the path.

Nothing is created on AWS before the parameter document has passed validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from domain import naming
from domain.aws import ClientFactory, describe_endpoint, read_json_parameter, split_s3_uri
from domain.config import Config, merge_overrides, parse_config
from domain.context import RunContext, StackResources
from domain.errors import InvalidParameters
from domain.requests.common import input_data_config
from domain.run_table import RunTable
from domain.settings import Settings
from domain.state import ApprovalStep, EndpointInfo, Flags, LaunchInput, RunInfo, RunState

logger = Logger(child=True)


def resources_of(settings: Settings) -> StackResources:
    return StackResources(
        stack=settings.stack_name,
        region=settings.region,
        account=settings.account,
        data_bucket=settings.data_bucket,
        artifact_bucket=settings.artifact_bucket,
        checkpoint_bucket=settings.checkpoint_bucket,
        code_bucket=settings.code_bucket,
        image_repository_uri=settings.image_repository_uri,
        training_role_arn=settings.training_role_arn,
        model_role_arn=settings.model_role_arn,
        endpoint=naming.endpoint_name(settings.stack_name, settings.endpoint_name),
    )


def framework_of(document: Mapping[str, Any], settings: Settings) -> str:
    return str(document.get("framework") or settings.config_framework).upper()


def decide_flags(config: Config, settings: Settings) -> Flags:
    """Which optional parts of the pipeline this run takes."""
    train = config.train
    return Flags(
        etl=bool(settings.etl_state_machine),
        train=train,
        tune=train and config.is_tuning,
        gate=train and config.deploygate is not None,
        approval=config.deployEndpoint and config.approval is not None and config.approval.Required,
        build_training_image=train and config.build_training_image,
        build_inference_image=config.build_inference_image,
        deploy=config.deployEndpoint,
        postprocess=bool(settings.postprocess_state_machine),
    )


def _versioned_copy(
    aws: ClientFactory, parameter: str, source: str, code_bucket: str, key: str
) -> str:
    """Copy a user's script tarball to a per-version key so redeploys use the old code."""
    if not source or not source.startswith("s3://"):
        return ""
    bucket, src_key = split_s3_uri(source)
    try:
        aws("s3").copy_object(
            Bucket=code_bucket, Key=key, CopySource={"Bucket": bucket, "Key": src_key}
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in {"NoSuchKey", "NoSuchBucket", "404"}:
            raise
        raise InvalidParameters(
            [
                f"{parameter}: {source} does not exist; upload a tar.gz of your code there "
                "(`sagebuild upload-code DIR` does it) or point the key at your tarball"
            ]
        ) from error
    return f"s3://{code_bucket}/{key}"


def _check_channels_hold_data(aws: ClientFactory, context: RunContext, config: Config) -> None:
    """Fail the run now when a training channel's S3 location holds no objects.

    The channels are those the training (or tuning) request will name (`channels`, or the one
    `training` channel on s3://<data bucket>/train/). One ListObjectsV2 with MaxKeys=1 per
    channel: the step functions' role may list the stack's buckets (PipelineStatePolicy). A
    channel in a bucket outside the stack may be readable by the training role and not by
    ours: AccessDenied there skips the check for that channel (logged) rather than failing a
    run that would train; SageMaker then reports a missing location itself. AccessDenied on
    one of the stack's buckets is a broken policy and is raised.
    """
    resources = context.resources
    stack_buckets = {
        resources.data_bucket,
        resources.artifact_bucket,
        resources.checkpoint_bucket,
        resources.code_bucket,
    }
    problems: list[str] = []
    for channel in input_data_config(context, config):
        name = channel["ChannelName"]
        uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
        bucket, prefix = split_s3_uri(uri)
        try:
            listed = aws("s3").list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in {"AccessDenied", "403"} and bucket not in stack_buckets:
                logger.warning(
                    "training channel not checked: its bucket is outside the stack and cannot "
                    "be listed",
                    extra={"channel": name, "location": uri, "error_code": code},
                )
                continue
            if code != "NoSuchBucket":
                raise
            listed = {"KeyCount": 0}
        if not listed.get("KeyCount") and not listed.get("Contents"):
            problems.append(
                f"the training channel {name!r} has no data: {uri} holds no objects; upload "
                "the data there (`sagebuild upload-data` does it for the stack's data bucket) "
                f"or point channels.{name} at data"
            )
    if problems:
        raise InvalidParameters(problems)


def _approval_timeout(config: Config) -> int:
    hours = config.approval.TimeoutHours if config.approval is not None else 24
    return max(1, int(float(hours) * 3600))


def initialize_run(
    inputs: LaunchInput,
    settings: Settings,
    aws: ClientFactory,
    execution: str,
    execution_arn: str,
    now: datetime,
) -> RunState:
    """The state document of a new run (see docs/architecture.md)."""
    stored = read_json_parameter(aws, settings.parameter_name)
    merged = merge_overrides(stored, inputs.overrides)
    framework = framework_of(merged, settings)
    config = parse_config(merged, framework)
    flags = decide_flags(config, settings)

    run_number = RunTable(aws, settings.run_table).next_number("run")
    resources = resources_of(settings)
    names = naming.run_names(settings.stack_name, resources.endpoint, run_number, execution)
    current = describe_endpoint(aws, resources.endpoint)
    # Before anything is created (the versioned code copies below) or any job starts. Not when
    # an ETL hook runs first (it may write the data) or a TrainingConfigLambda override may
    # rewrite the request (and its channels).
    if flags.train and not flags.etl and not settings.training_config_lambda:
        _check_channels_hold_data(aws, RunContext(resources, run_number, names), config)

    training_source = inference_source = ""
    if config.is_script_mode:
        training_source = _versioned_copy(
            aws,
            "trainsourcefile",
            config.trainsourcefile or "",
            settings.code_bucket,
            f"versions/training/r{run_number}.tar.gz",
        )
        host_key = "hostsourcefile" if config.hostsourcefile else "trainsourcefile"
        inference_source = _versioned_copy(
            aws,
            host_key,
            config.inference_sourcefile or "",
            settings.code_bucket,
            f"versions/inference/r{run_number}.tar.gz",
        )
    context = RunContext(
        resources=resources,
        run=run_number,
        names=names,
        training_source_uri=training_source,
        inference_source_uri=inference_source,
    )
    return RunState(
        run=RunInfo(
            stack=settings.stack_name,
            run_number=run_number,
            execution=execution,
            framework=framework,
            started_at=now.isoformat(),
            trigger=inputs.trigger or {"source": "manual", "detail": "started without a trigger"},
            execution_arn=execution_arn,
        ),
        context=context,
        config=config,
        flags=flags,
        endpoint=EndpointInfo(
            exists=current is not None,
            status=(current or {}).get("EndpointStatus", ""),
            previous_config=(current or {}).get("EndpointConfigName", ""),
        ),
        approval=ApprovalStep(timeout_seconds=_approval_timeout(config)),
    )
