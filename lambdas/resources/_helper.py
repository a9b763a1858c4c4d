"""The one place that builds a crhelper `CfnResource` the way every custom resource wants it."""

from __future__ import annotations

from crhelper import CfnResource


def new_helper() -> CfnResource:
    """A crhelper resource: plain logs, and no 2-minute sleep before answering a Delete (the
    sleep lets CloudWatch Logs catch up; these functions' logs are not deleted with them)."""
    return CfnResource(json_logging=False, log_level="INFO", boto_level="ERROR", sleep_on_delete=0)


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
