"""CloudFormation custom resources in the local stack: Create, Update and Delete, as on AWS.

moto behaviours replaced (moto 5.2.5):
- `CustomModel.create_from_cloudformation_json` invokes the Lambda in a thread with a Docker-host
  ResponseURL and only ever sends Create; the response races moto's synchronous create loop.
  Ours invokes the function synchronously with a ResponseURL on a local receiver (crhelper's
  sender is short-circuited to it in-process, other senders PUT over plain HTTP) and reads the
  response when the invocation returns: no thread, no race, no sleep.
- Update: `CustomModel` has no `update_from_cloudformation_json` (moto turns a modified custom
  resource into None). Ours sends Update with OldResourceProperties; a new PhysicalResourceId
  sends Delete for the old one after the update, as CloudFormation's cleanup phase does.
- Delete: moto never sends Delete. Ours sends Delete to every custom resource, newest first,
  BEFORE moto deletes the other resources (so EmptyBucket can still empty its bucket), and
  when an update removes one.
- Failures: a FAILED response (or any error creating a resource) fails the stack with the
  resource's reason: a `<LogicalId> CREATE_FAILED` stack event carrying the reason, the stack
  rolled back to ROLLBACK_COMPLETE (UPDATE_FAILED / DELETE_FAILED for update and delete), and
  `StackStatusReason` set (`stack_failures`; the update's failure is handled here, with the
  cleanup phase). moto would raise out of the API call or hang in CREATE_IN_PROGRESS.
- crhelper waits up to 120 s on Delete for CloudWatch logs to flush; there are none locally, so
  `CfnResource._wait_for_cwlogs` is a no-op while installed.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from sagebuild.local import patching

from .stack_failures import Abort, ResourceFailed, fail_stack

RESPONSE_WAIT_SECONDS = 2.0


# --------------------------------------------------------------------------- receiver


class ResponseReceiver:
    """Collects custom resource responses by RequestId (in-process or via HTTP PUT)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._responses: dict[str, dict[str, Any]] = {}
        self._events: dict[str, threading.Event] = {}
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def prefix(self) -> str:
        server = self._ensure_server()
        return f"http://127.0.0.1:{server.server_address[1]}/cfn-response/"

    def url(self, request_id: str) -> str:
        return self.prefix + request_id

    def expect(self, request_id: str) -> None:
        with self._lock:
            self._events.setdefault(request_id, threading.Event())

    def deliver(self, request_id: str, body: dict[str, Any]) -> None:
        with self._lock:
            self._responses.setdefault(request_id, body)  # the first response wins
            event = self._events.setdefault(request_id, threading.Event())
        event.set()

    def take(self, request_id: str, timeout: float) -> dict[str, Any] | None:
        with self._lock:
            event = self._events.setdefault(request_id, threading.Event())
        event.wait(timeout)
        with self._lock:
            self._events.pop(request_id, None)
            return self._responses.pop(request_id, None)

    def deliver_url(self, url: str, body: Any) -> bool:
        """Deliver if `url` is one of ours (crhelper short-circuit); False otherwise."""
        if self._server is None or not str(url).startswith(self.prefix):
            return False
        if isinstance(body, (str, bytes)):
            body = json.loads(body)
        self.deliver(str(url)[len(self.prefix) :], body)
        return True

    def _ensure_server(self) -> http.server.ThreadingHTTPServer:
        with self._lock:
            if self._server is None:
                receiver = self

                class Handler(http.server.BaseHTTPRequestHandler):
                    def do_PUT(self) -> None:  # noqa: N802 - http.server API
                        length = int(self.headers.get("content-length") or 0)
                        raw = self.rfile.read(length)
                        request_id = self.path.rsplit("/", 1)[-1]
                        try:
                            body = json.loads(raw or b"{}")
                        except ValueError:
                            body = {"Status": "FAILED", "Reason": "response is not JSON"}
                        receiver.deliver(request_id, body)
                        self.send_response(200)
                        self.send_header("content-length", "0")
                        self.end_headers()

                    do_POST = do_PUT  # noqa: N815

                    def log_message(self, *args: Any) -> None:
                        return None

                server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
                server.daemon_threads = True
                thread = threading.Thread(
                    target=server.serve_forever, name="cfn-response-receiver", daemon=True
                )
                thread.start()
                self._server, self._thread = server, thread
            return self._server

    def close(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()


RECEIVER = ResponseReceiver()


# --------------------------------------------------------------------------- requests


def send_request(
    account_id: str,
    region_name: str,
    *,
    request_type: str,
    service_token: str,
    stack_id: str,
    logical_id: str,
    resource_type: str,
    properties: dict[str, Any],
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Invoke the custom resource's function synchronously; its SUCCESS response body.

    Raises ResourceFailed with the function's Reason on FAILED, an error, or no response.
    """
    from moto.awslambda.utils import get_backend as get_lambda_backend

    try:
        function = get_lambda_backend(account_id, region_name).get_function(service_token)
    except Exception as error:  # noqa: BLE001 - reported as the resource's failure
        raise ResourceFailed(
            logical_id, resource_type, f"ServiceToken {service_token} not found: {error}"
        ) from error
    request_id = str(uuid.uuid4())
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": service_token,
        "ResponseURL": RECEIVER.url(request_id),
        "StackId": stack_id,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": properties,
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = old_properties
    RECEIVER.expect(request_id)
    headers: dict[str, Any] = {}
    payload = function.invoke(json.dumps(event), {}, headers)
    response = RECEIVER.take(request_id, timeout=RESPONSE_WAIT_SECONDS)
    if response is None:
        detail = ""
        if "x-amz-function-error" in headers:
            with contextlib.suppress(Exception):
                detail = ": " + json.loads(payload).get("errorMessage", "")
        raise ResourceFailed(
            logical_id,
            resource_type,
            f"{request_type} got no response from {function.function_name}{detail}",
        )
    if response.get("Status") != "SUCCESS":
        reason = response.get("Reason") or "no reason given"
        raise ResourceFailed(logical_id, resource_type, f"{request_type} failed: {reason}")
    return response


def _meta(resource: Any) -> dict[str, Any]:
    return resource.__dict__.setdefault("sagebuild", {})


After = Callable[[Any, dict[str, Any], str], None]


def after_create(then: After) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The `patching.wrap` maker for a moto model's create_from_cloudformation_json: moto's
    own, then `then(resource, properties, account_id)` on what it returned (moto's signature,
    as moto/cloudformation/parsing.py calls it)."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def create_from_cloudformation_json(
            cls: Any,
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> Any:
            resource = original(
                cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
            )
            then(resource, cloudformation_json.get("Properties") or {}, account_id)
            return resource

        return create_from_cloudformation_json

    return make


def after_update(then: After) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The same for update_from_cloudformation_json (moto's signature)."""

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def update_from_cloudformation_json(
            cls: Any,
            original_resource: Any,
            new_resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
        ) -> Any:
            resource = original(
                cls,
                original_resource,
                new_resource_name,
                cloudformation_json,
                account_id,
                region_name,
            )
            then(resource, cloudformation_json.get("Properties") or {}, account_id)
            return resource

        return update_from_cloudformation_json

    return make


# --------------------------------------------------------------------------- CustomModel


def _create(
    cls: Any,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    from moto.cloudformation import cloudformation_backends
    from moto.cloudformation.custom_model import CustomModel

    logical_id = kwargs["LogicalId"]
    stack_id = kwargs["StackId"]
    resource_type = kwargs["ResourceType"]
    properties = cloudformation_json["Properties"]
    service_token = properties["ServiceToken"]
    custom = CustomModel(  # type: ignore[abstract]
        region_name, str(uuid.uuid4()), logical_id, resource_name
    )
    stack = cloudformation_backends[account_id][region_name].get_stack(stack_id)
    stack.add_custom_resource(custom)
    response = send_request(
        account_id,
        region_name,
        request_type="Create",
        service_token=service_token,
        stack_id=stack_id,
        logical_id=logical_id,
        resource_type=resource_type,
        properties=properties,
    )
    custom.resource_name = response.get("PhysicalResourceId") or resource_name
    _meta(custom).update(
        account_id=account_id,
        stack_id=stack_id,
        resource_type=resource_type,
        properties=properties,
        deleted=False,
    )
    custom.set_data(response.get("Data") or {})
    return custom


def _update(
    cls: Any,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    meta = _meta(original_resource)
    properties = cloudformation_json["Properties"]
    old_physical_id = original_resource.physical_resource_id
    try:
        response = send_request(
            account_id,
            region_name,
            request_type="Update",
            service_token=properties["ServiceToken"],
            stack_id=meta["stack_id"],
            logical_id=original_resource.logical_id,
            resource_type=cloudformation_json["Type"],
            properties=properties,
            physical_id=old_physical_id,
            old_properties=meta["properties"],
        )
    except ResourceFailed as failure:
        raise Abort(failure) from failure
    new_physical_id = response.get("PhysicalResourceId") or old_physical_id
    if new_physical_id != old_physical_id:
        meta.setdefault("replaced", []).append((old_physical_id, dict(meta["properties"])))
    meta.update(properties=properties, resource_type=cloudformation_json["Type"])
    original_resource.resource_name = new_physical_id
    original_resource.set_data(response.get("Data") or {})
    return original_resource


def send_delete(resource: Any, physical_id: str | None = None, properties: Any = None) -> None:
    """Send Delete to a custom resource created by `_create` (once)."""
    meta = _meta(resource)
    if not meta or (meta.get("deleted") and physical_id is None):
        return
    send_request(
        meta["account_id"],
        resource.region_name,
        request_type="Delete",
        service_token=(properties or meta["properties"])["ServiceToken"],
        stack_id=meta["stack_id"],
        logical_id=resource.logical_id,
        resource_type=meta["resource_type"],
        properties=properties or meta["properties"],
        physical_id=physical_id or resource.physical_resource_id,
    )
    if physical_id is None:
        meta["deleted"] = True


def _custom_delete(self: Any, account_id: str, region_name: str) -> None:
    send_delete(self)


def _patches() -> list[patching.Patch]:
    from crhelper.resource_helper import CfnResource
    from moto.cloudformation import models as cfn_models
    from moto.cloudformation import parsing
    from moto.cloudformation.custom_model import CustomModel

    Stack = cfn_models.Stack  # noqa: N806 - the class
    ResourceMap = parsing.ResourceMap  # noqa: N806

    def crhelper_send(original_send: Callable[..., Any]) -> Callable[..., None]:
        def _send(
            self: Any, status: Any = None, reason: str = "", send_response: Any = None
        ) -> None:
            from crhelper import utils

            def deliver(url: str, body: Any, ssl_verify: Any = None) -> None:
                if not RECEIVER.deliver_url(url, body):
                    utils._send_response(url, body, ssl_verify)  # type: ignore[attr-defined]

            original_send(self, status, reason, send_response=send_response or deliver)

        return _send

    return [
        # custom resources
        (CustomModel, "create_from_cloudformation_json", classmethod(_create)),
        (CustomModel, "update_from_cloudformation_json", classmethod(_update)),
        (CustomModel, "delete", _custom_delete),
        # crhelper: deliver to our receiver in-process, and do not wait for CloudWatch logs
        patching.wrap(CfnResource, "_send", crhelper_send),
        (CfnResource, "_wait_for_cwlogs", lambda self, sleep=None: None),
        # an update fails its stack; then Delete for replaced custom resources (cleanup phase)
        patching.wrap(Stack, "update", _stack_update),
        # Delete for every custom resource before moto deletes the others
        patching.wrap(ResourceMap, "delete", _map_delete),
    ]


def _stack_update(original_update: Callable[..., Any]) -> Callable[..., None]:
    def update(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            original_update(self, *args, **kwargs)
        except (Exception, Abort) as error:  # noqa: BLE001
            fail_stack(self, "update", "UPDATE_FAILED", error)
            return
        # cleanup phase: Delete for custom resources that got a new physical id
        for resource in list(self.custom_resources.values()):
            for physical_id, properties in _meta(resource).pop("replaced", []):
                with contextlib.suppress(ResourceFailed):
                    send_delete(resource, physical_id=physical_id, properties=properties)

    return update


def _map_delete(original_map_delete: Callable[..., Any]) -> Callable[..., None]:
    from moto.cloudformation.custom_model import CustomModel

    def map_delete(self: Any) -> None:
        for logical_id, resource in reversed(list(self._parsed_resources.items())):
            if not isinstance(resource, CustomModel) or not _meta(resource):
                continue
            resource_json = self._resource_json_map.get(logical_id, {})
            if resource_json.get("DeletionPolicy") == "Retain":
                continue
            try:
                send_delete(resource)
            except ResourceFailed as failure:
                raise Abort(failure) from failure
        original_map_delete(self)

    return map_delete


def install() -> Callable[[], None]:
    """Apply the patches above; returns the uninstall callable."""
    return patching.install(_patches())


__all__ = [
    "RECEIVER",
    "ResourceFailed",
    "ResponseReceiver",
    "after_create",
    "after_update",
    "install",
    "send_delete",
    "send_request",
]
