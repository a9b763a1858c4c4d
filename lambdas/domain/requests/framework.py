"""Script mode (SCIKIT, XGBOOST, PYTORCH, TENSORFLOW, MXNET): SageMaker's framework images
running the user's entry point from a versioned source tarball.

Like the SageMaker Python SDK, every hyperparameter is JSON-encoded (the framework
containers JSON-decode them) and the `sagemaker_*` keys tell the container what to run.
"""

from __future__ import annotations

import json
from typing import Any

from domain.config import Config
from domain.context import RunContext
from domain.requests.common import FrameworkBuilder


class ScriptModeBuilder(FrameworkBuilder):
    family = "framework"

    def hyperparameters(
        self, ctx: RunContext, config: Config, values: dict[str, Any], job_name: str
    ) -> dict[str, str]:
        encoded = {name: json.dumps(value) for name, value in values.items()}
        if config.trainentrypoint:
            encoded["sagemaker_program"] = json.dumps(config.trainentrypoint)
        if ctx.training_source_uri:
            encoded["sagemaker_submit_directory"] = json.dumps(ctx.training_source_uri)
        encoded["sagemaker_region"] = json.dumps(ctx.resources.region)
        encoded["sagemaker_container_log_level"] = json.dumps(config.containerloglevel)
        encoded["sagemaker_job_name"] = json.dumps(job_name)
        if config.enablecloudwatchmetrics:
            encoded["sagemaker_enable_cloudwatch_metrics"] = "true"
        return encoded

    def categorical_value(self, value: Any) -> str:
        return json.dumps(value)

    def model_environment(self, ctx: RunContext, config: Config) -> dict[str, str]:
        env: dict[str, str] = {}
        if config.inference_entrypoint:
            env["SAGEMAKER_PROGRAM"] = config.inference_entrypoint
        if ctx.inference_source_uri:
            env["SAGEMAKER_SUBMIT_DIRECTORY"] = ctx.inference_source_uri
        env["SAGEMAKER_REGION"] = ctx.resources.region
        env["SAGEMAKER_CONTAINER_LOG_LEVEL"] = str(config.containerloglevel)
        if config.enablecloudwatchmetrics:
            env["SAGEMAKER_ENABLE_CLOUDWATCH_METRICS"] = "true"
        env.update(config.modelhostingenvironment)  # the user's settings win
        return env
