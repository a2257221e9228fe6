"""Is every AWS call a function makes allowed by its role in template.yaml?

``CallRecorder`` sees each call a botocore session makes, with its parameters as the caller
gave them (a ``provide-client-params`` hook: it runs before a fake service answers), and notes
which function made it.
``permissions`` says what IAM checks for a call: the action, the resource's ARN and the
condition keys it sets (``s3:prefix`` for a listing). ``Role`` evaluates a role's statements, as
the stack resolves them with the local names (``LocalStack.resolve``): an Allow whose action and
resource patterns match and whose ``StringLike``/``StringEquals`` conditions hold. Conditions on
other keys are not modelled; every role statement of the template only uses ``s3:prefix``.
"""

from __future__ import annotations

import fnmatch
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from scriba.local.functions import running_function
from scriba.local.template import ACCOUNT, REGION, LocalStack


@dataclass(frozen=True)
class Call:
    function: str
    service: str  # botocore's service id, hyphenated: s3, sfn, sqs, eventbridge, textract...
    operation: str  # GetObject, StartExecution...
    params: Mapping[str, Any]


@dataclass
class CallRecorder:
    """Every call made through the sessions it is installed on, with the function making it:
    the local executor's ``running_function``, else ``default``."""

    default: str | None = None
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, session: Any) -> None:
        session.events.register("provide-client-params.*.*", self._record)

    def uninstall(self, session: Any) -> None:
        session.events.unregister("provide-client-params.*.*", self._record)

    def _record(self, model: Any, params: Mapping[str, Any], **_: Any) -> None:
        function = running_function.get() or self.default
        if function is None:
            return  # the test's own calls (setting up, reading results)
        service = model.service_model.service_id.hyphenize()
        call = Call(function, service, model.name, dict(params))
        with self._lock:
            self.calls.append(call)

    def functions(self) -> set[str]:
        return {call.function for call in self.calls}


# -- what IAM checks for a call ------------------------------------------------------------------


@dataclass(frozen=True)
class Permission:
    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        where = f" with {dict(self.context)}" if self.context else ""
        return f"{self.action} on {self.resource}{where}"


def _object(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _s3(operation: str, params: Mapping[str, Any]) -> list[Permission]:
    bucket = str(params.get("Bucket", ""))
    versioned = bool(params.get("VersionId"))
    read = "s3:GetObjectVersion" if versioned else "s3:GetObject"
    prefix = {"s3:prefix": str(params.get("Prefix", ""))}
    by_operation: dict[str, Callable[[], list[Permission]]] = {
        "HeadObject": lambda: [Permission(read, _object(bucket, params["Key"]))],
        "GetObject": lambda: [Permission(read, _object(bucket, params["Key"]))],
        "PutObject": lambda: [Permission("s3:PutObject", _object(bucket, params["Key"]))],
        "CreateMultipartUpload": lambda: [
            Permission("s3:PutObject", _object(bucket, params["Key"]))
        ],
        "UploadPart": lambda: [Permission("s3:PutObject", _object(bucket, params["Key"]))],
        "CompleteMultipartUpload": lambda: [
            Permission("s3:PutObject", _object(bucket, params["Key"]))
        ],
        "ListObjectsV2": lambda: [Permission("s3:ListBucket", f"arn:aws:s3:::{bucket}", prefix)],
        "ListObjectVersions": lambda: [
            Permission("s3:ListBucketVersions", f"arn:aws:s3:::{bucket}", prefix)
        ],
        "CopyObject": lambda: _copy(bucket, params),
    }
    return by_operation[operation]()


def _copy(bucket: str, params: Mapping[str, Any]) -> list[Permission]:
    source = params["CopySource"]
    if isinstance(source, str):
        source_bucket, _, source_key = source.lstrip("/").partition("/")
        versioned = "versionId=" in source_key
        source_key = source_key.split("?", 1)[0]
    else:
        source_bucket, source_key = source["Bucket"], source["Key"]
        versioned = bool(source.get("VersionId"))
    read = "s3:GetObjectVersion" if versioned else "s3:GetObject"
    return [
        Permission(read, _object(source_bucket, source_key)),
        Permission("s3:PutObject", _object(bucket, params["Key"])),
    ]


def _table(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


# A transaction is authorized by the actions of its items (DynamoDB developer guide, "Using IAM
# with DynamoDB transactions").
_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def _dynamodb(operation: str, params: Mapping[str, Any]) -> list[Permission]:
    if operation == "TransactWriteItems":
        return [
            Permission(_TRANSACT_ACTIONS[kind], _table(str(item["TableName"])))
            for entry in params["TransactItems"]
            for kind, item in entry.items()
        ]
    return [Permission(f"dynamodb:{operation}", _table(str(params["TableName"])))]


def _queue_arn(url: str) -> str:
    parts = urlparse(url).path.strip("/").split("/")
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{parts[-1]}"


# The geographies of Bedrock's system-defined cross-region inference profiles.
_PROFILE = re.compile(r"^(us|eu|apac|us-gov|global|jp|au|ca)\.(?=[a-z0-9-]+\.)")
# Where a profile of each geography may route a request (one region each is enough here: IAM
# must allow the foundation model there, not only in the region of the call).
ROUTED_REGION = {"us": "us-west-2", "eu": "eu-west-3", "apac": "ap-northeast-1", "global": ""}


def bedrock_invocation(model_id: str) -> list[Permission]:
    """What IAM checks for a Converse call: with a foundation model id, that model in this
    region; with an inference profile id, the profile in this region and account, then the
    foundation model in the region the profile routes the request to."""
    profile = _PROFILE.match(model_id)
    if profile is None:
        return [
            Permission(
                "bedrock:InvokeModel", f"arn:aws:bedrock:{REGION}::foundation-model/{model_id}"
            )
        ]
    routed = ROUTED_REGION.get(profile.group(1), REGION)
    model = model_id[profile.end() :]
    return [
        Permission(
            "bedrock:InvokeModel",
            f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{model_id}",
        ),
        Permission("bedrock:InvokeModel", f"arn:aws:bedrock:{routed}::foundation-model/{model}"),
    ]


def permissions(call: Call) -> list[Permission]:
    """What IAM authorizes for ``call``: one or more actions, each on a resource."""
    params = call.params
    by_service: dict[str, Callable[[], list[Permission]]] = {
        "s3": lambda: _s3(call.operation, params),
        "sfn": lambda: [
            Permission(
                f"states:{call.operation}",
                str(params.get("stateMachineArn") or params["executionArn"]),
            )
        ],
        "sqs": lambda: [_sqs(call.operation, params)],
        "eventbridge": lambda: [
            Permission(
                "events:PutEvents",
                f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/"
                + str(params["Entries"][0].get("EventBusName", "default")),
            )
        ],
        "bedrock-runtime": lambda: bedrock_invocation(str(params["modelId"])),
        "dynamodb": lambda: _dynamodb(call.operation, params),
    }
    if call.service in by_service:
        return by_service[call.service]()
    return [Permission(f"{call.service}:{call.operation}", "*")]


def _sqs(operation: str, params: Mapping[str, Any]) -> Permission:
    # SendMessageBatch is authorized as sqs:SendMessage (and DeleteMessageBatch as DeleteMessage).
    action = operation.removesuffix("Batch")
    return Permission(f"sqs:{action}", _queue_arn(str(params["QueueUrl"])))


# -- what a role allows --------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _conditions_hold(condition: Mapping[str, Any] | None, context: Mapping[str, str]) -> bool:
    for operator, tests in (condition or {}).items():
        for key, wanted in tests.items():
            value = context.get(key)
            if value is None:
                return False
            patterns = [str(pattern) for pattern in _as_list(wanted)]
            if operator == "StringLike" and not any(
                fnmatch.fnmatchcase(value, p) for p in patterns
            ):
                return False
            if operator == "StringEquals" and value not in patterns:
                return False
    return True


@dataclass(frozen=True)
class Role:
    logical_id: str
    statements: list[Mapping[str, Any]]

    @classmethod
    def of_function(cls, stack: LocalStack, function: str) -> Role:
        """The role of a function of the stack, its statements resolved with the local names."""
        reference = stack.resources[function]["Properties"]["Role"]
        role_id = reference["Fn::GetAtt"][0]
        policies = stack.resolve(stack.resources[role_id]["Properties"].get("Policies", []))
        statements = [
            statement
            for policy in policies
            for statement in _as_list(policy["PolicyDocument"]["Statement"])
        ]
        return cls(role_id, statements)

    def allows(self, permission: Permission) -> bool:
        for statement in self.statements:
            if statement.get("Effect") != "Allow":
                continue
            actions = [str(action) for action in _as_list(statement["Action"])]
            resources = [str(resource) for resource in _as_list(statement["Resource"])]
            if (
                any(fnmatch.fnmatchcase(permission.action, action) for action in actions)
                and any(fnmatch.fnmatchcase(permission.resource, r) for r in resources)
                and _conditions_hold(statement.get("Condition"), permission.context)
            ):
                return True
        return False


def refused(stack: LocalStack, calls: Iterable[Call]) -> list[str]:
    """Every call that the role of the function that made it does not allow, said plainly."""
    roles: dict[str, Role] = {}
    problems: list[str] = []
    for call in calls:
        role = roles.setdefault(call.function, Role.of_function(stack, call.function))
        for permission in permissions(call):
            if not role.allows(permission):
                problem = f"{call.function} ({role.logical_id}) may not {permission}"
                if problem not in problems:
                    problems.append(problem)
    return problems
