"""Custom::EmptyBucket: on Delete, remove every object version and delete marker of a bucket so
that CloudFormation can delete it. Create and Update do nothing but name the bucket.

Properties: `BucketName`. Physical id: the bucket name.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from domain.clients import client

from resources._helper import error_code, new_helper, serve_emptying

logger = Logger()
helper = new_helper()

_GONE = {"NoSuchBucket"}
_BATCH = 1000  # DeleteObjects limit


def empty_bucket(bucket: str) -> int:
    """Delete every object version and delete marker; returns how many were deleted.

    A bucket that no longer exists counts as empty.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
    """
    s3 = client("s3")
    deleted = 0
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            keys = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            for start in range(0, len(keys), _BATCH):
                batch = keys[start : start + _BATCH]
                response = s3.delete_objects(
                    Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
                )
                errors = response.get("Errors", [])
                if errors:
                    first = errors[0]
                    raise RuntimeError(
                        f"could not delete {len(errors)} objects from {bucket}, e.g. "
                        f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                    )
                deleted += len(batch)
    except ClientError as error:
        if error_code(error) in _GONE:
            logger.info("bucket already gone", extra={"bucket": bucket})
            return deleted
        raise
    return deleted


serve_emptying(helper, logger, "BucketName", empty_bucket, "bucket")


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
