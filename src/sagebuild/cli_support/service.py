"""The local stack as a background service: start, stop and look at `sagebuild.local.server`.

`start_server` spawns `python -m sagebuild.local.server` in its own session with its output in
`<state dir>/server.log`, and waits until the server says it is ready (its port file) or dies
(its `error.txt`). `stop_server` sends SIGTERM and waits for the process to end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sagebuild.cli_support.aws import LocalServer, pid_alive, read_server
from sagebuild.cli_support.errors import UserError

LOG_FILE = "server.log"


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def start_server(
    state_dir: Path,
    stack: str,
    *,
    template: Path | None = None,
    parameters: dict[str, str] | None = None,
    timeout: float = 300.0,
    extra_args: list[str] | None = None,
) -> tuple[LocalServer, bool]:
    """Start the local stack (or find it running); (server, started now)."""
    state_dir = Path(state_dir)
    running = read_server(state_dir)
    if running is not None:
        return running, False
    state_dir.mkdir(parents=True, exist_ok=True)
    for name in ("server.json", "error.txt", "server.port"):
        (state_dir / name).unlink(missing_ok=True)
    (state_dir / "stack_name").write_text(stack)
    command = [
        sys.executable,
        "-m",
        "sagebuild.local.server",
        "--port",
        "0",
        "--state-dir",
        str(state_dir.resolve()),
        "--stack-name",
        stack,
    ]
    if template is not None:
        command += ["--template", str(Path(template).resolve())]
    for key, value in (parameters or {}).items():
        command += ["--parameter", f"{key}={value}"]
    command += extra_args or []
    log_path = state_dir / LOG_FILE
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own module, our own interpreter
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = read_server(state_dir)
        if server is not None and server.pid == process.pid:
            return server, True
        if process.poll() is not None:
            error = _tail(state_dir / "error.txt") or _tail(log_path)
            raise UserError(
                f"the local stack failed to start: {_last_line(error) or 'no error recorded'} "
                f"(see {log_path})"
            )
        time.sleep(0.25)
    process.terminate()
    raise UserError(f"the local stack did not become ready in {timeout:.0f} s (see {log_path})")


def stop_server(state_dir: Path, timeout: float = 120.0) -> bool:
    """SIGTERM the running server and wait until it is gone; False if none was running."""
    server = read_server(state_dir)
    if server is None:
        return False
    os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(server.pid) and time.monotonic() < deadline:
        _reap(server.pid)
        time.sleep(0.2)
    if pid_alive(server.pid):
        raise UserError(f"the local stack (pid {server.pid}) did not stop in {timeout:.0f} s")
    (Path(state_dir) / "server.json").unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    """Collect our own child's exit status so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def outputs(state_dir: Path) -> dict[str, str]:
    """The stack outputs the server recorded at start (`outputs.json`)."""
    try:
        data = json.loads((Path(state_dir) / "outputs.json").read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
