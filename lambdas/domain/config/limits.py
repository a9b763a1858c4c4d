"""SageMaker's limits on the parameter document's values, each with where it comes from.

Where each bound comes from: a shape of botocore's SageMaker model
(botocore/data/sagemaker/2017-07-24/service-2.json), else the SageMaker documentation.
Where neither gives a maximum (the instance counts are account quotas that AWS raises on
request) the ceiling is sagebuild's own, there only so that a typo or 10**400 is refused
here rather than by SageMaker in the middle of a run; raise it if your quota is higher.
"""

from __future__ import annotations

SECONDS_PER_HOUR = 3600
# MaxRuntimeInSeconds: min 1; its documentation: "The maximum value is 28 days" (2419200 s,
# also MaxPendingTimeInSeconds' max). MaxWaitTimeInSeconds: min 1, no max in the model, and
# "must be equal to or greater than MaxRuntimeInSeconds": sagebuild holds it to 28 days too.
# approval.TimeoutHours (a Step Functions task token timeout) shares the same bounds.
MIN_RUNTIME_SECONDS = 1
MAX_RUNTIME_SECONDS = 28 * 24 * SECONDS_PER_HOUR
MAX_TRAINING_HOURS = MAX_RUNTIME_SECONDS // SECONDS_PER_HOUR  # 672
# VolumeSizeInGB: min 1, no max in the model; 16384 is the max of every SageMaker EBS volume
# shape that has one (ProcessingVolumeSizeInGB, ClusterEbsVolumeSizeInGB,
# NotebookInstanceVolumeSizeInGB) and EBS gp2's own limit (16 TiB).
MAX_VOLUME_GB = 16384
# TrainingInstanceCount (min 0), InitialTaskCount (min 1) and Application Auto Scaling's
# ResourceCapacity have no max in the models: sagebuild's ceiling, the max of
# ProcessingInstanceCount (the one SageMaker job instance count the model bounds).
MAX_INSTANCES = 100
# ResourceLimits.MaxNumberOfTrainingJobs / MaxParallelTrainingJobs: min 1, no max in the model;
# "Resource Limits for Automatic Model Tuning" (docs): a Bayesian tuning job (the strategy
# sagebuild uses) runs at most 750 training jobs, at most 100 in parallel (default 10).
MAX_TUNING_JOBS = 750
MAX_PARALLEL_TUNING_JOBS = 100
MAX_PARENT_JOBS = 5  # ParentHyperParameterTuningJobs: max 5
# TagKey: 1-128 characters; TagValue: 0-256; TagList: max 50, of which sagebuild's own
# `sagebuild:stack`, `sagebuild:run` and `sagebuild:version` take 3 (domain.requests.common.tags).
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
SAGEBUILD_TAGS = 3
MAX_TAGS = 50 - SAGEBUILD_TAGS
# HyperParameters: max 100 entries; HyperParameterKey: max 256 characters; HyperParameterValue:
# max 2500 characters (the value as sent: JSON-encoded in script mode). Script mode adds up
# to 6 `sagemaker_*` entries (domain.requests.framework).
MAX_HYPERPARAMETERS = 100
SCRIPT_MODE_HYPERPARAMETERS = 6
MAX_HYPERPARAMETER_KEY = 256
MAX_HYPERPARAMETER_VALUE = 2500
# ParameterValue (a range's MinValue, MaxValue and each categorical value): max 256
# characters; ParameterValues (categorical values): max 30; Integer-, Continuous- and
# CategoricalParameterRanges: max 30 each, and the tuning limits page: 30 searched in all.
MAX_RANGE_VALUE = 256
MAX_CATEGORICAL_VALUES = 30
MAX_RANGES = 30
# EnvironmentValue (model environment): max 1024 characters.
MAX_ENVIRONMENT_VALUE = 1024
# SamplingPercentage: 0-100 (sagebuild asks for ≥ 1: 0 captures nothing).
MAX_SAMPLING_PERCENTAGE = 100
# Cooldown (Application Auto Scaling): an integer with no max; AWS integers are 32-bit.
MAX_INT32 = 2**31 - 1
# Seed (ShuffleConfig): a long with no max.
MAX_INT64 = 2**63 - 1
# containerloglevel: a Python logging level, CRITICAL (50) the highest standard one.
MAX_LOG_LEVEL = 50
# Values nest at most this deep (a hyperparameter value holds at most 2500 characters).
MAX_NESTING = 100
