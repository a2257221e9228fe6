"""The stack's resources, created in moto as the template declares them: buckets (versioning,
EventBridge notifications), event buses, queues (with their dead-letter queues), the rules with
their queue targets, DynamoDB tables, and the state machine."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from scriba.aws.clients import AwsClients
from scriba.local.template import ACCOUNT, REGION, LocalStack

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType


def create_resources(stack: LocalStack, clients: AwsClients) -> dict[str, str]:
    """Creates every resource of ``stack``; returns the queue URLs by logical id."""
    _create_buckets(stack, clients)
    for name in stack.event_buses.values():
        clients.events.create_event_bus(Name=name)
    queue_urls = _create_queues(stack, clients)
    for table in stack.tables.values():
        # The template's tables are keyed by a string ``pk`` (hash key only).
        clients.dynamodb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    _create_rules(stack, clients)
    _create_state_machine(stack, clients)
    return queue_urls


def _create_buckets(stack: LocalStack, clients: AwsClients) -> None:
    s3 = clients.s3
    for logical_id, name in stack.buckets.items():
        s3.create_bucket(Bucket=name)
        if logical_id == "InputBucket":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    for name in stack.eventbridge_buckets:
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )


def _create_queues(stack: LocalStack, clients: AwsClients) -> dict[str, str]:
    sqs = clients.sqs
    queue_urls: dict[str, str] = {}
    for logical_id, queue in stack.queues.items():
        plain = {k: v for k, v in queue.attributes.items() if k != "RedrivePolicy"}
        queue_urls[logical_id] = sqs.create_queue(
            QueueName=queue.name,
            Attributes=cast("Mapping[QueueAttributeNameType, str]", plain),
        )["QueueUrl"]
    for logical_id, queue in stack.queues.items():  # dead-letter queues exist by now
        if "RedrivePolicy" in queue.attributes:
            sqs.set_queue_attributes(
                QueueUrl=queue_urls[logical_id],
                Attributes={"RedrivePolicy": queue.attributes["RedrivePolicy"]},
            )
    return queue_urls


def _create_rules(stack: LocalStack, clients: AwsClients) -> None:
    events = clients.events
    for rule in stack.rules:
        events.put_rule(
            Name=rule.name, EventBusName=rule.bus, EventPattern=json.dumps(rule.pattern)
        )
        events.put_targets(
            Rule=rule.name,
            EventBusName=rule.bus,
            Targets=[
                {
                    "Id": queue,
                    "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{stack.queues[queue].name}",
                }
                for queue in rule.target_queues
            ],
        )


def _create_state_machine(stack: LocalStack, clients: AwsClients) -> None:
    machine = stack.state_machine
    clients.stepfunctions.create_state_machine(
        name=machine.name,
        definition=machine.definition,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/{machine.name}-role",
        type="STANDARD",
    )
