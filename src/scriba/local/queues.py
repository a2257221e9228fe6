"""The SQS event source mapping of the local stack: a queue's messages handed to a function in
batches, with partial batch responses, as Lambda's managed poller does."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from scriba.local.template import ACCOUNT, REGION, QueueSpec, QueueSubscription

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)

# Runs a function (its name, the event's JSON): the response payload and the FunctionError.
Invoke = Callable[[str, bytes], tuple[bytes, str | None]]


class QueuePoller(threading.Thread):
    """A Lambda event source mapping: long-polls a queue, hands batches to a function, deletes
    what it processed and leaves failed records to reappear (and, in the end, dead-letter)."""

    def __init__(
        self,
        subscription: QueueSubscription,
        queue: QueueSpec,
        url: str,
        sqs: SQSClient,
        invoke: Invoke,
    ) -> None:
        super().__init__(name=f"poll-{subscription.queue}", daemon=True)
        self.subscription = subscription
        self.queue = queue
        self.url = url
        self.sqs = sqs
        self.invoke = invoke
        self._stopped = threading.Event()
        self.batches = 0

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=10)

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.poll_once()
            except Exception:  # keep polling, as the managed mapping does
                logger.exception("polling %s failed", self.queue.name)
                self._stopped.wait(1)

    def poll_once(self) -> int:
        received = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=min(self.subscription.batch_size, 10),
            WaitTimeSeconds=1,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return 0
        self.batches += 1
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.queue.name}"
        records = [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": REGION,
            }
            for message in received
        ]
        output, error = self.invoke(
            self.subscription.function, json.dumps({"Records": records}).encode("utf-8")
        )
        if error:
            return 0  # the whole batch becomes visible again after the visibility timeout
        failed: set[str] = set()
        if self.subscription.report_batch_item_failures:
            response = json.loads(output or b"{}") or {}
            failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [m for m in received if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        return len(done)
