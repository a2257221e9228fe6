"""The admission semaphore: at most N documents in flight, counted in DynamoDB.

One counter item (``pk = "in-flight"``, attribute ``count``) and one lease item per execution
holding a slot (``pk = "lease#<execution name>"``, with when it expires). A slot is taken by one
transaction that raises the count (only while it is below the limit) and puts the lease (only if
the execution has none), and given back by one that deletes the lease (only if it is there) and
lowers the count; so a duplicate take or a duplicate release (EventBridge delivers at least once)
changes nothing, and the count is always the number of leases. Items stay small whatever the limit
(four write units a take), unlike one item holding every lease.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scriba.aws.errors import service_errors
from scriba.errors import Throttled, TransientServiceError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SERVICE = "dynamodb"
COUNTER = "in-flight"
LEASE = "lease#"


class Take(enum.Enum):
    TAKEN = "taken"  # a slot is now this execution's
    HELD = "held"  # the execution already had one (a re-delivered message)
    FULL = "full"  # every slot is taken


@dataclass(frozen=True)
class Lease:
    name: str
    taken: datetime
    expires: datetime


def _cancelled(error: Exception) -> list[str]:
    reasons = getattr(error, "response", {}).get("CancellationReasons", [])
    return [str(reason.get("Code", "None")) for reason in reasons]


def _raise_if_contended(codes: list[str], what: str) -> None:
    # Two transactions on the same item at once: DynamoDB cancels one; trying again is right.
    if "TransactionConflict" in codes:
        raise TransientServiceError(f"admission: {what} conflicted with another; try again")
    if "ThrottlingError" in codes or "ProvisionedThroughputExceeded" in codes:
        raise Throttled(f"admission: {what} was throttled")


class Slots:
    """The semaphore in ``table``."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def take(self, name: str, limit: int, now: datetime, lease_seconds: int) -> Take:
        """Takes a slot for the execution ``name`` if fewer than ``limit`` are taken."""
        taken = int(now.timestamp())
        with service_errors(SERVICE, name):
            try:
                self._db.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": self._table,
                                "Key": {"pk": {"S": COUNTER}},
                                "UpdateExpression": "SET #c = if_not_exists(#c, :zero) + :one",
                                "ConditionExpression": "attribute_not_exists(#c) OR #c < :limit",
                                "ExpressionAttributeNames": {"#c": "count"},
                                "ExpressionAttributeValues": {
                                    ":zero": {"N": "0"},
                                    ":one": {"N": "1"},
                                    ":limit": {"N": str(limit)},
                                },
                            }
                        },
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": {
                                    "pk": {"S": LEASE + name},
                                    "taken": {"N": str(taken)},
                                    "expires": {"N": str(taken + lease_seconds)},
                                },
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
            except self._db.exceptions.TransactionCanceledException as error:
                codes = _cancelled(error)
                _raise_if_contended(codes, f"taking a slot for {name}")
                if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                    return Take.HELD
                return Take.FULL
        return Take.TAKEN

    def release(self, name: str) -> bool:
        """Gives back the slot of ``name``; False when it held none (already given back)."""
        with service_errors(SERVICE, name):
            try:
                self._db.transact_write_items(
                    TransactItems=[
                        {
                            "Delete": {
                                "TableName": self._table,
                                "Key": {"pk": {"S": LEASE + name}},
                                "ConditionExpression": "attribute_exists(pk)",
                            }
                        },
                        {
                            "Update": {
                                "TableName": self._table,
                                "Key": {"pk": {"S": COUNTER}},
                                "UpdateExpression": "SET #c = #c - :one",
                                "ConditionExpression": "#c > :zero",
                                "ExpressionAttributeNames": {"#c": "count"},
                                "ExpressionAttributeValues": {
                                    ":zero": {"N": "0"},
                                    ":one": {"N": "1"},
                                },
                            }
                        },
                    ]
                )
            except self._db.exceptions.TransactionCanceledException as error:
                _raise_if_contended(_cancelled(error), f"giving back the slot of {name}")
                return False
        return True

    def in_flight(self) -> int:
        """The slots taken now (a strongly consistent read)."""
        with service_errors(SERVICE):
            item = self._db.get_item(
                TableName=self._table, Key={"pk": {"S": COUNTER}}, ConsistentRead=True
            ).get("Item", {})
        return int(item.get("count", {}).get("N", "0"))

    def leases(self) -> Iterator[Lease]:
        """Every lease (a scan: the table holds at most the limit's worth of items)."""
        paginator = self._db.get_paginator("scan")
        with service_errors(SERVICE):
            for page in paginator.paginate(TableName=self._table, ConsistentRead=True):
                for item in page.get("Items", []):
                    key = item["pk"].get("S", "")
                    if key.startswith(LEASE):
                        yield Lease(
                            name=key.removeprefix(LEASE),
                            taken=datetime.fromtimestamp(int(item["taken"]["N"]), UTC),
                            expires=datetime.fromtimestamp(int(item["expires"]["N"]), UTC),
                        )
