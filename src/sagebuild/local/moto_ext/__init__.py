"""Extensions of moto that the local stack needs, one module per replaced moto behaviour.

- `lambda_runner`: Lambda code runs in-process (moto needs Docker), own env per function.
- `stepfunctions`: CFN state machines land in the executing backend with substitutions;
  Choice on a missing path fails like AWS; fast waits for tests.
- `custom_resources`: custom resources get Create, Update and Delete; failures fail the stack.
- `skipped_types`: resource types moto skips are created by us; unknown types fail the deploy.
- `lambda_async`: asynchronous invokes (SNS, EventBridge) retry, then go to the function's
  dead-letter queue; moto keeps the function's DeadLetterConfig.
- `sns_delivery`: SNS → Lambda events carry the real message id, topic and attributes.
- `events_delivery`: EventBridge rules deliver to Lambda, Step Functions, SNS and SQS
  targets; schedules fire; Step Functions executions emit their status change events.
- `stack_update`: an update modifies only resources whose JSON or parameters changed.
- `write_order`: DynamoDB conditional writes are atomic; S3 event records carry a sequencer.
- `iam_roles`: CloudFormation roles get their ManagedPolicyArns (moto drops them).
- `iam_enforcement`: every request a role signs is evaluated against that role's policies
  (actions, resources, conditions); Step Functions tasks run as the state machine role.

`install_all()` applies them all and returns one uninstall callable (undoes them in reverse).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def install_all(
    *, cache_dir: Path | None = None, endpoint_url: str | None = None, iam: bool = True
) -> Callable[[], None]:
    """Install every extension; returns the uninstall callable.

    `iam=False` leaves IAM unenforced (only for tests of one extension in isolation).
    """
    from . import (
        custom_resources,
        events_delivery,
        iam_enforcement,
        iam_roles,
        lambda_async,
        lambda_runner,
        limits,
        skipped_types,
        sns_delivery,
        stack_update,
        stepfunctions,
        write_order,
    )

    undo: list[Callable[[], None]] = []
    try:
        undo.append(lambda_runner.install(cache_dir=cache_dir, endpoint_url=endpoint_url))
        undo.append(stepfunctions.install())
        undo.append(custom_resources.install())
        undo.append(skipped_types.install())
        undo.append(lambda_async.install())
        undo.append(sns_delivery.install())
        undo.append(events_delivery.install())
        undo.append(stack_update.install())
        undo.append(limits.install())
        undo.append(write_order.install())
        undo.append(iam_roles.install())
        if iam:
            undo.append(iam_enforcement.install())
    except BaseException:
        for step in reversed(undo):
            step()
        raise

    def uninstall() -> None:
        while undo:
            undo.pop()()

    return uninstall


__all__ = ["install_all"]
