"""User errors of the CLI and their one-line messages (never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class UserError(Exception):
    """Something the user can fix: shown as one line on stderr, exit code 2."""


def read_json(path: Path, what: str) -> Any:
    """The JSON document in `path` (`what` it should be, for the message when it nests too
    deeply); a UserError when it cannot be read or is not JSON."""
    try:
        return json.loads(Path(path).read_text())
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from error
    except ValueError as error:
        raise UserError(f"{path} is not JSON: {error}") from error
    except RecursionError:
        raise UserError(f"{path} is not {what}: nested too deeply") from None


def one_line(error: BaseException) -> str | None:
    """The one line for a known exception, or None for a bug (which keeps its traceback)."""
    import botocore.exceptions as bx

    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, bx.NoCredentialsError | bx.PartialCredentialsError):
        return (
            "AWS credentials not found: configure them (aws configure, AWS_PROFILE) "
            "or use the local stack (sagebuild local up)"
        )
    if isinstance(error, bx.ProfileNotFound):
        return f"AWS profile not found: {error.kwargs.get('profile', '')}"
    if isinstance(error, bx.NoRegionError):
        return "no AWS region: pass --region or set AWS_REGION"
    if isinstance(error, bx.EndpointConnectionError):
        return f"cannot reach {error.kwargs.get('endpoint_url', 'the endpoint')}: is it running?"
    if isinstance(error, bx.ClientError):
        info: dict[str, Any] = error.response.get("Error", {})
        operation = getattr(error, "operation_name", "") or "AWS"
        return f"{operation} failed: {info.get('Code', '?')}: {info.get('Message', '')}".strip()
    if isinstance(error, bx.BotoCoreError):
        return f"AWS error: {error}"
    if type(error).__name__ in ("DeployError", "LocalStackError"):  # the local stack's own
        return str(error)
    return None
