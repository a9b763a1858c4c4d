"""The local stack as a background service: `python -m sagebuild.local.server`.

Starts `LocalStack(mode="server")` (moto on 127.0.0.1:<port>, every extension, the stack
deployed), then writes into `--state-dir`:

- `server.pid`   the process id (written first),
- `outputs.json` the stack's outputs, `endpoint` the endpoint URL, `stack_name` its name,
- `notebook-credentials.json` when the stack has a notebook instance (NoteBookInstanceType):
  the notebook role's credentials, which the notebooks use (`sagebuild.notebook`),
- `server.port`  the port, written LAST (atomically): its presence means "ready".

SIGTERM or SIGINT deletes the stack, stops the server and removes the pid and port files;
the exit code is 0 when everything stopped cleanly. A failed start writes `error.txt`.
SIGUSR1 writes the IAM ledger to `iam-report.json` (`sagebuild local iam`); the server also
writes it when it stops.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from sagebuild.local.stack import DEFAULT_TEMPLATE, LocalStack

PID_FILE = "server.pid"
PORT_FILE = "server.port"
OUTPUTS_FILE = "outputs.json"
ENDPOINT_FILE = "endpoint"
ERROR_FILE = "error.txt"
IAM_REPORT_FILE = "iam-report.json"
NOTEBOOK_CREDENTIALS_FILE = "notebook-credentials.json"
STACK_NAME_FILE = "stack_name"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _parameters(pairs: list[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--parameter expects Key=Value, got {pair!r}")
        parameters[key] = value
    return parameters


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sagebuild.local.server", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = free)")
    parser.add_argument("--state-dir", type=Path, required=True, help="pid/port/outputs files")
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--no-template", action="store_true", help="start AWS, deploy nothing")
    parser.add_argument("--stack-name", default="sagebuild")
    parser.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument(
        "--no-local-services",
        action="store_true",
        help="without local SageMaker/CodeBuild (moto's canned behaviour)",
    )
    parser.add_argument(
        "--fast-waits",
        action="store_true",
        help="Wait states and Retry intervals do not wait (tests)",
    )
    return parser.parse_args(argv)


def _report_on_request(stack: LocalStack, path: Path, wanted: threading.Event) -> None:
    while True:
        wanted.wait()
        wanted.clear()
        if not stack.deployed and not stack.outputs:
            return
        try:
            stack.write_iam_report(path)
        except Exception:  # noqa: BLE001 - a report that fails must not stop the server
            logging.getLogger(__name__).exception("could not write the IAM report")


def serve(
    args: argparse.Namespace, stop: threading.Event, report: threading.Event | None = None
) -> int:
    """Run until `stop` is set; returns the exit code."""
    state_dir: Path = args.state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    for name in (PORT_FILE, ERROR_FILE, OUTPUTS_FILE, ENDPOINT_FILE, NOTEBOOK_CREDENTIALS_FILE):
        (state_dir / name).unlink(missing_ok=True)
    _write(state_dir / PID_FILE, str(os.getpid()))
    stack = LocalStack(
        None if args.no_template else args.template,
        stack_name=args.stack_name,
        parameters=_parameters(args.parameter),
        mode="server",
        port=args.port,
        work_dir=args.work_dir or state_dir / "work",
        local_services=not args.no_local_services,
        fast_waits=args.fast_waits,
        iam_report_path=state_dir / IAM_REPORT_FILE,
    )
    code = 0
    try:
        stack.start()
    except BaseException:  # noqa: BLE001 - reported to the state dir and the exit code
        _write(state_dir / ERROR_FILE, traceback.format_exc())
        (state_dir / PID_FILE).unlink(missing_ok=True)
        return 1
    try:
        _write(state_dir / OUTPUTS_FILE, json.dumps(stack.outputs, indent=2, sort_keys=True))
        _write(state_dir / ENDPOINT_FILE, str(stack.endpoint_url))
        _write(state_dir / STACK_NAME_FILE, stack.stack_name)
        notebook = stack.notebook_credentials()
        if notebook is not None:
            _write(state_dir / NOTEBOOK_CREDENTIALS_FILE, json.dumps(notebook))
        _write(state_dir / PORT_FILE, str(stack.port))
        logging.getLogger(__name__).info("local stack ready at %s", stack.endpoint_url)
        if report is not None:
            threading.Thread(
                target=_report_on_request,
                args=(stack, state_dir / IAM_REPORT_FILE, report),
                name="iam-report",
                daemon=True,
            ).start()
        stop.wait()
    finally:
        (state_dir / PORT_FILE).unlink(missing_ok=True)
        (state_dir / NOTEBOOK_CREDENTIALS_FILE).unlink(missing_ok=True)
        try:
            stack.stop()
        except Exception:  # noqa: BLE001
            _write(state_dir / ERROR_FILE, traceback.format_exc())
            code = 1
        (state_dir / PID_FILE).unlink(missing_ok=True)
    return code


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parse_args(argv)
    stop = threading.Event()
    report = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    def on_report(_signum: int, _frame: Any) -> None:
        report.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGUSR1, on_report)
    return serve(args, stop, report)


if __name__ == "__main__":
    sys.exit(main())
