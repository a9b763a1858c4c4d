"""Where the CLI talks to: the local stack (state dir with a live server) or AWS.

`resolve_target` turns the global options into a `Target`: one boto3 session, the endpoint
URL (the local server's, or an explicit one), the stack name and its outputs. Against the local
stack the credentials are dummies, so nothing can reach real AWS.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagebuild.cli_support.errors import UserError

DEFAULT_STACK = "sagebuild"
DEFAULT_STATE_DIR = Path(".sagebuild/local")
LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def state_dir_default() -> Path:
    return Path(os.environ.get("SAGEBUILD_STATE_DIR") or DEFAULT_STATE_DIR)


def stack_default() -> str:
    return os.environ.get("SAGEBUILD_STACK") or DEFAULT_STACK


@dataclass(frozen=True)
class LocalServer:
    """What the local server writes to `<state dir>/server.json` once it is ready."""

    pid: int
    port: int
    endpoint_url: str
    stack: str


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_server(state_dir: Path) -> LocalServer | None:
    """The running local server of `state_dir`, or None (not ready, unreadable or dead pid).

    Reads `server.json` ({"pid","port","endpoint_url","stack"}) if present, else the files of
    `sagebuild.local.server`: `server.pid`, `server.port` (written last: "ready"), `endpoint`
    and `stack_name` (written by `sagebuild local up`).
    """
    state_dir = Path(state_dir)
    try:
        if (state_dir / "server.json").is_file():
            data = json.loads((state_dir / "server.json").read_text())
        else:
            port = int((state_dir / "server.port").read_text().strip())
            endpoint = state_dir / "endpoint"
            stack = state_dir / "stack_name"
            data = {
                "pid": int((state_dir / "server.pid").read_text().strip()),
                "port": port,
                "endpoint_url": endpoint.read_text().strip()
                if endpoint.is_file()
                else f"http://127.0.0.1:{port}",
                "stack": stack.read_text().strip() if stack.is_file() else stack_default(),
            }
        server = LocalServer(
            int(data["pid"]), int(data["port"]), str(data["endpoint_url"]), str(data["stack"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return server if pid_alive(server.pid) else None


@dataclass
class Target:
    """One place the CLI works on: a session, an optional endpoint URL and a stack."""

    stack: str
    region: str
    local: bool = False
    endpoint_url: str | None = None
    profile: str | None = None
    state_dir: Path = field(default_factory=state_dir_default)
    _session: Any = None
    _clients: dict[str, Any] = field(default_factory=dict)
    _outputs: dict[str, str] | None = None

    @property
    def where(self) -> str:
        if self.local:
            return f"on the local stack ({self.endpoint_url})"
        if self.endpoint_url:
            return f"at {self.endpoint_url}"
        return f"in {self.region}"

    def session(self) -> Any:
        if self._session is None:
            import boto3

            if self.local:
                self._session = boto3.Session(region_name=self.region, **LOCAL_CREDENTIALS)
            else:
                self._session = boto3.Session(profile_name=self.profile, region_name=self.region)
        return self._session

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session().client(
                service, endpoint_url=self.endpoint_url, region_name=self.region
            )
        return self._clients[service]

    def stack_description(self) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            stacks = self.client("cloudformation").describe_stacks(StackName=self.stack)["Stacks"]
        except ClientError as error:
            if "does not exist" in str(error):
                return None
            raise
        return stacks[0] if stacks else None

    def outputs(self) -> dict[str, str]:
        if self._outputs is None:
            stack = self.stack_description()
            if stack is None or stack.get("StackStatus") == "DELETE_COMPLETE":
                raise UserError(f"stack {self.stack} not found {self.where}")
            self._outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
        return self._outputs

    def output(self, name: str) -> str:
        outputs = self.outputs()
        value = outputs.get(name, "")
        if not value or value == "EMPTY":
            raise UserError(f"stack {self.stack} has no {name} output {self.where}")
        return value


def resolve_target(
    *,
    stack: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    local: bool | None = None,
    state_dir: Path | None = None,
) -> Target:
    """The target of a command from the global options.

    `local=None` means: the local stack if its server is running, else AWS. An explicit
    `--endpoint-url` wins over the server's URL (and still uses dummy credentials if local).
    """
    state_dir = Path(state_dir) if state_dir else state_dir_default()
    server = read_server(state_dir) if local is not False else None
    if local is True and server is None and not endpoint_url:
        raise UserError(
            f"the local stack is not running (no live server in {state_dir}); "
            "start it with: sagebuild local up"
        )
    use_local = bool(server) or (local is True)
    if use_local:
        return Target(
            stack=stack or (server.stack if server else None) or stack_default(),
            region=region or LOCAL_REGION,
            local=True,
            endpoint_url=endpoint_url or (server.endpoint_url if server else None),
            state_dir=state_dir,
        )
    if not region:
        region = _session_region(profile)
    return Target(
        stack=stack or stack_default(),
        region=region,
        local=False,
        endpoint_url=endpoint_url,
        profile=profile,
        state_dir=state_dir,
    )


def _session_region(profile: str | None) -> str:
    import boto3

    region = boto3.Session(profile_name=profile).region_name
    if not region:
        raise UserError("no AWS region: pass --region or set AWS_REGION")
    return str(region)
