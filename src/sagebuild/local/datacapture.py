"""Endpoint data capture for the local SageMaker: what SageMaker writes, where, as whom.

With `DataCaptureConfig.EnableCapture`, SageMaker samples `InitialSamplingPercentage` % of the
invocations and writes each as one JSON line to
`{DestinationS3Uri}/{EndpointName}/{VariantName}/yyyy/mm/dd/hh/{mm-ss-fff}-{uuid}.jsonl`,
as the model's execution role (SageMaker Developer Guide, "Capture data from real-time
endpoint" and "View collected data"). A line:

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
     "data": "5.1,3.5,1.4,0.2", "encoding": "CSV"}, "endpointOutput": {...}},
     "eventMetadata": {"eventId": "…", "inferenceTime": "2026-12-02T14:00:00Z"},
     "eventVersion": "0"}

Content types listed in `CaptureContentTypeHeader.CsvContentTypes` / `JsonContentTypes` are
stored as text with encoding CSV / JSON, anything else base64 (encoding BASE64). Locally each
captured invocation is its own object (SageMaker batches a few minutes of them per file).
"""

from __future__ import annotations

import base64
import datetime
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

from sagebuild.local import s3sync


@dataclass(frozen=True)
class Capture:
    destination: str  # DestinationS3Uri
    sampling_percentage: float
    modes: frozenset[str]  # {"Input", "Output"}
    csv_types: frozenset[str]
    json_types: frozenset[str]
    role_arn: str


def settings(account: str, region: str, endpoint: str, variant: str) -> Capture | None:
    """The capture settings of the config serving `variant` of `endpoint` (None: no capture)."""
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[account][region]
    found = backend.endpoints.get(endpoint)
    if found is None:
        return None
    configs = [backend.endpoint_configs.get(found.endpoint_config_name)]
    configs += list(backend.endpoint_configs.values())
    for config in configs:
        if config is None:
            continue
        names = {v.get("VariantName"): v for v in config.production_variants or []}
        if variant not in names:
            continue
        capture = config.data_capture_config or {}
        if not capture.get("EnableCapture"):
            return None
        model = backend._models.get(str(names[variant].get("ModelName")))
        header = capture.get("CaptureContentTypeHeader") or {}
        return Capture(
            destination=str(capture.get("DestinationS3Uri", "")).rstrip("/"),
            sampling_percentage=float(capture.get("InitialSamplingPercentage", 100)),
            modes=frozenset(o.get("CaptureMode") for o in capture.get("CaptureOptions") or []),
            csv_types=frozenset(header.get("CsvContentTypes") or []),
            json_types=frozenset(header.get("JsonContentTypes") or []),
            role_arn=str(getattr(model, "execution_role_arn", "") or ""),
        )
    return None


def _encode(capture: Capture, content_type: str, data: bytes, mode: str) -> dict[str, str]:
    base = content_type.split(";", 1)[0].strip()
    if base in capture.csv_types or base in capture.json_types:
        return {
            "observedContentType": content_type,
            "mode": mode,
            "data": data.decode("utf-8", errors="replace"),
            "encoding": "CSV" if base in capture.csv_types else "JSON",
        }
    return {
        "observedContentType": content_type,
        "mode": mode,
        "data": base64.b64encode(data).decode(),
        "encoding": "BASE64",
    }


def record(
    capture: Capture,
    request: tuple[str, bytes],
    response: tuple[str, bytes],
    now: datetime.datetime,
    event_id: str,
) -> dict[str, Any]:
    """One capture line (pure)."""
    data: dict[str, Any] = {}
    if "Input" in capture.modes:
        data["endpointInput"] = _encode(capture, request[0], request[1], "INPUT")
    if "Output" in capture.modes:
        data["endpointOutput"] = _encode(capture, response[0], response[1], "OUTPUT")
    return {
        "captureData": data,
        "eventMetadata": {
            "eventId": event_id,
            "inferenceTime": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
        },
        "eventVersion": "0",
    }


def object_uri(capture: Capture, endpoint: str, variant: str, now: datetime.datetime) -> str:
    stamp = now.strftime("%Y/%m/%d/%H")
    name = f"{now.strftime('%M-%S-')}{now.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
    return f"{capture.destination}/{endpoint}/{variant}/{stamp}/{name}"


def capture_invocation(
    account: str,
    region: str,
    endpoint: str,
    variant: str,
    request: tuple[str, bytes],
    response: tuple[str, bytes],
) -> str | None:
    """Write one invocation if the endpoint captures it; returns the object URI written.

    Raises `s3sync.S3Error` when the model's role may not write there (SageMaker then logs
    the failure; the invocation itself still succeeds).
    """
    capture = settings(account, region, endpoint, variant)
    if capture is None or random.uniform(0, 100) >= capture.sampling_percentage:
        return None
    now = datetime.datetime.now(datetime.UTC)
    line = record(capture, request, response, now, str(uuid.uuid4()))
    uri = object_uri(capture, endpoint, variant, now)
    role = s3sync.ActingRole(capture.role_arn, "SageMaker") if capture.role_arn else None
    s3sync.put_bytes(uri, (json.dumps(line) + "\n").encode(), role)
    return uri


__all__ = ["Capture", "capture_invocation", "object_uri", "record", "settings"]
