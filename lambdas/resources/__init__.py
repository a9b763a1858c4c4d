"""CloudFormation custom resources (crhelper), one module per `Custom::` type.

Each module exposes `handler(event, context)`; delete is idempotent ("already gone" is
success) and create returns a stable physical id.
"""
