"""The one place that builds a crhelper `CfnResource` the way every custom resource wants it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from crhelper import CfnResource


def new_helper() -> CfnResource:
    """A crhelper resource: plain logs, and no 2-minute sleep before answering a Delete (the
    sleep lets CloudWatch Logs catch up; these functions' logs are not deleted with them)."""
    return CfnResource(json_logging=False, log_level="INFO", boto_level="ERROR", sleep_on_delete=0)


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def serve_emptying(
    helper: CfnResource, logger: Logger, name_property: str, empty: Callable[[str], int], noun: str
) -> None:
    """Wire a `Custom::Empty*` resource on `helper`: Create and Update only name the resource
    (the `name_property` value is the physical id); Delete empties it with `empty(name)`, which
    returns how many items it deleted, and logs that under the key `noun`."""

    def name(event: dict[str, Any], context: Any) -> str:
        return str(event["ResourceProperties"][name_property])

    def delete(event: dict[str, Any], context: Any) -> None:
        resource = name(event, context)
        count = empty(resource)
        logger.info(f"{noun} emptied", extra={noun: resource, "deleted": count})

    helper.create(name)
    helper.update(name)
    helper.delete(delete)
