"""Custom::EmptyImageRepository: on Delete, remove every image of the stack's ECR repository so
that CloudFormation can delete it. Create and Update do nothing but name the repository.

Properties: `RepositoryName`. Physical id: the repository name.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from domain.clients import client

from resources._helper import error_code, new_helper, serve_emptying

logger = Logger()
helper = new_helper()

_BATCH = 100  # BatchDeleteImage limit


def empty_repository(repository: str) -> int:
    """Delete every image (tagged or not); returns how many. A missing repository is empty.

    https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html
    """
    ecr = client("ecr")
    try:
        digests = sorted(
            {
                image["imageDigest"]
                for page in ecr.get_paginator("list_images").paginate(repositoryName=repository)
                for image in page.get("imageIds", [])
                if "imageDigest" in image
            }
        )
        for start in range(0, len(digests), _BATCH):
            batch = [{"imageDigest": digest} for digest in digests[start : start + _BATCH]]
            response = ecr.batch_delete_image(repositoryName=repository, imageIds=batch)
            failures = [
                f for f in response.get("failures", []) if f.get("failureCode") != "ImageNotFound"
            ]
            if failures:
                raise RuntimeError(
                    f"could not delete {len(failures)} images from {repository}, e.g. "
                    f"{failures[0].get('failureCode')}: {failures[0].get('failureReason')}"
                )
    except ClientError as error:
        if error_code(error) == "RepositoryNotFoundException":
            logger.info("repository already gone", extra={"repository": repository})
            return 0
        raise
    return len(digests)


serve_emptying(helper, logger, "RepositoryName", empty_repository, "repository")


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
