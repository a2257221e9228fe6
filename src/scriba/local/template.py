"""Reads ``template.yaml`` so the local run is wired exactly as the deployed stack.

Which handler backs which function, each function's environment and timeout, and the state
machine's definition substitutions all come from the template; nothing is repeated here. Intrinsic
functions are resolved against local names (the stack is called ``scriba`` locally).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "scriba"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !GetAtt, !Sub, ...)."""


def _construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct)


def read_template(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 (SafeLoader subclass)
    return document


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str
    timeout: int
    memory: int
    environment: dict[str, str]

    @property
    def arn(self) -> str:
        return function_arn(self.logical_id)


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    name: str
    definition: str  # substitutions applied
    arn: str


@dataclass(frozen=True)
class RuleSpec:
    """An EventBridge rule and the queues it delivers to."""

    logical_id: str
    name: str
    bus: str
    pattern: dict[str, Any]
    target_queues: list[str]  # queue logical ids


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class QueueSubscription:
    """A function fed by a queue (a Lambda event source mapping)."""

    function: str  # logical id
    queue: str  # logical id
    batch_size: int
    report_batch_item_failures: bool


@dataclass
class LocalStack:
    """The parts of the stack the local executor recreates."""

    root: Path
    functions: dict[str, FunctionSpec]
    state_machine: StateMachineSpec
    buckets: dict[str, str]  # logical id -> local bucket name
    queues: dict[str, QueueSpec]
    event_buses: dict[str, str]
    rules: list[RuleSpec] = field(default_factory=list)
    subscriptions: list[QueueSubscription] = field(default_factory=list)
    eventbridge_buckets: list[str] = field(default_factory=list)  # notifications enabled
    resources: dict[str, Any] = field(repr=False, default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    def function_by_name(self, name: str) -> FunctionSpec:
        """A function from the name or ARN a Lambda Invoke carries."""
        logical_id = name.rsplit(":", 1)[-1] if name.startswith("arn:") else name
        return self.functions[logical_id]

    @property
    def input_bucket(self) -> str:
        return self.buckets["InputBucket"]

    @property
    def output_bucket(self) -> str:
        return self.buckets["OutputBucket"]


def function_arn(logical_id: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"


class _Resolver:
    def __init__(self, template: dict[str, Any], parameters: Mapping[str, Any]) -> None:
        self.template = template
        self.resources: dict[str, Any] = template.get("Resources", {})
        self.parameters: dict[str, Any] = {}
        for name, spec in template.get("Parameters", {}).items():
            value = parameters.get(name, spec.get("Default"))
            if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
                value = [item.strip() for item in value.split(",")]
            self.parameters[name] = value
        self.pseudo = {
            "AWS::StackName": STACK,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }
        self.conditions: dict[str, bool] = {}
        for name, expression in template.get("Conditions", {}).items():
            self.conditions[name] = bool(self.resolve(expression))

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        kind = resource.get("Type", "")
        props = resource.get("Properties", {}) or {}
        for key in ("BucketName", "QueueName", "Name", "FunctionName", "StateMachineName"):
            if key in props:
                return str(self.resolve(props[key]))
        if kind == "AWS::S3::Bucket":
            return f"{STACK}-{_kebab(logical_id.removesuffix('Bucket'))}"
        if kind.startswith("AWS::Serverless::Function"):
            return logical_id
        return f"{STACK}-{_kebab(logical_id)}"

    def ref(self, name: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        if name in self.pseudo:
            return self.pseudo[name]
        kind = self.resources[name]["Type"]
        physical = self.physical_name(name)
        if kind in {"AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"}:
            return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{physical}"
        if kind == "AWS::SQS::Queue":
            return f"http://sqs.{REGION}.localhost/{ACCOUNT}/{physical}"
        return physical

    def get_att(self, name: str, attribute: str) -> Any:
        kind = self.resources[name]["Type"]
        physical = self.physical_name(name)
        if attribute == "Arn":
            if kind == "AWS::Serverless::Function":
                return function_arn(name)
            if kind == "AWS::SQS::Queue":
                return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{physical}"
            if kind == "AWS::S3::Bucket":
                return f"arn:aws:s3:::{physical}"
            if kind == "AWS::Events::EventBus":
                return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{physical}"
        if attribute == "QueueName":
            return physical
        if attribute == "Name":
            return physical
        return f"{physical}.{attribute}"

    def sub(self, value: Any) -> str:
        if isinstance(value, list):
            text, variables = value[0], {k: self.resolve(v) for k, v in value[1].items()}
        else:
            text, variables = value, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name:
                logical, attribute = name.split(".", 1)
                return str(self.get_att(logical, attribute))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, str(text))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not None]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                return self.get_att(*argument)
            if key == "Fn::Sub":
                return self.sub(argument)
            if key == "Fn::Join":
                return str(argument[0]).join(str(v) for v in self.resolve(argument[1]))
            if key == "Fn::Select":
                return self.resolve(argument[1])[int(self.resolve(argument[0]))]
            if key == "Fn::Split":
                return str(self.resolve(argument[1])).split(argument[0])
            if key == "Fn::If":
                name, yes, no = argument
                return self.resolve(yes if self.conditions[name] else no)
            if key == "Fn::Equals":
                left, right = (self.resolve(v) for v in argument)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(argument[0])
            if key == "Fn::And":
                return all(self.resolve(v) for v in argument)
            if key == "Fn::Or":
                return any(self.resolve(v) for v in argument)
            if key == "Condition":
                return self.conditions[argument]
        return {k: self.resolve(v) for k, v in value.items()}


def load_stack(root: Path, parameters: Mapping[str, Any] | None = None) -> LocalStack:
    """The local picture of ``root/template.yaml``."""
    template = read_template(root / "template.yaml")
    resolver = _Resolver(template, parameters or {})
    globals_ = template.get("Globals", {}).get("Function", {})
    global_env = resolver.resolve(globals_.get("Environment", {}).get("Variables", {}))
    functions: dict[str, FunctionSpec] = {}
    machine: StateMachineSpec | None = None
    buckets: dict[str, str] = {}
    queues: dict[str, QueueSpec] = {}
    buses: dict[str, str] = {}
    rules: list[RuleSpec] = []
    subscriptions: list[QueueSubscription] = []
    notifying: list[str] = []
    for logical_id, resource in resolver.resources.items():
        kind = resource.get("Type")
        props = resource.get("Properties", {}) or {}
        if kind == "AWS::Serverless::Function":
            env = {
                **global_env,
                **resolver.resolve(props.get("Environment", {}).get("Variables", {})),
            }
            functions[logical_id] = FunctionSpec(
                logical_id=logical_id,
                code_uri=root / str(props["CodeUri"]),
                handler=str(props.get("Handler", globals_.get("Handler", "app.handler"))),
                timeout=int(props.get("Timeout", globals_.get("Timeout", 3))),
                memory=int(props.get("MemorySize", globals_.get("MemorySize", 128))),
                environment={k: str(v) for k, v in env.items() if v is not None},
            )
            for event in (props.get("Events") or {}).values():
                if event.get("Type") == "SQS":
                    queue_arn = event["Properties"]["Queue"]
                    queue_id = queue_arn["Fn::GetAtt"][0]
                    subscriptions.append(
                        QueueSubscription(
                            function=logical_id,
                            queue=queue_id,
                            batch_size=int(event["Properties"].get("BatchSize", 10)),
                            report_batch_item_failures="ReportBatchItemFailures"
                            in event["Properties"].get("FunctionResponseTypes", []),
                        )
                    )
        elif kind == "AWS::Serverless::StateMachine":
            substitutions = resolver.resolve(props.get("DefinitionSubstitutions", {}))
            definition = (root / str(props["DefinitionUri"])).read_text(encoding="utf-8")
            for name, value in substitutions.items():
                definition = definition.replace("${" + name + "}", str(value))
            machine = StateMachineSpec(
                logical_id=logical_id,
                name=resolver.physical_name(logical_id),
                definition=definition,
                arn=resolver.ref(logical_id),
            )
        elif kind == "AWS::S3::Bucket":
            buckets[logical_id] = resolver.physical_name(logical_id)
            notification = props.get("NotificationConfiguration", {}) or {}
            bridge = notification.get("EventBridgeConfiguration", {}) or {}
            if resolver.resolve(bridge.get("EventBridgeEnabled", False)) in (True, "true"):
                notifying.append(logical_id)
        elif kind == "AWS::SQS::Queue":
            resolved = resolver.resolve(props)
            attributes = {
                key: json.dumps(value) if isinstance(value, dict) else str(value)
                for key, value in resolved.items()
                if key in ("VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy")
            }
            queues[logical_id] = QueueSpec(
                logical_id=logical_id,
                name=resolver.physical_name(logical_id),
                attributes=attributes,
            )
        elif kind == "AWS::Events::Rule":
            targets = []
            for target in props.get("Targets", []):
                arn = target["Arn"]
                if isinstance(arn, dict) and "Fn::GetAtt" in arn:
                    targets.append(arn["Fn::GetAtt"][0])
            rules.append(
                RuleSpec(
                    logical_id=logical_id,
                    name=resolver.physical_name(logical_id),
                    bus=str(resolver.resolve(props.get("EventBusName", "default"))),
                    pattern=resolver.resolve(props.get("EventPattern", {})),
                    target_queues=targets,
                )
            )
        elif kind == "AWS::Events::EventBus":
            buses[logical_id] = resolver.physical_name(logical_id)
    if machine is None:
        raise ValueError(f"{root / 'template.yaml'} defines no AWS::Serverless::StateMachine")
    return LocalStack(
        root=root,
        functions=functions,
        state_machine=machine,
        buckets=buckets,
        queues=queues,
        event_buses=buses,
        rules=rules,
        subscriptions=subscriptions,
        eventbridge_buckets=[buckets[b] for b in notifying],
        resources=resolver.resources,
        parameters=resolver.parameters,
    )
