"""In-process Lambda runner: real handler code for every moto Lambda path, without Docker.

Replaces `moto.awslambda.models.LambdaFunction._invoke_lambda` (moto runs the code in a Docker
container; without Docker every invocation fails with "error running docker"). Every moto path
funnels into that method: direct Invoke, Step Functions Task states, SNS -> Lambda,
S3 notifications -> Lambda, CloudFormation custom resources.

How a function runs here, like a Lambda container:
- its code zip is unzipped once per distinct sha256 into a cache directory;
- each function (ARN + version + code sha) gets its OWN instances of the zip's modules (a "cold
  start"), loaded with the zip's top-level names swapped out of `sys.modules` under a lock, so
  two zips (or two functions of one zip) never share module state such as cached settings or
  clients; the previous `sys.modules` entries are restored afterwards;
- its environment is an overlay on `os.environ` visible only to the invoking thread (see
  `ThreadEnviron` in `lambda_environ`), so parallel states never see each other's variables;
- errors come back as Lambda reports them (`errorMessage`, `errorType` = exception class name,
  `stackTrace`) with errored=True, so Step Functions Retry/Catch match on the class name;
- with the local stack's IAM on, it runs with its execution role's credentials (Lambda assumes
  the role; the trust policy must allow lambda.amazonaws.com), and `boto3.client()` gets a
  default session per function, as each Lambda function has its own process;
- its `Timeout` is enforced: past it the invocation ends with Lambda's "Task timed out" error.

Known limits: a thread cannot be killed, so a timed-out handler finishes in the background and
what it does still happens; imports done lazily inside handler bodies resolve through the normal
`sys.modules` (shared); stdout is not captured per invocation.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import os
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagebuild.local import patching

from .lambda_environ import (
    DUMMY_CREDENTIALS,
    ThreadEnviron,
    execution_role_credentials,
    install_thread_environ,
    lambda_environment,
    process_environ,
    uninstall_thread_environ,
)

# --------------------------------------------------------------------------- context


@dataclass
class LambdaContext:
    """What the Python runtime passes as `context` (the attributes handlers use)."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    timeout_seconds: float
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# --------------------------------------------------------------------------- code cache


class CodeCache:
    """Each distinct code zip unzipped once (by sha256) under one directory."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else Path(tempfile.mkdtemp(prefix="sagebuild-lambda-"))
        self._lock = threading.Lock()

    def extract(self, code: bytes) -> tuple[str, Path]:
        sha = hashlib.sha256(code).hexdigest()
        target = self.root / sha
        with self._lock:
            if not target.is_dir():
                partial = self.root / f"{sha}.partial-{uuid.uuid4().hex}"
                with zipfile.ZipFile(io.BytesIO(code)) as archive:
                    archive.extractall(partial)
                partial.rename(target)
        return sha, target


def top_level_names(code_dir: Path) -> set[str]:
    """Importable top-level names a code directory provides (packages and modules)."""
    names: set[str] = set()
    for entry in code_dir.iterdir():
        if entry.is_dir() and entry.name.isidentifier():
            names.add(entry.name)
        elif entry.suffix == ".py" and entry.stem.isidentifier():
            names.add(entry.stem)
    return names


def _owned(module_name: str, names: set[str]) -> bool:
    return module_name.split(".", 1)[0] in names


_IMPORT_LOCK = threading.RLock()


def load_isolated(code_dir: Path, module_name: str) -> tuple[Any, dict[str, Any]]:
    """Import `module_name` from `code_dir` with fresh instances of the dir's own modules.

    The code dir's top-level names are taken out of `sys.modules` while importing and the
    previous entries put back afterwards; returns (module, the modules this load created).
    """
    names = top_level_names(code_dir)
    with _IMPORT_LOCK:
        saved = {k: v for k, v in sys.modules.items() if _owned(k, names)}
        for key in saved:
            del sys.modules[key]
        sys.path.insert(0, str(code_dir))
        importlib.invalidate_caches()
        try:
            module = importlib.import_module(module_name)
            loaded = {k: v for k, v in sys.modules.items() if _owned(k, names)}
        finally:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(code_dir))
            for key in [k for k in sys.modules if _owned(k, names)]:
                del sys.modules[key]
            sys.modules.update(saved)
        # Lazy imports done later by handler code resolve through sys.path.
        if str(code_dir) not in sys.path:
            sys.path.append(str(code_dir))
    return module, loaded


# --------------------------------------------------------------------------- the runner


@dataclass
class _LoadedFunction:
    handler: Callable[[Any, Any], Any]
    log_stream_name: str
    modules: dict[str, Any]


class LambdaRunner:
    """Runs moto `LambdaFunction`s in-process; one per installation."""

    def __init__(self, cache_dir: Path | None = None, endpoint_url: str | None = None) -> None:
        self.code_cache = CodeCache(cache_dir)
        self.endpoint_url = endpoint_url
        self._loaded: dict[tuple[str, str, str, str], _LoadedFunction] = {}
        self._load_locks: dict[tuple[str, str, str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    # -- environment
    def function_environment(self, fn: Any, code_dir: Path) -> dict[str, str]:
        region = fn.region
        env = {
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": fn.logs_group_name,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "LAMBDA_TASK_ROOT": str(code_dir),
            "_HANDLER": str(fn.handler),
            "POWERTOOLS_TRACE_DISABLED": "true",
            **DUMMY_CREDENTIALS,
        }
        env.update({str(k): str(v) for k, v in (fn.environment_vars or {}).items()})
        env.update(execution_role_credentials(fn))
        if self.endpoint_url:
            env["AWS_ENDPOINT_URL"] = self.endpoint_url
        env.pop("AWS_PROFILE", None)
        return env

    # -- loading
    def _load(self, fn: Any, sha: str, code_dir: Path) -> _LoadedFunction:
        # A new configuration (code, handler or environment) gets a fresh execution
        # environment, as on Lambda: module-level caches never see the old settings.
        settings = json.dumps(fn.environment_vars or {}, sort_keys=True, default=str)
        key = (fn.function_arn, str(fn.version), sha, f"{fn.handler}|{settings}")
        with self._lock:
            loaded = self._loaded.get(key)
            if loaded is not None:
                return loaded
            lock = self._load_locks.setdefault(key, threading.Lock())
        with lock:
            loaded = self._loaded.get(key)
            if loaded is not None:
                return loaded
            handler_spec = str(fn.handler or "")
            module_path, _, attr = handler_spec.rpartition(".")
            if not module_path or not attr:
                raise _RuntimeError("Runtime.HandlerNotFound", f"Bad handler '{handler_spec}'")
            module_name = module_path.replace("/", ".")
            try:
                module, modules = load_isolated(code_dir, module_name)
            except Exception as error:  # noqa: BLE001 - reported like the Lambda runtime
                raise _RuntimeError(
                    "Runtime.ImportModuleError",
                    f"Unable to import module '{module_name}': {error}",
                ) from error
            handler = getattr(module, attr, None)
            if not callable(handler):
                raise _RuntimeError(
                    "Runtime.HandlerNotFound",
                    f"Handler '{attr}' missing on module '{module_name}'",
                )
            day = time.strftime("%Y/%m/%d")
            loaded = _LoadedFunction(
                handler=handler,
                log_stream_name=f"{day}/[{fn.version}]{uuid.uuid4().hex}",
                modules=modules,
            )
            with self._lock:
                self._loaded[key] = loaded
            return loaded

    # -- invoking
    def invoke(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        """The replacement of `LambdaFunction._invoke_lambda`: (payload, errored, logs).

        The handler runs in a worker thread and the function's `Timeout` is enforced as Lambda
        enforces it: the import of the handler module (the Init phase) has its own 10 s, then
        the handler gets `Timeout` seconds. Past them the invocation ends with the payload
        Lambda returns for a Python function that timed out (Lambda Developer Guide,
        "Troubleshoot invocation issues": errorType `Sandbox.Timedout`, errorMessage
        "RequestId: <id> Error: Task timed out after N.NN seconds"; Invoke reports
        FunctionError, and Step Functions reports `Lambda.Unknown`, see `limits.py`).
        A Python thread cannot be killed: the worker of a timed-out invocation runs on in the
        background until the handler returns, and its result is discarded. Unlike on Lambda,
        what the handler does after its deadline still happens (docs/fidelity.md).
        """
        request_id = str(uuid.uuid4())
        event = _decode_event(event)
        code = getattr(fn, "code_bytes", b"") or b""
        if not code:
            return (
                _error_payload(
                    "Runtime.InvalidEntrypoint",
                    f"function {fn.function_name} has no zip code (image functions are not run)",
                    [],
                ),
                True,
                "",
            )
        sha, code_dir = self.code_cache.extract(code)
        env = self.function_environment(fn, code_dir)
        timeout = float(fn.timeout or 3)
        initialised, finished = threading.Event(), threading.Event()
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome.update(zip(("payload", "errored"), call(), strict=True))
            finally:
                finished.set()

        def call() -> tuple[str, bool]:
            errored = False
            with lambda_environment(env):
                try:
                    try:
                        loaded = self._load(fn, sha, code_dir)
                    finally:
                        initialised.set()
                    context = LambdaContext(
                        function_name=fn.function_name,
                        function_version=str(fn.version),
                        invoked_function_arn=fn.function_arn,
                        memory_limit_in_mb=int(fn.memory_size),
                        aws_request_id=request_id,
                        log_group_name=fn.logs_group_name,
                        log_stream_name=loaded.log_stream_name,
                        timeout_seconds=timeout,
                    )
                    result = loaded.handler(event, context)
                    try:
                        payload = json.dumps(result)
                    except (TypeError, ValueError) as error:
                        raise _RuntimeError(
                            "Runtime.MarshalError", f"Unable to marshal response: {error}"
                        ) from error
                except _RuntimeError as error:
                    errored = True
                    payload = _error_payload(error.error_type, error.message, [])
                except Exception as error:  # noqa: BLE001 - the function's error, reported
                    errored = True
                    frames = traceback.extract_tb(error.__traceback__)[1:]
                    payload = _error_payload(
                        type(error).__name__, str(error), traceback.format_list(frames)
                    )
            return payload, errored

        started = time.monotonic()
        worker = threading.Thread(
            target=run, name=f"lambda-{fn.function_name}-{request_id[:8]}", daemon=True
        )
        worker.start()
        initialised.wait(10.0)  # the Init phase limit ("Lambda execution environment lifecycle")
        timed_out = not finished.wait(timeout)
        elapsed_ms = (time.monotonic() - started) * 1000
        if timed_out:
            errored = True
            payload = json.dumps(
                {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                    f"{timeout:.2f} seconds",
                }
            )
            ended = (
                f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())}Z {request_id} "
                f"Task timed out after {timeout:.2f} seconds\n"
            )
        elif not outcome:  # the handler raised SystemExit or another BaseException
            errored = True
            payload = _error_payload("Runtime.ExitError", "RequestId: " + request_id, [])
            ended = f"ERROR {payload}\n"
        else:
            payload, errored = outcome["payload"], outcome["errored"]
            ended = f"ERROR {payload}\n" if errored else ""
        logs = (
            f"START RequestId: {request_id} Version: {fn.version}\n"
            + ended
            + f"END RequestId: {request_id}\n"
            f"REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms"
            + ("\tStatus: timeout" if timed_out else "")
            + "\n"
        )
        _save_logs(fn, logs)
        return payload, errored, logs


class _RuntimeError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def _decode_event(event: Any) -> Any:
    if isinstance(event, (bytes, bytearray)):
        event = event.decode("utf-8")
    if isinstance(event, str):
        try:
            return json.loads(event) if event.strip() else {}
        except ValueError:
            return event
    return {} if event is None else event


def _error_payload(error_type: str, message: str, stack: list[str]) -> str:
    return json.dumps({"errorMessage": message, "errorType": error_type, "stackTrace": stack})


def _save_logs(fn: Any, logs: str) -> None:
    with contextlib.suppress(Exception):
        fn.logs_backend.ensure_log_group(fn.logs_group_name)
        fn.save_logs(logs)


# --------------------------------------------------------------------------- boto3 sessions

_SESSIONS_LOCK = threading.Lock()
_FUNCTION_SESSIONS: dict[tuple[str, str, str], Any] = {}


def _function_default_session(original: Callable[[], Any]) -> Callable[[], Any]:
    """`boto3._get_default_session` with one default session per function and credentials.

    On Lambda each function runs in its own process, so `boto3.client(...)` in handler code
    uses a default session of that function's own (its execution role's credentials). Here
    every function shares the boto3 module; without this, the first function to create the
    default session would lend its cached credentials to every other function.
    """

    def get_default_session() -> Any:
        env = os.environ
        if not (isinstance(env, ThreadEnviron) and env.in_overlay()):
            return original()
        key = (
            env.get("AWS_LAMBDA_FUNCTION_NAME", ""),
            env.get("AWS_ACCESS_KEY_ID", ""),
            env.get("AWS_ENDPOINT_URL", ""),
        )
        with _SESSIONS_LOCK:
            session = _FUNCTION_SESSIONS.get(key)
            if session is None:
                import boto3.session

                session = _FUNCTION_SESSIONS[key] = boto3.session.Session()
        return session

    return get_default_session


# --------------------------------------------------------------------------- install

_INSTALLED: LambdaRunner | None = None


def current_runner() -> LambdaRunner | None:
    return _INSTALLED


def install(cache_dir: Path | None = None, endpoint_url: str | None = None) -> Callable[[], None]:
    """Patch moto's `LambdaFunction._invoke_lambda`; returns the uninstall callable.

    `endpoint_url` (server mode) is put in every function's environment as AWS_ENDPOINT_URL so
    handler boto3 clients talk to the moto server; in decorator mode moto intercepts anyway.
    """
    global _INSTALLED
    from moto.awslambda.models import LambdaFunction

    install_thread_environ()
    import boto3

    runner = LambdaRunner(cache_dir=cache_dir, endpoint_url=endpoint_url)

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return runner.invoke(self, event)

    restore = patching.install(
        [
            (LambdaFunction, "_invoke_lambda", _invoke_lambda),
            patching.wrap(boto3, "_get_default_session", _function_default_session),
        ]
    )
    previous = _INSTALLED
    _INSTALLED = runner

    def uninstall() -> None:
        global _INSTALLED
        restore()
        with _SESSIONS_LOCK:
            _FUNCTION_SESSIONS.clear()
        _INSTALLED = previous

    return uninstall


__all__ = [
    "CodeCache",
    "LambdaContext",
    "LambdaRunner",
    "ThreadEnviron",
    "current_runner",
    "install",
    "install_thread_environ",
    "lambda_environment",
    "load_isolated",
    "process_environ",
    "uninstall_thread_environ",
]
