"""Step Functions in the local stack: CFN-created state machines that moto really executes.

moto behaviours replaced (moto 5.2.5):
- `StateMachine.create/update/delete_from_cloudformation_json` write to the canned backend,
  read only `DefinitionString` and ignore `Definition`, `DefinitionS3Location` and
  `DefinitionSubstitutions`. Ours resolve the definition (string, object or S3 object in moto
  S3), apply `${Name}` substitutions and use the backend that executes (the parser backend when
  `execute_state_machine` is on).
- `ComparisonVariable._eval_body`: a Choice rule on a missing path takes the Default branch in
  moto; AWS fails the execution with States.Runtime. Ours fails like AWS (except `IsPresent`).
- `StepFunctionsParserBackend.start_execution` names a nameless execution "None", so the second
  nameless StartExecution fails with ExecutionAlreadyExists; ours names it with a UUID, as AWS.
- `StepFunctionResponse.send_task_failure` drops the `cause`; ours passes it on, so the
  waiting task fails with the error and cause the caller sent.
- `Execution.stop` only asks the interpreter to stop: a Task interrupted by it can fail into
  its Catch and the execution then ends FAILED. On AWS a stopped execution is ABORTED, with the
  stop's error and cause; ours records that whatever the interrupted program did after it
  (moto also drops the stop's error and cause). A StopExecution right after StartExecution
  fails in moto with AttributeError (the worker thread has not made the program's environment
  yet) or is lost (the program has not started running: it then runs to its end); ours waits
  until the program runs, and the execution ends ABORTED as on AWS.
- Waits: `fast_waits()` makes Wait states and Retry intervals return at once, for tests, by
  patching `WaitFunction._wait_interval` and the retrier module's private `time` (never
  `time.sleep` globally: a global no-op sleep starves the execution thread).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from moto.core.config import default_user_config

from sagebuild.local import patching

_FAST_WAITS = 0
_FAST_LOCK = threading.Lock()
_SUBSTITUTION = re.compile(r"\$\{([^}]+)\}")


def apply_substitutions(definition: str, substitutions: dict[str, Any] | None) -> str:
    """`${Key}` → value for every key in `substitutions`; other `${...}` stay (as on AWS)."""
    if not substitutions:
        return definition
    values = {str(k): v for k, v in substitutions.items()}

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            return match.group(0)
        value = values[key]
        return value if isinstance(value, str) else json.dumps(value)

    return _SUBSTITUTION.sub(replace, definition)


def resolve_definition(properties: dict[str, Any], account_id: str, region_name: str) -> str:
    """The ASL text of an AWS::StepFunctions::StateMachine, substitutions applied."""
    if properties.get("DefinitionString"):
        definition = properties["DefinitionString"]
        if not isinstance(definition, str):
            definition = json.dumps(definition)
    elif properties.get("Definition"):
        definition = json.dumps(properties["Definition"])
    elif properties.get("DefinitionS3Location"):
        location = properties["DefinitionS3Location"]
        definition = _read_s3(account_id, location["Bucket"], location["Key"])
    else:
        raise ValueError("state machine has no Definition, DefinitionString or S3 location")
    return apply_substitutions(definition, properties.get("DefinitionSubstitutions"))


def _read_s3(account_id: str, bucket: str, key: str) -> str:
    from moto.s3.models import s3_backends

    obj = s3_backends[account_id]["aws"].get_object(bucket, key)
    if obj is None:
        raise ValueError(f"state machine definition s3://{bucket}/{key} not found")
    return obj.value.decode("utf-8")


def _backend(account_id: str, region_name: str) -> Any:
    from moto.stepfunctions.responses import get_backend

    return get_backend(account_id, region_name)


def _tags(properties: dict[str, Any]) -> list[dict[str, str]]:
    from moto.stepfunctions.utils import cfn_to_api_tags

    return cfn_to_api_tags(properties.get("Tags", []))


def _create(
    cls: Any,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    properties = cloudformation_json["Properties"]
    name = properties.get("StateMachineName", resource_name)
    definition = resolve_definition(properties, account_id, region_name)
    backend = _backend(account_id, region_name)
    return backend.create_state_machine(
        name,
        definition,
        properties.get("RoleArn", ""),
        tags=_tags(properties),
        sm_type=properties.get("StateMachineType"),
    )


def _delete(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
) -> None:
    _backend(account_id, region_name).delete_state_machine(resource_name)


def _update(
    cls: Any,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    properties = cloudformation_json.get("Properties", {})
    name = properties.get("StateMachineName", original_resource.name)
    if name != original_resource.name:
        new_resource = _create(cls, name, cloudformation_json, account_id, region_name)
        _delete(cls, original_resource.arn, cloudformation_json, account_id, region_name)
        return new_resource
    definition = resolve_definition(properties, account_id, region_name)
    backend = _backend(account_id, region_name)
    machine = backend.update_state_machine(
        original_resource.arn, definition=definition, role_arn=properties.get("RoleArn")
    )
    tags = _tags(properties)
    if tags:
        backend.tagger.tag_resource(machine.arn, tags)
    return machine


# --------------------------------------------------------------------------- Choice


def _choice_missing_path_fails(original: Callable[..., Any]) -> Callable[..., Any]:
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison_operator_type import (  # noqa: E501
        ComparisonOperatorType,
    )
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.variable import (
        NoSuchVariable,
    )
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    def _eval_body(self: Any, env: Any) -> None:
        self.variable.eval(env)
        value = env.stack[-1] if env.stack else None
        operator = getattr(self.comparison_function, "operator_type", None)
        if isinstance(value, NoSuchVariable) and operator != ComparisonOperatorType.IsPresent:
            env.stack.pop()
            path = self.variable.string_sampler.literal_value
            raise NoSuchJsonPathError(json_path=path, data=env.states.get_input())
        self.comparison_function.eval(env)

    _eval_body.__wrapped__ = original  # type: ignore[attr-defined]
    return _eval_body


# --------------------------------------------------------------------------- fast waits


def fast_waits_enabled() -> bool:
    return _FAST_WAITS > 0


@contextlib.contextmanager
def fast_waits() -> Iterator[None]:
    """Within the block, Wait states and Retry intervals do not wait (tests only)."""
    global _FAST_WAITS
    with _FAST_LOCK:
        _FAST_WAITS += 1
    try:
        yield
    finally:
        with _FAST_LOCK:
            _FAST_WAITS -= 1


def set_fast_waits(enabled: bool) -> None:
    """Switch fast waits on or off for the whole process (the server's --fast-waits)."""
    global _FAST_WAITS
    with _FAST_LOCK:
        _FAST_WAITS = 1 if enabled else 0


class _RetrierTime(types.SimpleNamespace):
    """The retrier module's `time`: `sleep` is skipped while fast waits are on."""

    def __init__(self, real: Any) -> None:
        super().__init__()
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def sleep(self, seconds: float) -> None:
        if not fast_waits_enabled():
            self._real.sleep(seconds)


# --------------------------------------------------------------------------- install


def install() -> Callable[[], None]:
    """Apply the patches above and turn the executor on; returns the uninstall callable."""
    from moto.stepfunctions.models import StateMachine
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.choice.comparison.comparison_variable import (  # noqa: E501
        ComparisonVariable,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    saved_config: Any = dict(default_user_config.get("stepfunctions", {}))
    return patching.install(
        [
            (default_user_config, "stepfunctions", {**saved_config, "execute_state_machine": True}),
            (StateMachine, "create_from_cloudformation_json", classmethod(_create)),
            (StateMachine, "update_from_cloudformation_json", classmethod(_update)),
            (StateMachine, "delete_from_cloudformation_json", classmethod(_delete)),
            patching.wrap(ComparisonVariable, "_eval_body", _choice_missing_path_fails),
            patching.wrap(StepFunctionsParserBackend, "start_execution", _named_start_execution),
            patching.wrap(WaitFunction, "_wait_interval", _skippable_wait_interval),
            (StepFunctionResponse, "send_task_failure", _send_task_failure),
            *_stop_patches(),
            (retrier_decl, "time", _RetrierTime(retrier_decl.time)),
        ]
    )


def _named_start_execution(original_start: Callable[..., Any]) -> Callable[..., Any]:
    """StartExecution without a name names the execution with a UUID, as AWS."""

    def start(self: Any, state_machine_arn: str, name: Any = None, *a: Any, **k: Any) -> Any:
        return original_start(self, state_machine_arn, name or str(uuid.uuid4()), *a, **k)

    return start


def _skippable_wait_interval(original_wait: Callable[..., Any]) -> Callable[..., None]:
    """A Wait state's interval, skipped while fast waits are on."""

    def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        if fast_waits_enabled():
            return None
        return original_wait(self, env, wait_seconds)

    return _wait_interval


# moto's SendTaskFailure response drops `cause`; the task's failure must carry it (the
# approval's "rejected by ...: reason" reaches the run's error and its notification).
def _send_task_failure(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    self.stepfunction_backend.send_task_failure(
        self._get_param("taskToken"),
        error=self._get_param("error"),
        cause=self._get_param("cause"),
    )
    return EmptyResult()


def _stop_patches() -> list[patching.Patch]:
    """StopExecution as on AWS: it waits until the program runs, and the execution ends
    ABORTED with the stop's own error and cause."""
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.backend import execution as executions
    from moto.stepfunctions.responses import StepFunctionResponse

    requested: dict[str, tuple[Any, Any]] = {}  # execution ARN → the StopExecution's own words

    def execution_stop(original_stop: Callable[..., Any]) -> Callable[..., Any]:
        def stop(self: Any, stop_date: Any, error: Any, cause: Any) -> Any:
            error, cause = requested.pop(self.exec_arn, (error, cause))
            self.sagebuild_stopped = (error or None, cause or None)
            worker, deadline = self.exec_worker, time.monotonic() + 10
            while worker is not None and time.monotonic() < deadline:
                if worker.env is not None and worker.env.program_state() is not None:
                    break  # the program runs (or ended): moto's stop now reaches it
                time.sleep(0.005)  # the worker thread is parsing the definition, about to run it
            return original_stop(self, stop_date, error, cause)

        return stop

    def stop_execution(original_stop_response: Callable[..., Any]) -> Callable[..., Any]:
        def stop_execution_(self: Any) -> Any:
            requested[self._get_param("executionArn")] = (
                self._get_param("error"),
                self._get_param("cause"),
            )
            return original_stop_response(self)

        return stop_execution_

    def reflect_status(original_reflect: Callable[..., Any]) -> Callable[..., None]:
        def reflect(self: Any) -> None:
            original_reflect(self)
            stopped = getattr(self.execution, "sagebuild_stopped", None)
            if stopped is not None:
                self.execution.exec_status = ExecutionStatus.ABORTED
                self.execution.error, self.execution.cause = stopped

        return reflect

    worker = executions.BaseExecutionWorkerCommunication
    return [
        patching.wrap(executions.Execution, "stop", execution_stop),
        patching.wrap(StepFunctionResponse, "stop_execution", stop_execution),
        patching.wrap(worker, "_reflect_execution_status", reflect_status),
    ]
