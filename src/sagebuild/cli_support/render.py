"""What the CLI prints: rich tables and panels for people, JSON for scripts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

STATUS_STYLES = {
    "SUCCEEDED": "green",
    "RUNNING": "blue",
    "FAILED": "red",
    "TIMED_OUT": "red",
    "ABORTED": "yellow",
    "PENDING_REDRIVE": "yellow",
}


def print_json(data: Any) -> None:
    """JSON on stdout, nothing else (for scripts)."""
    print(json.dumps(data, indent=2, sort_keys=True, default=str))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def elapsed_since(start: Any, stop: Any = None) -> float | None:
    if not isinstance(start, datetime):
        return None
    end = stop if isinstance(stop, datetime) else datetime.now(start.tzinfo or UTC)
    return max(0.0, (end - start).total_seconds())


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


def key_values(title: str, values: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left", box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in values.items():
        table.add_row(key, str(value))
    return table


def metrics_text(metrics: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_number(v)}" for k, v in metrics.items())


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def history_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Runs (newest first)", title_justify="left")
    for column in ("version", "status", "started", "duration"):
        table.add_column(column, no_wrap=True)
    for column in ("run", "trigger", "metrics", "endpoint config"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            f"v{row['version']}" if row.get("version") else "-",
            status_text(row["status"]),
            row["started_at"][:16].replace("T", " "),
            duration(row.get("duration_seconds")),
            row["run"],
            row.get("trigger", ""),
            metrics_text(row.get("metrics") or {}),
            row.get("endpoint_config", "") or "-",
        )
    return table


def status_view(view: dict[str, Any]) -> Panel:
    """The live view of a run (see `sagebuild status`)."""
    lines = Table.grid(padding=(0, 2))
    lines.add_column(style="bold")
    lines.add_column(overflow="fold")
    lines.add_row("run", view["run"])
    lines.add_row("status", status_text(view["status"]))
    if view.get("version"):
        lines.add_row("version", f"v{view['version']}")
    lines.add_row("elapsed", duration(view.get("elapsed_seconds")))
    if view.get("trigger"):
        lines.add_row("trigger", view["trigger"])
    if view.get("current_state"):
        lines.add_row("state", Text(view["current_state"], style="blue"))
    path = view.get("path") or []
    shown = path if len(path) <= 12 else ["…", *path[-11:]]
    lines.add_row("path", " → ".join(shown))
    job = view.get("job")
    if job:
        detail = " ".join(str(x) for x in (job.get("service_status"), job.get("detail")) if x)
        lines.add_row(job["kind"], f"{job['name']} {detail}".strip())
        if job.get("metric"):
            lines.add_row("metric", metrics_text(job["metric"]))
    if view.get("error"):
        lines.add_row("error", Text(view["error"], style="red"))
    return Panel(Group(lines), title="sagebuild run", title_align="left")
