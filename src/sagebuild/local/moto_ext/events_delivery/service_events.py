"""The events AWS services put on the default bus: SageMaker, CodeBuild, Step Functions.

The local SageMaker and CodeBuild call `emit_sagemaker` / `emit_codebuild` where their
statuses change; standard Step Functions executions emit "Step Functions Execution Status
Change" when they start and end (`emit_execution`, called from the package's patches).
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

from .bus import emit
from .envelope import epoch_ms, jsonable
from .targets import region_account

LOG = logging.getLogger(__name__)

#: Step Functions leaves input or output out of the event above this size (cw-events.html).
PAYLOAD_LIMIT = 248 * 1024


# SageMaker Developer Guide, "Events that Amazon SageMaker AI sends to Amazon EventBridge"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
# the detail is the Describe* response, times in epoch milliseconds, Tags as a {key: value} map.
_SAGEMAKER_EVENTS = {
    "FakeTrainingJob": "SageMaker Training Job State Change",
    "HyperParameterTuningJob": "SageMaker HyperParameter Tuning Job State Change",
    "FakeEndpoint": "SageMaker Endpoint State Change",
}


def sagemaker_detail(resource: Any) -> dict[str, Any]:
    """The detail of the state change event of a moto training job, tuning job or endpoint."""
    kind = type(resource).__name__
    if kind == "HyperParameterTuningJob":
        described = dict(resource.describe())
    else:
        described = dict(resource.response_object)
    tags = getattr(resource, "tags", None) or []
    described["Tags"] = {t["Key"]: t.get("Value", "") for t in tags if isinstance(t, dict)}
    return dict(jsonable(described))


def emit_sagemaker(resource: Any) -> str | None:
    """Emit the state change event of a SageMaker training job, tuning job or endpoint."""
    try:
        detail_type = _SAGEMAKER_EVENTS[type(resource).__name__]
        arn = str(resource.arn)
        region, account = region_account(arn)
        detail = sagemaker_detail(resource)
    except Exception:  # noqa: BLE001 - never fail the service on its event
        LOG.exception("could not describe %r for its SageMaker event", resource)
        return None
    return emit("aws.sagemaker", detail_type, detail, [arn], account_id=account, region=region)


def _codebuild_time(value: Any) -> str | None:
    """CodeBuild's event time format, e.g. "Sep 1, 2017 4:12:29 PM"."""
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return moment.strftime("%b %-d, %Y %-I:%M:%S %p")


def codebuild_detail(build: dict[str, Any]) -> dict[str, Any]:
    """The detail of "CodeBuild Build State Change" for a build's BatchGetBuilds metadata.

    CodeBuild User Guide, "Build notifications input format reference"
    (https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications-ref.html).
    """
    environment = build.get("environment") or {}
    source = build.get("source") or {}
    logs = build.get("logs") or {}
    phases = [
        {
            "phase-context": [
                f"{c.get('statusCode', '')}: {c.get('message', '')}" for c in p.get("contexts", [])
            ],
            "start-time": _codebuild_time(p.get("startTime")),
            **({"end-time": _codebuild_time(p["endTime"])} if p.get("endTime") else {}),
            **({"duration-in-seconds": p["durationInSeconds"]} if "durationInSeconds" in p else {}),
            "phase-type": p.get("phaseType"),
            **({"phase-status": p["phaseStatus"]} if p.get("phaseStatus") else {}),
        }
        for p in build.get("phases") or []
    ]
    information: dict[str, Any] = {
        "artifact": {"location": (build.get("artifacts") or {}).get("location", "")},
        "environment": {
            "image": environment.get("image"),
            "privileged-mode": bool(environment.get("privilegedMode")),
            "compute-type": environment.get("computeType"),
            "type": environment.get("type"),
            "environment-variables": [
                {"name": v.get("name"), "type": v.get("type", "PLAINTEXT"), "value": v.get("value")}
                for v in environment.get("environmentVariables") or []
            ],
        },
        "timeout-in-minutes": build.get("timeoutInMinutes"),
        "build-complete": bool(build.get("buildComplete")),
        "initiator": build.get("initiator"),
        "build-start-time": _codebuild_time(build.get("startTime")),
        "source": {k: v for k, v in source.items() if k in ("location", "type", "buildspec")},
        "logs": {
            "group-name": logs.get("groupName"),
            "stream-name": logs.get("streamName"),
            "deep-link": logs.get("deepLink"),
        },
        "phases": phases,
    }
    if build.get("sourceVersion"):
        information["source-version"] = build["sourceVersion"]
    current = build.get("currentPhase")
    contexts = (build.get("phases") or [{}])[-1].get("contexts", []) if phases else []
    return {
        "build-status": build.get("buildStatus"),
        "project-name": build.get("projectName"),
        "build-id": build.get("arn"),
        "additional-information": information,
        "current-phase": current,
        "current-phase-context": json.dumps([c.get("message", "") for c in contexts]),
        "version": "1",
    }


def emit_codebuild(build: dict[str, Any]) -> str | None:
    """Emit "CodeBuild Build State Change" for a build (its BatchGetBuilds metadata)."""
    try:
        arn = str(build["arn"])
        region, account = region_account(arn)
        detail = codebuild_detail(build)
    except Exception:  # noqa: BLE001 - never fail the build on its event
        LOG.exception("could not describe build %r for its CodeBuild event", build.get("id"))
        return None
    return emit(
        "aws.codebuild",
        "CodeBuild Build State Change",
        detail,
        [arn],
        account_id=account,
        region=region,
    )


def execution_detail(execution: Any, status: str) -> dict[str, Any]:
    """The detail of "Step Functions Execution Status Change" for a moto parser execution.

    Step Functions Developer Guide, "EventBridge (CloudWatch Events) for Step Functions
    execution status changes" (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html):
    dates in epoch milliseconds, output only when SUCCEEDED, input or output left out (and
    `included: false`) above 248 KB.
    """
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    text_input: str | None = to_json_str(execution.input_data, separators=(",", ":"))
    output = None
    if status == "SUCCEEDED":
        output = to_json_str(execution.output, separators=(",", ":"))
    input_included = output_included = True
    if output is not None and len(output) > PAYLOAD_LIMIT:
        output, output_included = None, False
    if len(text_input or "") + len(output or "") > PAYLOAD_LIMIT:
        text_input, input_included = None, False
    ended = status != "RUNNING"
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine.arn,
        "name": execution.name,
        "status": status,
        "startDate": epoch_ms(execution.start_date),
        "stopDate": epoch_ms(execution.stop_date) if ended else None,
        "input": text_input,
        "output": output,
        "inputDetails": {"included": input_included},
        "outputDetails": {"included": output_included} if status == "SUCCEEDED" else None,
        "error": execution.error if ended else None,
        "cause": execution.cause if ended else None,
    }


def emit_execution(execution: Any, status: str) -> None:
    from moto.stepfunctions.parser.api import StateMachineType

    try:
        if execution.sm_type != StateMachineType.STANDARD:
            return  # Express workflows do not emit events to EventBridge (cw-events.html)
        detail = execution_detail(execution, status)
    except Exception:  # noqa: BLE001 - never fail the execution on its event
        LOG.exception("could not describe execution %s for its event", execution.exec_arn)
        return
    emit(
        "aws.states",
        "Step Functions Execution Status Change",
        detail,
        [execution.exec_arn],
        account_id=execution.account_id,
        region=execution.region_name,
    )
