"""`LocalStack`: the one object tests, the CLI and the demo use to run sagebuild locally.

It starts emulated AWS (moto in-process for tests, or a threaded moto server on 127.0.0.1 for
the CLI and notebooks), installs the moto extensions (`moto_ext`) and the local SageMaker and
CodeBuild, deploys `template.yaml`, exposes the stack's outputs and boto3 clients, and on exit
deletes the stack and stops everything it started. Nothing it does can reach real AWS: the
process gets dummy credentials, no profile and (server mode) an explicit 127.0.0.1 endpoint.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from sagebuild import assets
from sagebuild.local import deploy, patching
from sagebuild.local.moto_ext import (
    custom_resources,
    events_delivery,
    iam_enforcement,
    iam_roles,
    lambda_async,
    lambda_runner,
    limits,
    skipped_types,
    sns_delivery,
    stack_failures,
    stack_update,
    stepfunctions,
    write_order,
)
from sagebuild.local.moto_ext.lambda_runner import install_thread_environ

LOG = logging.getLogger(__name__)

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
#: The stack's folder (template.yaml, lambdas/...): bundled, or the editable checkout's.
REPO_ROOT = assets.root()
DEFAULT_TEMPLATE = assets.template()
# The local stack waits less between polls and has a skill id, so `sagebuild ask` works.
LOCAL_SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-00000000local"
DEFAULT_PARAMETERS = {"PollFloorSeconds": "1", "AlexaSkillId": LOCAL_SKILL_ID}
SAFE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "SAM_CLI_TELEMETRY": "0",
}
UNSET_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
# When set, every local stack writes its IAM ledger into this directory when it stops.
IAM_REPORT_DIR_ENV = "SAGEBUILD_IAM_REPORT_DIR"


class LocalStackError(RuntimeError):
    """The local stack could not start or stop cleanly."""


class LocalStack:
    """Emulated AWS with the sagebuild stack deployed in it (a context manager).

    mode: "inprocess" (moto's `mock_aws`, for tests) or "server" (`ThreadedMotoServer` on
    127.0.0.1:`port`, 0 = a free port, for other processes). `template=None` deploys nothing.
    `parameters` are stack parameters over DEFAULT_PARAMETERS (only those the template
    declares). `local_services` installs `sagebuild.local.sagemaker`/`codebuild` (required
    then). `fast_waits` makes Wait states and Retry intervals not wait (tests). `iam` (on by
    default) evaluates every call a role makes against its policies, as AWS does; the
    administrator key `testing` (CLI, tests, `client()`) is allowed everything.
    `iam_report_path`: where `stop()` writes the IAM ledger (`iam_report()`) as JSON.
    EventBridge rules deliver and schedules fire on their own (`moto_ext.events_delivery`);
    `schedule_time_scale` makes schedules run that many times faster than real time (86400:
    `rate(1 day)` fires about every second), default $SAGEBUILD_SCHEDULE_TIME_SCALE or 1.
    """

    def __init__(
        self,
        template: Path | str | None = DEFAULT_TEMPLATE,
        *,
        stack_name: str = "sagebuild",
        parameters: dict[str, Any] | None = None,
        mode: str = "inprocess",
        port: int = 0,
        work_dir: Path | str | None = None,
        local_services: bool = True,
        fast_waits: bool = False,
        delete_on_exit: bool = True,
        iam: bool = True,
        iam_report_path: Path | str | None = None,
        schedule_time_scale: float | None = None,
    ) -> None:
        if mode not in ("inprocess", "server"):
            raise ValueError(f"mode must be 'inprocess' or 'server', not {mode!r}")
        if schedule_time_scale is None:
            schedule_time_scale = float(os.environ.get("SAGEBUILD_SCHEDULE_TIME_SCALE") or 1)
        if not schedule_time_scale > 0:
            raise ValueError(f"schedule_time_scale must be positive, not {schedule_time_scale!r}")
        self.template = Path(template) if template else None
        self.stack_name = stack_name
        self.parameters = dict(parameters or {})
        self.mode = mode
        self.port = port
        self._own_work_dir = work_dir is None
        self.work_dir = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="sagebuild-"))
        self.local_services = local_services
        self.fast_waits = fast_waits
        self.delete_on_exit = delete_on_exit
        self.iam = iam
        self.iam_report_path = Path(iam_report_path) if iam_report_path else None
        self.schedule_time_scale = float(schedule_time_scale)
        self.region = REGION
        self.account_id = ACCOUNT_ID
        self.endpoint_url: str | None = None
        self.outputs: dict[str, str] = {}
        self.deployed = False
        self._undo: list[Callable[[], None]] = []
        self._saved_env: dict[str, str | None] = {}
        self._server: Any = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> LocalStack:
        """Start emulated AWS, install every extension, deploy the template (if any)."""
        try:
            self._secure_environment()
            install_thread_environ()
            self.work_dir.mkdir(parents=True, exist_ok=True)
            if self.mode == "inprocess":
                self._start_inprocess()
            else:
                self._start_server()
            for _name, wanted, install in self._installers():
                if wanted:
                    self._undo.append(install())
            if self.template is not None:
                self.deploy()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Delete the stack (if deployed), then undo everything `start` did, newest first."""
        errors: list[str] = []
        report_paths = [self.iam_report_path] if self.iam_report_path else []
        collect = os.environ.get(IAM_REPORT_DIR_ENV)  # iam.figures gathers every stack's ledger
        if collect:
            report_paths.append(Path(collect) / f"{self.stack_name}-{uuid.uuid4().hex[:8]}.json")
        if not (self.iam and self.deployed):
            report_paths = []
        # The roles' statements are read before the delete removes the roles; the report is
        # written after it, so it holds what the stack's delete did too.
        statements = self._iam_statements() if report_paths else {}
        if self.deployed and self.delete_on_exit:
            try:
                self.delete()
            except Exception as error:  # noqa: BLE001 - keep stopping; reported below
                errors.append(f"delete stack: {error}")
        for path in report_paths:
            try:
                self._write_json(path, self._iam_ledger_report(statements))
            except Exception as error:  # noqa: BLE001 - keep stopping; reported below
                errors.append(f"iam report: {error}")
        while self._undo:
            step = self._undo.pop()
            try:
                step()
            except Exception as error:  # noqa: BLE001
                errors.append(f"{getattr(step, '__name__', step)}: {error}")
        self._restore_environment()
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        if errors:
            raise LocalStackError("local stack did not stop cleanly: " + "; ".join(errors))

    # ------------------------------------------------------------------ the stack
    def stack_parameters(self) -> dict[str, str]:
        """DEFAULT_PARAMETERS the template declares, overridden by the given parameters."""
        declared = set()
        if self.template is not None:
            declared = set((deploy.load_template(self.template).get("Parameters") or {}).keys())
        merged = {k: v for k, v in DEFAULT_PARAMETERS.items() if k in declared}
        merged.update({k: str(v) for k, v in self.parameters.items()})
        return merged

    def deploy(self) -> dict[str, str]:
        self._apply("create")
        self.deployed = True
        return self.outputs

    def update(
        self, parameters: dict[str, Any] | None = None, template: Path | str | None = None
    ) -> dict[str, str]:
        """Update the deployed stack (new parameters and/or template)."""
        if template is not None:
            self.template = Path(template)
        if parameters:
            self.parameters.update(parameters)
        return self._apply("update")

    def _apply(self, action: Literal["create", "update"]) -> dict[str, str]:
        if self.template is None:
            raise LocalStackError("no template to deploy")
        self.outputs = deploy.apply_stack(
            action,
            self.stack_name,
            self.template,
            self.stack_parameters(),
            cfn=self.client("cloudformation"),
            s3=self.client("s3"),
        )
        return self.outputs

    def delete(self) -> None:
        deploy.delete_stack(self.stack_name, cfn=self.client("cloudformation"))
        self.deployed = False

    def notebook_credentials(self) -> dict[str, str] | None:
        """The notebook instance role's credentials (None: the stack has no notebook).

        What a notebook on the stack's notebook instance gets from the instance (SageMaker
        assumes NotebookRole): the local notebooks use them, so they are held to that role.
        """
        from sagebuild.local.iam import principals
        from sagebuild.local.iam.enforcer import ENFORCER

        name = self.stack_resources().get("NotebookRole") if self.deployed else None
        if not name or not ENFORCER.enabled:
            return None
        arn = f"arn:aws:iam::{self.account_id}:role/{name}"
        credentials = principals.assume(arn, "sagemaker.amazonaws.com", "SageMaker")
        return credentials.client_kwargs()

    def iam_report(self) -> dict[str, Any]:
        """Per role: the calls made, their resources, denials, unused policy statements."""
        return self._iam_ledger_report(self._iam_statements())

    def iam_denials(self) -> list[dict[str, str]]:
        """Every call the local stack's IAM denied so far."""
        from sagebuild.local.iam.enforcer import ENFORCER

        return ENFORCER.ledger.denials()

    def write_iam_report(self, path: Path) -> dict[str, Any]:
        report = self.iam_report()
        self._write_json(path, report)
        return report

    def _iam_statements(self) -> dict[str, list[str]]:
        from sagebuild.local.iam.enforcer import ENFORCER

        return ENFORCER.statements_by_role(self._role_arns())

    @staticmethod
    def _iam_ledger_report(statements: dict[str, list[str]]) -> dict[str, Any]:
        from sagebuild.local.iam.enforcer import ENFORCER

        return ENFORCER.ledger.report(statements)

    @staticmethod
    def _write_json(path: Path, document: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)

    def _role_arns(self) -> list[str]:
        from moto.iam.models import iam_backends

        backend = iam_backends[self.account_id]["aws"]
        return sorted(role.arn for role in backend.roles.values())

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for the emulated AWS (dummy credentials, local endpoint)."""
        import boto3

        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            aws_session_token="testing",
            **kwargs,
        )

    def stack_resources(self) -> dict[str, str]:
        """Logical id → physical id of the deployed stack's resources."""
        rows = self.client("cloudformation").list_stack_resources(StackName=self.stack_name)
        return {
            r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
            for r in rows["StackResourceSummaries"]
        }

    def fire_schedule(self, rule: str | None = None) -> list[dict[str, Any]]:
        """Deliver one tick of the stack's schedule rules (all, or the one named) now.

        Schedules fire on their own too (see `schedule_time_scale`); this is the test helper for
        one tick at a known moment. Each target gets what EventBridge sends it (its Input,
        InputPath, InputTransformer, or the "Scheduled Event"). Returns once delivered, one
        record per target (`rule`, `target`, `input`, ...); a failed delivery raises.
        """
        from moto.events.models import events_backends

        cfn = self.client("cloudformation")
        rows = cfn.list_stack_resources(StackName=self.stack_name)["StackResourceSummaries"]
        names = [r["PhysicalResourceId"] for r in rows if r["ResourceType"] == "AWS::Events::Rule"]
        bus = events_backends[self.account_id][self.region].event_buses["default"]
        sent: list[dict[str, Any]] = []
        for name in names:
            found = bus.rules.get(name)
            if found is None or (rule is not None and rule not in (name, found.arn)):
                continue
            if not found.scheduled_expression or found.state != "ENABLED":
                continue
            sent.extend(events_delivery.fire_schedule(found))
        failed = [f"{s['target']}: {s['error']}" for s in sent if s["error"]]
        if failed:
            raise LocalStackError("schedule delivery failed: " + "; ".join(failed))
        if rule is not None and not sent:
            raise LocalStackError(f"no enabled schedule rule {rule} with targets in the stack")
        return sent

    # ------------------------------------------------------------------ internals
    def _lambda_cache(self) -> Path:
        path = self.work_dir / "lambda-code"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _start_inprocess(self) -> None:
        from moto import mock_aws

        for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
            self._set_env(key, None)
        mock = mock_aws(
            config={
                "stepfunctions": {"execute_state_machine": True},
                "lambda": {"use_docker": True},  # the Docker path is the one we replace
                "core": {
                    "mock_credentials": True,
                    "passthrough": {"urls": [], "services": []},
                    "reset_boto3_session": True,
                    "service_whitelist": None,
                },
            }
        )
        mock.start()
        self._undo.append(mock.stop)

    def _start_server(self) -> None:
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        self._undo.append(
            patching.install(
                [
                    (default_user_config, "stepfunctions", {"execute_state_machine": True}),
                    (default_user_config, "lambda", {"use_docker": True}),  # the path we replace
                ]
            )
        )
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        server.start()
        self._server = server
        self._undo.append(server.stop)
        host, port = server.get_host_and_port()
        self.port = port
        self.endpoint_url = f"http://127.0.0.1:{port}"
        # the SFN interpreter calls Lambda at localhost:$MOTO_PORT; handlers use the endpoint
        self._set_env("MOTO_PORT", str(port))
        self._set_env("AWS_ENDPOINT_URL", self.endpoint_url)

    def _installers(self) -> list[tuple[str, bool, Callable[[], Callable[[], None]]]]:
        """Everything `start` installs, in order: (name, wanted, install → its undo).

        The moto extensions (`moto_ext`, one per replaced moto behaviour) come first, in an
        order that matters where two wrap the same moto function (`skipped_types` wraps the
        resource creation `stack_failures` wrapped); then the local SageMaker and CodeBuild
        (`local_services`); then the fast waits of tests. `stop` undoes them newest first.
        """
        cache_dir = self._lambda_cache()
        return [
            (
                "lambda_runner",
                True,
                lambda: lambda_runner.install(cache_dir=cache_dir, endpoint_url=self.endpoint_url),
            ),
            ("stepfunctions", True, stepfunctions.install),
            ("stack_failures", True, stack_failures.install),
            ("custom_resources", True, custom_resources.install),
            ("skipped_types", True, skipped_types.install),
            ("lambda_async", True, lambda_async.install),
            ("sns_delivery", True, sns_delivery.install),
            (
                "events_delivery",
                True,
                lambda: events_delivery.install(schedule_time_scale=self.schedule_time_scale),
            ),
            ("stack_update", True, stack_update.install),
            ("limits", True, limits.install),
            ("write_order", True, write_order.install),
            ("iam_roles", True, iam_roles.install),
            ("iam_enforcement", self.iam, iam_enforcement.install),
            ("sagemaker", self.local_services, self._install_sagemaker),
            ("codebuild", self.local_services, self._install_codebuild),
            ("fast_waits", self.fast_waits, _install_fast_waits),
        ]

    def _install_sagemaker(self) -> Callable[[], None]:
        from sagebuild.local import sagemaker

        return sagemaker.install(self._service_dir("sagemaker"), region=self.region)

    def _install_codebuild(self) -> Callable[[], None]:
        from sagebuild.local import codebuild

        return codebuild.install(self._service_dir("codebuild"))

    def _service_dir(self, name: str) -> Path:
        path = self.work_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _set_env(self, key: str, value: str | None) -> None:
        if key not in self._saved_env:
            self._saved_env[key] = os.environ.get(key)
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value

    def _secure_environment(self) -> None:
        for key, value in SAFE_ENV.items():
            self._set_env(key, value)
        for key in UNSET_ENV:
            self._set_env(key, None)

    def _restore_environment(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()


def _install_fast_waits() -> Callable[[], None]:
    """Wait states and Retry intervals do not wait (tests); returns the undo."""
    stepfunctions.set_fast_waits(True)
    return lambda: stepfunctions.set_fast_waits(False)


@contextlib.contextmanager
def local_stack(**kwargs: Any) -> Any:
    """`with local_stack(...) as stack:` — same as `with LocalStack(...)`."""
    with LocalStack(**kwargs) as stack:
        yield stack


__all__ = ["DEFAULT_PARAMETERS", "DEFAULT_TEMPLATE", "LocalStack", "LocalStackError", "local_stack"]
