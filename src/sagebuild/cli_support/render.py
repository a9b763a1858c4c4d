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


def _clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _listing(title: str) -> Table:
    """An empty table of one row per item, its title on the left, underlined headers."""
    return Table(
        title=title, title_justify="left", box=None, pad_edge=False, header_style="bold underline"
    )


def history_table(rows: list[dict[str, Any]], width: int = 100) -> Table:
    """Past runs, one line each, fitting `width` columns (details: `history --json`)."""
    from sagebuild.cli_support.runs import short_name

    rest = max(24, min(width, 120) - 56)  # 56: the fixed columns and the gaps
    result_width = max(15, min(30, rest * 11 // 20))
    trigger_width = rest - result_width
    table = _listing("Runs (newest first)")
    table.add_column("#/ver", no_wrap=True, width=7)
    table.add_column("status", no_wrap=True, width=9)
    table.add_column("started", no_wrap=True, width=11)
    table.add_column("took", no_wrap=True, justify="right", width=5)
    table.add_column("run", no_wrap=True, width=12)
    table.add_column("trigger", no_wrap=True, overflow="ellipsis", width=trigger_width)
    table.add_column("result", no_wrap=True, overflow="ellipsis", width=result_width)
    for row in rows:
        metrics = metrics_text(row.get("metrics") or {})
        if row.get("status") == "SUCCEEDED" or (metrics and not row.get("error")):
            result = Text(_clip(metrics or "-", result_width))
        else:
            result = Text(_clip(row.get("error") or "-", result_width), style="red")
        table.add_row(
            f"{row.get('run_number') or '-'}/"
            + (f"v{row['version']}" if row.get("version") else "-"),
            status_text(row["status"]),
            row["started_at"][5:16].replace("T", " "),
            _short_duration(row.get("duration_seconds")),
            short_name(row["run"]),
            _clip(row.get("trigger", ""), trigger_width),
            result,
        )
    return table


def failed_triggers_table(rows: list[dict[str, Any]], width: int = 100) -> Table:
    """Triggers that started no run, newest first (the bodies in full: `--json`)."""
    rest = max(30, min(width, 140) - 32)
    table = _listing("Failed triggers (newest first)")
    table.add_column("arrived", no_wrap=True, width=11)
    table.add_column("source", no_wrap=True, width=17)
    table.add_column("reason", overflow="fold", width=rest * 2 // 3)
    table.add_column("body", no_wrap=True, overflow="ellipsis", width=rest - rest * 2 // 3)
    for row in rows:
        table.add_row(
            row["arrived_at"][5:16].replace("T", " "),
            row["source"],
            row["reason"],
            _clip(row["body"], rest - rest * 2 // 3),
        )
    return table


def _short_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def status_view(view: dict[str, Any]) -> Panel:
    """The view of a run (see `sagebuild status`): where it is, its job, metric and error."""
    lines = Table.grid(padding=(0, 2))
    lines.add_column(style="bold")
    lines.add_column(overflow="fold")
    number = f" (run {view['run_number']})" if view.get("run_number") else ""
    lines.add_row("run", view["run"] + number)
    lines.add_row("status", status_text(view["status"]))
    lines.add_row("version", f"v{view['version']}" if view.get("version") else "-")
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
        status = job.get("service_status") or job.get("status") or ""
        detail = " ".join(str(x) for x in (status, job.get("detail")) if x)
        lines.add_row(job["kind"].replace("_", " "), f"{job['name']} {detail}".strip())
    metric = view.get("metric") or (job or {}).get("metric")
    if metric:
        lines.add_row("metric", metrics_text(metric))
    if view.get("error"):
        lines.add_row("error", Text(view["error"], style="red bold"))
    if view.get("cause"):
        cause = view["cause"].strip().splitlines()
        shown_cause = cause if len(cause) <= 12 else ["…", *cause[-11:]]
        lines.add_row("cause", Text("\n".join(shown_cause), style="red"))
    return Panel(Group(lines), title="sagebuild run", title_align="left")
