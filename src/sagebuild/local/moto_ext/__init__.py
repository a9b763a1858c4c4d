"""Extensions of moto that the local stack needs, one module per replaced moto behaviour.

- `lambda_runner`: Lambda code runs in-process (moto needs Docker), own env per function.
- `stepfunctions`: CFN state machines land in the executing backend with substitutions;
  Choice on a missing path fails like AWS; fast waits for tests.
- `stack_failures`: a resource that fails fails its stack, named, and rolls it back.
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

Each module's `install(...)` applies its patches (`sagebuild.local.patching`) and returns the
callable that undoes them; `LocalStack._installers` (stack.py) is the one list of them, in order.
"""
