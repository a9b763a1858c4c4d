"""The one place that maps each service's status vocabulary to the pipeline's small one.

The state machine's Choice states only ever see: InProgress | Completed | Failed | Stopped.
"""

from __future__ import annotations

IN_PROGRESS = "InProgress"
COMPLETED = "Completed"
FAILED = "Failed"
STOPPED = "Stopped"
NOT_STARTED = "NotStarted"

_MAPS: dict[str, dict[str, str]] = {
    # DescribeTrainingJob.TrainingJobStatus and DescribeHyperParameterTuningJob's status
    "sagemaker_job": {
        "InProgress": IN_PROGRESS,
        "Stopping": IN_PROGRESS,
        "Completed": COMPLETED,
        "Failed": FAILED,
        "Stopped": STOPPED,
    },
    # BatchGetBuilds.builds[].buildStatus
    "codebuild": {
        "IN_PROGRESS": IN_PROGRESS,
        "SUCCEEDED": COMPLETED,
        "FAILED": FAILED,
        "FAULT": FAILED,
        "TIMED_OUT": FAILED,
        "STOPPED": STOPPED,
    },
    # DescribeEndpoint.EndpointStatus
    "endpoint": {
        "Creating": IN_PROGRESS,
        "Updating": IN_PROGRESS,
        "SystemUpdating": IN_PROGRESS,
        "RollingBack": IN_PROGRESS,
        "Deleting": IN_PROGRESS,
        "InService": COMPLETED,
        "Failed": FAILED,
        "OutOfService": FAILED,
        "UpdateRollbackFailed": FAILED,
    },
    # DescribeExecution.status (ETL / PostProcess hooks)
    "execution": {
        "RUNNING": IN_PROGRESS,
        "PENDING_REDRIVE": IN_PROGRESS,
        "SUCCEEDED": COMPLETED,
        "FAILED": FAILED,
        "TIMED_OUT": FAILED,
        "ABORTED": STOPPED,
    },
}


def normalise(kind: str, service_status: str) -> str:
    """Map `service_status` of a `kind` of job; an unknown status counts as Failed."""
    return _MAPS[kind].get(service_status, FAILED)
