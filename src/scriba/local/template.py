"""Reads ``template.yaml`` so the local run is wired exactly as the deployed stack.

Which handler backs which function, each function's environment and timeout, and the state
machine's definition substitutions all come from the template; nothing is repeated here. Intrinsic
functions are resolved against local names (the stack is called ``scriba`` locally).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK = "scriba"
STACK_ID = (
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/00000000-0000-4000-8000-000000000000"
)


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


@dataclass(frozen=True)
class ExecutionListener:
    """A function a rule invokes with Step Functions' execution status change events (its
    ``EventBridgeRule`` event whose pattern's source is ``aws.states``)."""

    function: str  # logical id
    pattern: dict[str, Any]


@dataclass(frozen=True)
class ScheduleSpec:
    """A function invoked on a schedule (its ``Schedule`` event)."""

    function: str  # logical id
    expression: str  # rate(...) or cron(...)
    input: str  # the event's JSON

    @property
    def seconds(self) -> float | None:
        """The period of a ``rate()`` expression; None for a cron expression."""
        found = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", self.expression)
        if not found:
            return None
        unit = {"minute": 60, "hour": 3600, "day": 86400}[found.group(2).rstrip("s")]
        return int(found.group(1)) * unit


@dataclass
class LocalStack:
    """The parts of the stack the local executor recreates."""

    root: Path
    functions: dict[str, FunctionSpec]
    state_machine: StateMachineSpec  # the pipeline: the one the functions start
    buckets: dict[str, str]  # logical id -> local bucket name
    queues: dict[str, QueueSpec]
    event_buses: dict[str, str]
    rules: list[RuleSpec] = field(default_factory=list)
    subscriptions: list[QueueSubscription] = field(default_factory=list)
    eventbridge_buckets: list[str] = field(default_factory=list)  # notifications enabled
    tables: dict[str, str] = field(default_factory=dict)  # logical id -> DynamoDB table name
    execution_listeners: list[ExecutionListener] = field(default_factory=list)
    schedules: list[ScheduleSpec] = field(default_factory=list)
    resources: dict[str, Any] = field(repr=False, default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    # Every state machine by logical id (the pipeline and the backfill).
    state_machines: dict[str, StateMachineSpec] = field(default_factory=dict)
    # Resolves a template value (intrinsic functions, conditions) against the local names.
    resolve: Callable[[Any], Any] = field(repr=False, default=lambda value: value)

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
    """CloudFormation's intrinsic functions, resolved against the stack's local names."""

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
            "AWS::StackId": STACK_ID,
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
        arn = _ARNS.get(kind) if attribute == "Arn" else None
        if arn is not None:
            return arn(name, physical)
        if attribute in ("QueueName", "Name"):
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
            intrinsic = _INTRINSICS.get(key)
            if intrinsic is not None:
                return intrinsic(self, argument)
        return {k: self.resolve(v) for k, v in value.items()}


# The ARN ``!GetAtt X.Arn`` gives, by resource type, from the logical id and physical name.
_ARNS: dict[str, Callable[[str, str], str]] = {
    "AWS::Serverless::Function": lambda logical_id, _: function_arn(logical_id),
    "AWS::SQS::Queue": lambda _, physical: f"arn:aws:sqs:{REGION}:{ACCOUNT}:{physical}",
    "AWS::S3::Bucket": lambda _, physical: f"arn:aws:s3:::{physical}",
    "AWS::DynamoDB::Table": (
        lambda _, physical: f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{physical}"
    ),
    "AWS::Events::EventBus": (
        lambda _, physical: f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{physical}"
    ),
}


def _join(resolver: _Resolver, argument: Any) -> str:
    return str(argument[0]).join(str(v) for v in resolver.resolve(argument[1]))


def _select(resolver: _Resolver, argument: Any) -> Any:
    return resolver.resolve(argument[1])[int(resolver.resolve(argument[0]))]


def _split(resolver: _Resolver, argument: Any) -> list[str]:
    return str(resolver.resolve(argument[1])).split(argument[0])


def _if(resolver: _Resolver, argument: Any) -> Any:
    name, yes, no = argument
    return resolver.resolve(yes if resolver.conditions[name] else no)


def _equals(resolver: _Resolver, argument: Any) -> bool:
    left, right = (resolver.resolve(v) for v in argument)
    return str(left) == str(right)


# What each intrinsic function (a one-key mapping) resolves to; any other mapping is data.
_INTRINSICS: dict[str, Callable[[_Resolver, Any], Any]] = {
    "Ref": lambda resolver, name: resolver.ref(name),
    "Fn::GetAtt": lambda resolver, argument: resolver.get_att(*argument),
    "Fn::Sub": lambda resolver, argument: resolver.sub(argument),
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": lambda resolver, argument: not resolver.resolve(argument[0]),
    "Fn::And": lambda resolver, argument: all(resolver.resolve(v) for v in argument),
    "Fn::Or": lambda resolver, argument: any(resolver.resolve(v) for v in argument),
    "Condition": lambda resolver, name: resolver.conditions[name],
}


@dataclass
class _StackDraft:
    """The stack as the readers find it, resource by resource; a ``LocalStack`` once the state
    machine is known (a template without one cannot run)."""

    root: Path
    resolver: _Resolver
    function_globals: dict[str, Any]
    global_environment: dict[str, Any]
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    machines: dict[str, StateMachineSpec] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    queues: dict[str, QueueSpec] = field(default_factory=dict)
    buses: dict[str, str] = field(default_factory=dict)
    rules: list[RuleSpec] = field(default_factory=list)
    subscriptions: list[QueueSubscription] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)
    listeners: list[ExecutionListener] = field(default_factory=list)
    schedules: list[ScheduleSpec] = field(default_factory=list)
    notifying: list[str] = field(default_factory=list)  # logical ids of buckets

    def pipeline(self) -> StateMachineSpec:
        """The state machine the functions start (their SCRIBA_STATE_MACHINE_ARN); the only one
        if there is one."""
        if not self.machines:
            raise ValueError(
                f"{self.root / 'template.yaml'} defines no AWS::Serverless::StateMachine"
            )
        started = {
            spec.environment.get("SCRIBA_STATE_MACHINE_ARN") for spec in self.functions.values()
        }
        named = [machine for machine in self.machines.values() if machine.arn in started]
        if len(named) == 1:
            return named[0]
        if len(self.machines) == 1:
            return next(iter(self.machines.values()))
        raise ValueError("no function names the state machine it starts (SCRIBA_STATE_MACHINE_ARN)")

    def finish(self) -> LocalStack:
        return LocalStack(
            root=self.root,
            functions=self.functions,
            state_machine=self.pipeline(),
            state_machines=self.machines,
            buckets=self.buckets,
            queues=self.queues,
            event_buses=self.buses,
            rules=self.rules,
            subscriptions=self.subscriptions,
            eventbridge_buckets=[self.buckets[b] for b in self.notifying],
            tables=self.tables,
            execution_listeners=self.listeners,
            schedules=self.schedules,
            resources=self.resolver.resources,
            parameters=self.resolver.parameters,
            resolve=self.resolver.resolve,
        )


def _read_function(draft: _StackDraft, logical_id: str, props: dict[str, Any]) -> None:
    defaults = draft.function_globals
    env = {
        **draft.global_environment,
        **draft.resolver.resolve(props.get("Environment", {}).get("Variables", {})),
    }
    draft.functions[logical_id] = FunctionSpec(
        logical_id=logical_id,
        code_uri=draft.root / str(props["CodeUri"]),
        handler=str(props.get("Handler", defaults.get("Handler", "app.handler"))),
        timeout=int(props.get("Timeout", defaults.get("Timeout", 3))),
        memory=int(props.get("MemorySize", defaults.get("MemorySize", 128))),
        environment={k: str(v) for k, v in env.items() if v is not None},
    )
    draft.subscriptions.extend(_queue_subscriptions(logical_id, props))
    for event in (props.get("Events") or {}).values():
        properties = event.get("Properties", {})
        if event.get("Type") == "EventBridgeRule":
            pattern = draft.resolver.resolve(properties.get("Pattern", {}))
            if "aws.states" in pattern.get("source", []):
                draft.listeners.append(ExecutionListener(function=logical_id, pattern=pattern))
        elif event.get("Type") == "Schedule":
            draft.schedules.append(
                ScheduleSpec(
                    function=logical_id,
                    expression=str(draft.resolver.resolve(properties["Schedule"])),
                    input=str(properties.get("Input", "{}")),
                )
            )


def _queue_subscriptions(logical_id: str, props: dict[str, Any]) -> list[QueueSubscription]:
    """The function's SQS events: the queues whose event source mappings feed it."""
    subscriptions = []
    for event in (props.get("Events") or {}).values():
        if event.get("Type") != "SQS":
            continue
        properties = event["Properties"]
        subscriptions.append(
            QueueSubscription(
                function=logical_id,
                queue=properties["Queue"]["Fn::GetAtt"][0],
                batch_size=int(properties.get("BatchSize", 10)),
                report_batch_item_failures="ReportBatchItemFailures"
                in properties.get("FunctionResponseTypes", []),
            )
        )
    return subscriptions


def _read_state_machine(draft: _StackDraft, logical_id: str, props: dict[str, Any]) -> None:
    substitutions = draft.resolver.resolve(props.get("DefinitionSubstitutions", {}))
    definition = (draft.root / str(props["DefinitionUri"])).read_text(encoding="utf-8")
    for name, value in substitutions.items():
        definition = definition.replace("${" + name + "}", str(value))
    draft.machines[logical_id] = StateMachineSpec(
        logical_id=logical_id,
        name=draft.resolver.physical_name(logical_id),
        definition=definition,
        arn=draft.resolver.ref(logical_id),
    )


def _read_bucket(draft: _StackDraft, logical_id: str, props: dict[str, Any]) -> None:
    draft.buckets[logical_id] = draft.resolver.physical_name(logical_id)
    notification = props.get("NotificationConfiguration", {}) or {}
    bridge = notification.get("EventBridgeConfiguration", {}) or {}
    if draft.resolver.resolve(bridge.get("EventBridgeEnabled", False)) in (True, "true"):
        draft.notifying.append(logical_id)


def _read_queue(draft: _StackDraft, logical_id: str, props: dict[str, Any]) -> None:
    resolved = draft.resolver.resolve(props)
    attributes = {
        key: json.dumps(value) if isinstance(value, dict) else str(value)
        for key, value in resolved.items()
        if key in ("VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy")
    }
    draft.queues[logical_id] = QueueSpec(
        logical_id=logical_id,
        name=draft.resolver.physical_name(logical_id),
        attributes=attributes,
    )


def _read_rule(draft: _StackDraft, logical_id: str, props: dict[str, Any]) -> None:
    targets = []
    for target in props.get("Targets", []):
        arn = target["Arn"]
        if isinstance(arn, dict) and "Fn::GetAtt" in arn:
            targets.append(arn["Fn::GetAtt"][0])
    draft.rules.append(
        RuleSpec(
            logical_id=logical_id,
            name=draft.resolver.physical_name(logical_id),
            bus=str(draft.resolver.resolve(props.get("EventBusName", "default"))),
            pattern=draft.resolver.resolve(props.get("EventPattern", {})),
            target_queues=targets,
        )
    )


def _read_table(draft: _StackDraft, logical_id: str, props: dict[str, Any]) -> None:
    draft.tables[logical_id] = draft.resolver.physical_name(logical_id)


def _read_event_bus(draft: _StackDraft, logical_id: str, props: dict[str, Any]) -> None:
    draft.buses[logical_id] = draft.resolver.physical_name(logical_id)


# The resource types the local run recreates, each with the reader that adds it to the draft;
# the others (roles, policies, log groups, alarms) have no local counterpart.
_READERS: dict[str, Callable[[_StackDraft, str, dict[str, Any]], None]] = {
    "AWS::Serverless::Function": _read_function,
    "AWS::Serverless::StateMachine": _read_state_machine,
    "AWS::S3::Bucket": _read_bucket,
    "AWS::SQS::Queue": _read_queue,
    "AWS::Events::Rule": _read_rule,
    "AWS::Events::EventBus": _read_event_bus,
    "AWS::DynamoDB::Table": _read_table,
}


def load_stack(root: Path, parameters: Mapping[str, Any] | None = None) -> LocalStack:
    """The local picture of ``root/template.yaml``."""
    template = read_template(root / "template.yaml")
    resolver = _Resolver(template, parameters or {})
    function_globals = template.get("Globals", {}).get("Function", {})
    draft = _StackDraft(
        root=root,
        resolver=resolver,
        function_globals=function_globals,
        global_environment=resolver.resolve(
            function_globals.get("Environment", {}).get("Variables", {})
        ),
    )
    for logical_id, resource in resolver.resources.items():
        reader = _READERS.get(resource.get("Type"))
        if reader is not None:
            reader(draft, logical_id, resource.get("Properties", {}) or {})
    return draft.finish()
