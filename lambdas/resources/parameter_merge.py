"""Custom::ParameterMerge: merge the `Parameters` stack parameter over the stored parameter
document on create and update (a shallow merge, its keys win), after validating the result.
What is stored is the merged document as given (the template seeds the framework only); the
defaults are filled by `parse_config` when a run starts, never written here.

An invalid result fails the deployment with a reason naming every bad key, and nothing is
written, so nothing is lost. Delete does nothing (the parameter belongs to the stack).

Properties: `ParameterName`, `Parameters` (a JSON object as text), `Framework`.
Physical id: the parameter name.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from domain.aws import read_json_parameter, write_json_parameter
from domain.clients import client
from domain.config import parse_config
from domain.errors import InvalidParameters, ParameterTooLarge, UnsupportedConfiguration

from resources._helper import new_helper

logger = Logger()
helper = new_helper()


class ParametersRejected(Exception):
    """The merged document is invalid; the message lists every problem (the stack's reason)."""


def parse_overrides(text: Any) -> dict[str, Any]:
    """The `Parameters` stack parameter as a JSON object ("" counts as {})."""
    if isinstance(text, dict):
        return text
    if text is None or not str(text).strip():
        return {}
    try:
        value = json.loads(str(text))
    except ValueError as error:
        raise ParametersRejected(f"Parameters is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise ParametersRejected(
            f"Parameters must be a JSON object, got {type(value).__name__}: {str(text)[:60]}"
        )
    return value


def merge_parameters(
    parameter_name: str, overrides: dict[str, Any], framework: str
) -> dict[str, Any]:
    """Merge, validate and store; returns the stored document. Raises ParametersRejected."""
    current = read_json_parameter(client, parameter_name)
    merged = {**current, **overrides}
    try:
        parse_config(merged, framework)
    except InvalidParameters as error:
        raise ParametersRejected(
            f"Parameters rejected ({len(error.problems)} problems): " + "; ".join(error.problems)
        ) from error
    except UnsupportedConfiguration as error:
        raise ParametersRejected(f"Parameters rejected: {error}") from error
    if merged != current:
        try:  # Advanced tier when the document is over 4,096 characters (domain.aws)
            write_json_parameter(client, parameter_name, merged)
        except ParameterTooLarge as error:
            raise ParametersRejected(f"Parameters rejected: {error}") from error
    return merged


@helper.create
@helper.update
def create(event: dict[str, Any], context: Any) -> str:
    properties = event["ResourceProperties"]
    name = str(properties["ParameterName"])
    overrides = parse_overrides(properties.get("Parameters"))
    try:
        merge_parameters(name, overrides, str(properties.get("Framework") or ""))
    except ParametersRejected as error:
        logger.error("parameters rejected", extra={"parameter": name, "reason": str(error)})
        raise
    logger.info("parameters merged", extra={"parameter": name, "keys": sorted(overrides)})
    return name


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    """Nothing to undo: CloudFormation deletes the parameter itself."""


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
