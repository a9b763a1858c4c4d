"""Resource types moto's CloudFormation skips, created by the local stack instead.

moto behaviour replaced (moto 5.2.5): a resource type without a moto model is logged ("No Moto
CloudFormation support for ...") and silently skipped; the stack still reaches CREATE_COMPLETE
and `list_stack_resources` shows a row with an empty LogicalResourceId.

Here, the skipped types the project uses get small CloudFormation models of their own (moto
discovers them as direct `CloudFormationModel` subclasses), so they are created in dependency
order, resolve in Ref/GetAtt, show in the stack's resources and are deleted with the stack:

- AWS::SNS::Subscription (SAM's SNS events), AWS::CodeBuild::Project,
  AWS::CodeCommit::Repository, AWS::S3::BucketPolicy, AWS::SNS::TopicPolicy,
  AWS::SQS::QueuePolicy: created in moto's backends.
- NOT_EMULATED (e.g. AWS::CloudWatch::Alarm): accepted and recorded (`recorded()`), nothing
  runs them locally.

Any other type moto has no model for fails the deploy, naming its logical id and type.
AWS::Events::Rule is a moto model (rule and targets stored); `events_delivery` matches events
against its pattern, fires its schedule and delivers to its targets.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from moto.core.common_models import CloudFormationModel
from moto.moto_api._internal import mock_random

from sagebuild.local import patching

from .stack_failures import ResourceFailed

#: Types accepted without emulation, with the reason shown to users.
NOT_EMULATED: dict[str, str] = {
    "AWS::CloudWatch::Alarm": "alarms are recorded but never evaluated locally",
    "AWS::Lambda::EventInvokeConfig": "async retry settings are recorded, not applied locally",
}


@dataclass(frozen=True)
class RecordedResource:
    stack_id: str
    logical_id: str
    resource_type: str
    reason: str
    properties: dict[str, Any]


_RECORDED: list[RecordedResource] = []
_RECORDED_LOCK = threading.Lock()


def recorded() -> list[RecordedResource]:
    """Resources accepted but not emulated (see NOT_EMULATED), in creation order."""
    with _RECORDED_LOCK:
        return list(_RECORDED)


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _suffix() -> str:
    return mock_random.get_random_string(length=12, include_digits=True, lower_case=False)


def _api_shape(value: Any) -> Any:
    """CloudFormation PascalCase properties → the API's camelCase (BuildSpec → buildspec)."""
    if isinstance(value, dict):
        shaped = {}
        for key, item in value.items():
            name = "buildspec" if key == "BuildSpec" else key[:1].lower() + key[1:]
            shaped[name] = _api_shape(item)
        return shaped
    if isinstance(value, list):
        return [_api_shape(item) for item in value]
    return value


class SkippedResource:
    """The one base of the models below: what CloudFormation asks of any of them.

    moto discovers models as direct `CloudFormationModel` subclasses, so this is a mixin:
    `class Model(SkippedResource, CloudFormationModel)`. A model names its `resource_type`
    (and `name_property`, the property that holds a given physical name), creates its
    resource in `create(properties, name, account_id, region)` and removes it in `delete`
    (nothing, by default). Ref is `physical_id`; GetAtt reads `attributes`. An update
    replaces the resource (delete, then create).
    """

    resource_type: ClassVar[str] = ""
    name_property: ClassVar[str] = ""
    physical_id: str = ""
    attributes: dict[str, Any]

    @classmethod
    def create(
        cls, properties: dict[str, Any], name: str, account_id: str, region: str, **context: Any
    ) -> Any:
        """Create the resource `properties` describe; the model of it (Ref, GetAtt, delete)."""
        raise NotImplementedError

    def delete(self, account_id: str, region_name: str) -> None:
        return None

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.resource_type

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.name_property

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def is_created(self) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        attributes: dict[str, Any] = getattr(self, "attributes", {})
        if attribute_name in attributes:
            return attributes[attribute_name]
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        properties = cloudformation_json.get("Properties") or {}
        return cls.create(properties, resource_name, account_id, region_name, **kwargs)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        return None


class SnsSubscription(SkippedResource, CloudFormationModel):
    """AWS::SNS::Subscription → SNS Subscribe (+ FilterPolicy, RawMessageDelivery)."""

    resource_type = "AWS::SNS::Subscription"

    def __init__(self, account_id: str, region: str, arn: str) -> None:
        self.account_id, self.region, self.physical_id = account_id, region, arn

    @classmethod
    def create(
        cls, properties: dict[str, Any], name: str, account_id: str, region: str, **context: Any
    ) -> SnsSubscription:
        from moto.sns.models import sns_backends

        topic_arn = properties["TopicArn"]
        region = properties.get("Region") or topic_arn.split(":")[3] or region
        backend = sns_backends[account_id][region]
        subscription = backend.subscribe(topic_arn, properties["Endpoint"], properties["Protocol"])
        for attribute in (
            "FilterPolicy",
            "FilterPolicyScope",
            "RawMessageDelivery",
            "RedrivePolicy",
            "DeliveryPolicy",
        ):
            if attribute in properties:
                value = properties[attribute]
                if isinstance(value, bool):
                    value = "true" if value else "false"
                backend.set_subscription_attributes(subscription.arn, attribute, _json(value))
        return cls(account_id, region, subscription.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.sns.models import sns_backends

        sns_backends[self.account_id][self.region].unsubscribe(self.physical_id)


class CodeBuildProject(SkippedResource, CloudFormationModel):
    """AWS::CodeBuild::Project → CodeBuild CreateProject (the API shape local CodeBuild reads)."""

    resource_type = "AWS::CodeBuild::Project"
    name_property = "Name"

    def __init__(self, account_id: str, region: str, name: str, arn: str) -> None:
        self.account_id, self.region, self.physical_id = account_id, region, name
        self.attributes = {"Arn": arn}

    @classmethod
    def create(
        cls, properties: dict[str, Any], name: str, account_id: str, region: str, **context: Any
    ) -> CodeBuildProject:
        from moto.codebuild.models import codebuild_backends

        name = properties.get("Name", name)
        backend = codebuild_backends[account_id][region]
        backend.create_project(
            project_name=name,
            description=properties.get("Description"),
            project_source=_api_shape(properties.get("Source", {"Type": "NO_SOURCE"})),
            artifacts=_api_shape(properties.get("Artifacts", {"Type": "NO_ARTIFACTS"})),
            environment=_api_shape(properties.get("Environment", {})),
            service_role=properties.get("ServiceRole", ""),
            tags=_api_shape(properties.get("Tags")),
            cache=_api_shape(properties.get("Cache")),
            timeout=properties.get("TimeoutInMinutes"),
            queued_timeout=properties.get("QueuedTimeoutInMinutes"),
            source_version=properties.get("SourceVersion"),
            logs_config=_api_shape(properties.get("LogsConfig")),
            vpc_config=_api_shape(properties.get("VpcConfig")),
        )
        arn = backend.codebuild_projects[name].arn
        return cls(account_id, region, name, arn)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.codebuild.models import codebuild_backends

        codebuild_backends[self.account_id][self.region].delete_project(self.physical_id)


class CodeCommitRepository(SkippedResource, CloudFormationModel):
    """AWS::CodeCommit::Repository → CodeCommit CreateRepository (Ref = repository id)."""

    resource_type = "AWS::CodeCommit::Repository"
    name_property = "RepositoryName"

    def __init__(self, account_id: str, region: str, metadata: dict[str, Any]) -> None:
        self.account_id, self.region = account_id, region
        self.name = metadata["repositoryName"]
        self.physical_id = metadata["repositoryId"]
        self.attributes = {
            "Arn": metadata["Arn"],
            "CloneUrlHttp": metadata["cloneUrlHttp"],
            "CloneUrlSsh": metadata["cloneUrlSsh"],
            "Name": self.name,
        }

    @classmethod
    def create(
        cls, properties: dict[str, Any], name: str, account_id: str, region: str, **context: Any
    ) -> CodeCommitRepository:
        from moto.codecommit.models import codecommit_backends

        metadata = codecommit_backends[account_id][region].create_repository(
            properties.get("RepositoryName", name), properties.get("RepositoryDescription", "")
        )
        return cls(account_id, region, metadata)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.codecommit.models import codecommit_backends

        codecommit_backends[self.account_id][self.region].delete_repository(self.name)


def _without_tls_denies(document: Any) -> Any:
    """The policy without its "deny unless aws:SecureTransport" statements.

    moto evaluates bucket policies but ignores their Condition blocks, so a TLS-only Deny
    would deny every request; the local endpoint is plain HTTP on 127.0.0.1 anyway.
    """
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = [
        statement
        for statement in statements
        if not (
            statement.get("Effect") == "Deny"
            and "aws:SecureTransport" in json.dumps(statement.get("Condition", {}))
        )
    ]
    return {**document, "Statement": kept}


class S3BucketPolicy(SkippedResource, CloudFormationModel):
    """AWS::S3::BucketPolicy → S3 PutBucketPolicy."""

    resource_type = "AWS::S3::BucketPolicy"

    def __init__(self, account_id: str, bucket: str) -> None:
        self.account_id, self.bucket = account_id, bucket
        self.physical_id = f"{bucket}-policy-{_suffix()}"

    @classmethod
    def create(
        cls, properties: dict[str, Any], name: str, account_id: str, region: str, **context: Any
    ) -> S3BucketPolicy:
        from moto.s3.models import s3_backends

        bucket = properties["Bucket"]
        policy = _json(_without_tls_denies(properties["PolicyDocument"])).encode("utf-8")
        s3_backends[account_id]["aws"].put_bucket_policy(bucket, policy)
        return cls(account_id, bucket)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.s3.models import s3_backends

        try:
            s3_backends[self.account_id]["aws"].delete_bucket_policy(self.bucket)
        except Exception:  # noqa: BLE001 - the bucket is already gone: nothing to remove
            return


class SnsTopicPolicy(SkippedResource, CloudFormationModel):
    """AWS::SNS::TopicPolicy → SNS SetTopicAttributes Policy on each topic.

    Its delete removes nothing: AWS puts the default policy back; moto keeps no default to
    restore.
    """

    resource_type = "AWS::SNS::TopicPolicy"

    def __init__(self, topics: list[str]) -> None:
        self.topics = topics
        self.physical_id = f"topic-policy-{_suffix()}"

    @classmethod
    def create(
        cls, properties: dict[str, Any], name: str, account_id: str, region: str, **context: Any
    ) -> SnsTopicPolicy:
        from moto.sns.models import sns_backends

        topics = list(properties["Topics"])
        for arn in topics:
            sns_backends[account_id][arn.split(":")[3]].set_topic_attribute(
                arn, "Policy", _json(properties["PolicyDocument"])
            )
        return cls(topics)


class SqsQueuePolicy(SkippedResource, CloudFormationModel):
    """AWS::SQS::QueuePolicy → SQS SetQueueAttributes Policy on each queue URL."""

    resource_type = "AWS::SQS::QueuePolicy"

    def __init__(self) -> None:
        self.physical_id = f"queue-policy-{_suffix()}"

    @classmethod
    def create(
        cls, properties: dict[str, Any], name: str, account_id: str, region: str, **context: Any
    ) -> SqsQueuePolicy:
        from moto.sqs.models import sqs_backends

        for url in properties["Queues"]:
            sqs_backends[account_id][region].set_queue_attributes(
                url.rstrip("/").rsplit("/", 1)[-1],
                {"Policy": _json(properties["PolicyDocument"])},
            )
        return cls()


class _Recorded(SkippedResource):
    """Accepted and recorded as not emulated (`recorded()`); one model per NOT_EMULATED type."""

    reason: ClassVar[str] = ""

    @classmethod
    def create(
        cls, properties: dict[str, Any], name: str, account_id: str, region: str, **context: Any
    ) -> _Recorded:
        item = RecordedResource(
            stack_id=context.get("StackId", ""),
            logical_id=context.get("LogicalId", name),
            resource_type=cls.resource_type,
            reason=cls.reason,
            properties=dict(properties),
        )
        with _RECORDED_LOCK:
            _RECORDED.append(item)
        resource = cls()
        resource.physical_id = name
        service = cls.resource_type.split("::")[1].lower()
        resource.attributes = {"Arn": f"arn:aws:{service}:{region}:{account_id}:{name}"}
        return resource


def _recorded_model(resource_type: str, reason: str) -> type[CloudFormationModel]:
    """A model that accepts `resource_type` and records it as not emulated."""
    name = "Recorded" + resource_type.replace("::", "")
    return type(
        name,
        (_Recorded, CloudFormationModel),
        {"resource_type": resource_type, "reason": reason, "__init__": lambda self: None},
    )


_RECORDED_MODELS: dict[str, type[CloudFormationModel]] = {}


# --------------------------------------------------------------------------- install


def is_supported(resource_type: str) -> bool:
    """Whether the local stack creates (or records) this resource type."""
    from moto.cloudformation.parsing import NULL_MODELS, get_model_map

    return (
        resource_type.startswith("Custom::")
        or resource_type in NULL_MODELS
        or resource_type in get_model_map()
    )


def unsupported_resources(template: dict[str, Any]) -> list[tuple[str, str]]:
    """(logical id, type) of every resource in a transformed template nobody would create."""
    return [
        (logical_id, resource.get("Type", ""))
        for logical_id, resource in (template.get("Resources") or {}).items()
        if not is_supported(resource.get("Type", ""))
    ]


def _refresh_model_map() -> None:
    from moto.cloudformation import parsing

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


def install() -> Callable[[], None]:
    """Register the models above and fail on unknown types; returns the uninstall callable."""
    from moto.cloudformation import parsing

    for resource_type, reason in NOT_EMULATED.items():
        if resource_type not in _RECORDED_MODELS:
            _refresh_model_map()
            if resource_type in parsing.get_model_map():
                continue  # a newer moto emulates it
            _RECORDED_MODELS[resource_type] = _recorded_model(resource_type, reason)
    _refresh_model_map()

    # The models stay registered after uninstall (Python cannot unregister a subclass); they
    # are inert outside a CloudFormation deploy. The unknown-type check is removed.
    return patching.install(
        [patching.wrap(parsing, "parse_and_create_resource", _unknown_types_fail)]
    )


def _unknown_types_fail(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse_and_create_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, *args: Any, **kw: Any
    ) -> Any:
        resource_type = resource_json.get("Type", "")
        condition = resource_json.get("Condition")
        skipped = bool(condition) and not resources_map.lazy_condition_map[condition]
        if not skipped and not is_supported(resource_type):
            raise ResourceFailed(
                logical_id,
                resource_type,
                f"resource type {resource_type} is not emulated by the local stack "
                "(moto has no CloudFormation model for it and sagebuild adds none)",
            )
        return original(logical_id, resource_json, resources_map, *args, **kw)

    return parse_and_create_resource
