"""The admission semaphore on the local stack holds under concurrent takes and releases, as
DynamoDB's atomic transactions make it hold on AWS."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import boto3

from scriba.aws.admission import Slots, Take
from scriba.local.cloud import LocalCloud


def test_the_count_stays_the_number_of_leases_under_contention() -> None:
    with LocalCloud(workers=0, trigger=False) as cloud:
        table = cloud.stack.tables["AdmissionTable"]
        limit = 2
        errors: list[BaseException] = []

        def churn(name: str) -> None:
            # Its own client: moto's server answers each in a thread of its own.
            slots = Slots(boto3.session.Session().client("dynamodb"), table)
            try:
                for turn in range(60):
                    lease = f"{name}-{turn}"
                    if slots.take(lease, limit, datetime.now(UTC), 60) is Take.TAKEN:
                        slots.release(lease)
            except BaseException as error:
                errors.append(error)

        # Four takers on two slots: many takes find the semaphore full and are cancelled.
        threads = [threading.Thread(target=churn, args=(f"t{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        slots = Slots(cloud.clients.dynamodb, table)
        assert errors == []
        assert (slots.in_flight(), list(slots.leases())) == (0, [])
