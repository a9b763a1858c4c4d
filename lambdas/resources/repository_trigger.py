"""Custom::RepositoryTrigger: pushes to one CodeCommit branch publish to the LaunchTopic.

Create/Update add (or replace) our trigger beside the repository's other triggers; Delete
removes only ours. Only branch pushes count (create and update of the reference), not branch
deletion.

Properties: `RepositoryName`, `Branch`, `TopicArn`, `TriggerName`.
Physical id: `<repository>/<trigger name>`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from domain.clients import client

from resources._helper import error_code, new_helper

logger = Logger()
helper = new_helper()

EVENTS = ["createReference", "updateReference"]
_GONE = {"RepositoryDoesNotExistException"}


def _triggers(repository: str) -> list[dict[str, Any]]:
    return list(client("codecommit").get_repository_triggers(repositoryName=repository)["triggers"])


def put_trigger(repository: str, name: str, branch: str, topic_arn: str) -> list[dict[str, Any]]:
    """Add or replace our trigger; returns the repository's triggers.

    https://docs.aws.amazon.com/codecommit/latest/APIReference/API_PutRepositoryTriggers.html
    """
    ours = {"name": name, "destinationArn": topic_arn, "branches": [branch], "events": EVENTS}
    triggers = [t for t in _triggers(repository) if t["name"] != name] + [ours]
    client("codecommit").put_repository_triggers(repositoryName=repository, triggers=triggers)
    return triggers


def remove_trigger(repository: str, name: str) -> bool:
    """Remove our trigger; False when the repository or the trigger is already gone."""
    try:
        current = _triggers(repository)
    except ClientError as error:
        if error_code(error) in _GONE:
            return False
        raise
    remaining = [t for t in current if t["name"] != name]
    if len(remaining) == len(current):
        return False
    client("codecommit").put_repository_triggers(repositoryName=repository, triggers=remaining)
    return True


@helper.create
@helper.update
def create(event: dict[str, Any], context: Any) -> str:
    properties = event["ResourceProperties"]
    repository, name = str(properties["RepositoryName"]), str(properties["TriggerName"])
    put_trigger(repository, name, str(properties["Branch"]), str(properties["TopicArn"]))
    logger.info("repository trigger set", extra={"repository": repository, "trigger": name})
    return f"{repository}/{name}"


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    properties = event["ResourceProperties"]
    repository, name = str(properties["RepositoryName"]), str(properties["TriggerName"])
    removed = remove_trigger(repository, name)
    logger.info(
        "repository trigger removed", extra={"repository": repository, "was_there": removed}
    )


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
