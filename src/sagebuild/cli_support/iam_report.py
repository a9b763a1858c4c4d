"""`sagebuild local iam`: the local stack's IAM ledger, fetched from the running server.

The server writes `iam-report.json` into its state dir on SIGUSR1 and when it stops
(`sagebuild.local.server`); this module asks for a fresh one and renders it.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from rich.table import Table

REPORT_FILE = "iam-report.json"


class NoReport(RuntimeError):
    """Neither a running local stack nor a report it left behind."""


def fetch(state_dir: Path, timeout: float = 15.0) -> dict[str, Any]:
    """A fresh report from the running server, or the one it wrote when it last stopped."""
    from sagebuild.cli_support.aws import read_server

    path = Path(state_dir) / REPORT_FILE
    server = read_server(Path(state_dir))
    if server is None:
        if path.is_file():
            return dict(json.loads(path.read_text(encoding="utf-8")), running=False)
        raise NoReport(
            f"the local stack is not running ({state_dir}) and left no IAM report: "
            "start it with `sagebuild local up`"
        )
    before = path.stat().st_mtime_ns if path.is_file() else 0
    os.kill(server.pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.stat().st_mtime_ns != before:
            return dict(json.loads(path.read_text(encoding="utf-8")), running=True)
        time.sleep(0.1)
    raise NoReport(
        f"the local stack (pid {server.pid}) did not write {path} within {timeout:.0f} s"
    )


def render(report: dict[str, Any]) -> Table:
    table = Table(
        title=f"IAM in the local stack ({report.get('dataset', 'dataset unknown')}): "
        f"{report.get('role_action_pairs', 0)} (role, action) pairs, "
        f"{report.get('denials', 0)} denials",
        show_lines=False,
    )
    from sagebuild.local.iam.figures import logical

    table.add_column("role (logical id)", no_wrap=True)
    table.add_column("action", no_wrap=True)
    table.add_column("resources", overflow="fold")
    table.add_column("calls", justify="right")
    table.add_column("denied")
    for role_arn, role in sorted(report.get("roles", {}).items()):
        name = logical(role_arn.rsplit("/", 1)[-1])
        by_action: dict[str, dict[str, Any]] = {}
        for call in role.get("calls", []):
            entry = by_action.setdefault(call["action"], {"resources": set(), "count": 0})
            entry["resources"].add(call["resource"])
            entry["count"] += call["count"]
        denied = {d["action"] for d in role.get("denials", [])}
        for action, entry in sorted(by_action.items()):
            resources = sorted(entry["resources"])
            shown = resources[0] + (f" (+{len(resources) - 1})" if len(resources) > 1 else "")
            table.add_row(
                name, action, shown, str(entry["count"]), "DENIED" if action in denied else ""
            )
    return table


__all__ = ["NoReport", "fetch", "render"]
