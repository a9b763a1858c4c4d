"""The Lambda runner's environment: per-thread `os.environ` overlays and role credentials.

Each Lambda function invoked in-process (`lambda_runner`) sees its own environment variables:
`ThreadEnviron` replaces `os.environ` with an overlay visible only to the invoking thread, so
parallel states never see each other's variables, while the process environment stays shared.
`process_environ()` is that process environment without the calling thread's overlay (for
subprocesses started from inside a Lambda thread). `execution_role_credentials` are the
credentials Lambda puts in a function's environment (its execution role's, with IAM on).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class ThreadEnviron(os._Environ):  # type: ignore[type-arg]
    """`os.environ` replacement: a per-thread overlay over the process environment.

    Outside an overlay it behaves exactly like the original `os.environ` (same data, putenv).
    Inside `overlay(env)` the current thread sees `env` over the process environment; writes
    and deletes stay in the overlay (None marks a deleted key) and never reach the process.
    """

    def __init__(self, original: os._Environ) -> None:  # type: ignore[type-arg]
        super().__init__(
            original._data,  # type: ignore[attr-defined]
            original.encodekey,  # type: ignore[attr-defined]
            original.decodekey,  # type: ignore[attr-defined]
            original.encodevalue,  # type: ignore[attr-defined]
            original.decodevalue,  # type: ignore[attr-defined]
        )
        self.original = original
        self._local = threading.local()

    def _stack(self) -> list[dict[str, str | None]]:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def _top(self) -> dict[str, str | None] | None:
        stack = self._stack()
        return stack[-1] if stack else None

    @contextlib.contextmanager
    def overlay(self, env: Mapping[str, str]) -> Iterator[None]:
        """Within the block, this thread sees `env` over the process environment."""
        stack = self._stack()
        stack.append({str(k): str(v) for k, v in env.items()})
        try:
            yield
        finally:
            stack.pop()

    def in_overlay(self) -> bool:
        return self._top() is not None

    def base(self) -> dict[str, str]:
        """The process environment without any overlay."""
        return dict(self.original)

    def __getitem__(self, key: str) -> str:
        top = self._top()
        if top is not None and key in top:
            value = top[key]
            if value is None:
                raise KeyError(key)
            return value
        return super().__getitem__(key)

    def __setitem__(self, key: str, value: str) -> None:
        top = self._top()
        if top is None:
            super().__setitem__(key, value)
        else:
            if not isinstance(value, str):
                raise TypeError(f"str expected, not {type(value).__name__}")
            top[key] = value

    def __delitem__(self, key: str) -> None:
        top = self._top()
        if top is None:
            super().__delitem__(key)
            return
        if key not in self:
            raise KeyError(key)
        top[key] = None

    def _merged(self) -> dict[str, str]:
        merged = dict(self.original)
        top = self._top()
        if top is not None:
            for key, value in top.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
        return merged

    def __iter__(self) -> Iterator[str]:
        if self._top() is None:
            return super().__iter__()
        return iter(list(self._merged()))

    def __len__(self) -> int:
        return len(self._merged()) if self._top() is not None else super().__len__()

    def __contains__(self, key: object) -> bool:
        top = self._top()
        if top is not None and key in top:
            return top[key] is not None  # type: ignore[index]
        return super().__contains__(key)

    def copy(self) -> dict[str, str]:
        return self._merged()

    def __repr__(self) -> str:
        return f"ThreadEnviron({self._merged()!r})"


_ENV_LOCK = threading.Lock()


def install_thread_environ() -> ThreadEnviron:
    """Install (once) the thread-aware `os.environ`; returns it."""
    with _ENV_LOCK:
        if not isinstance(os.environ, ThreadEnviron):
            os.environ = ThreadEnviron(os.environ)  # type: ignore[assignment]  # noqa: B003
        return os.environ


def uninstall_thread_environ() -> None:
    """Put the original `os.environ` back (same data: nothing set meanwhile is lost)."""
    with _ENV_LOCK:
        if isinstance(os.environ, ThreadEnviron):
            os.environ = os.environ.original  # noqa: B003


def process_environ() -> dict[str, str]:
    """The process environment without the calling thread's Lambda overlay.

    Code that starts subprocesses from inside a Lambda thread (local SageMaker, CodeBuild)
    should build their environment from this, not from `os.environ`.
    """
    env = os.environ
    return env.base() if isinstance(env, ThreadEnviron) else dict(env)


@contextlib.contextmanager
def lambda_environment(env: Mapping[str, str]) -> Iterator[None]:
    """Run a block with `env` as this thread's overlay (installs the thread environ)."""
    with install_thread_environ().overlay(env):
        yield


def execution_role_credentials(fn: Any) -> dict[str, str]:
    """The function's execution role credentials, as Lambda puts them in its environment.

    With the local stack's IAM on, Lambda assumes the function's role (its trust policy must
    allow lambda.amazonaws.com; the session is named after the function, as on AWS), so every
    call the handler makes is evaluated against that role. With IAM off: dummy credentials.
    """
    from sagebuild.local.iam import principals
    from sagebuild.local.iam.enforcer import ENFORCER

    if not ENFORCER.enabled:
        return dict(DUMMY_CREDENTIALS)
    credentials = principals.assume(str(fn.role), "lambda.amazonaws.com", fn.function_name)
    return credentials.environment()


__all__ = [
    "DUMMY_CREDENTIALS",
    "ThreadEnviron",
    "execution_role_credentials",
    "install_thread_environ",
    "lambda_environment",
    "process_environ",
    "uninstall_thread_environ",
]
