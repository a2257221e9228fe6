"""How long the state machine waits for a Textract job: longer for more pages, never past the
execution's own timeout, polling less often as the job runs on."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from scriba.config import Settings
from scriba.cost.units import Billed, textract_pages
from scriba.errors import OcrJobTimedOut
from scriba.models.document import DocumentKind, S3Location, Source
from scriba.stages.extract.actions import CheckOcrJobRequest, OcrJob
from scriba.stages.extract.ocr import OCR_JOB_MAX_WAIT_SECONDS, check_ocr_job
from scriba.workflow import Document, OcrMode, OcrPlan

ROOT = Path(__file__).resolve().parents[2]


class RunningJob:
    """A job that never finishes (a busy account's queue), or finishes after ``done_after``."""

    def __init__(self, done_after: int | None = None) -> None:
        self.polls = 0
        self.done_after = done_after

    def start(self, document: S3Location, output: S3Location, token: str) -> str:
        return "job-1"

    def state(self, job_id: str) -> Any:
        self.polls += 1
        done = self.done_after is not None and self.polls >= self.done_after
        return SimpleNamespace(status="SUCCEEDED" if done else "IN_PROGRESS", message=None)

    def billed(self, pages: int) -> Billed:
        return textract_pages([], pages)


def document(pages: int) -> Document:
    source = Source(bucket="in-bucket", key="big.pdf", version_id="v1", size=1000)
    return Document(
        id="0" * 24,
        name="big.pdf",
        source=source,
        output=S3Location(bucket="out-bucket", key="documents/big.pdf"),
        work=S3Location(bucket="out-bucket", key="work/" + "0" * 24),
        kind=DocumentKind.PDF,
        size=1000,
        sha256="0" * 64,
        pages=pages,
        languages=["es"],
        ocr=OcrPlan(mode=OcrMode.JOB, pages=list(range(1, pages + 1))),
    )


def poll(pages: int, settings: Settings, jobs: RunningJob) -> tuple[OcrJob, list[int], bool]:
    """Polls as the state machine does (Wait wait_seconds, then CheckOcrJob) until the job is
    done or given up on; returns the last job state, every wait before a poll, and whether the
    job was given up on."""
    ctx = SimpleNamespace(settings=settings, engines=SimpleNamespace(ocr_jobs=jobs, name="aws"))
    job = OcrJob(id="job-1", status="IN_PROGRESS")  # what start_job returns
    waits: list[int] = []
    for _ in range(10_000):  # a wait without a bound would loop here for ever
        if job.status != "IN_PROGRESS":
            return job, waits, False
        waits.append(job.wait_seconds)
        request = CheckOcrJobRequest(action="check_job", document=document(pages), job=job)
        try:
            job = check_ocr_job(request, ctx)  # type: ignore[arg-type]
        except OcrJobTimedOut as error:
            assert f"of {pages} pages still IN_PROGRESS" in str(error)
            return job, waits, True
    raise AssertionError("the job was polled 10,000 times and never given up on")


def _waits(pages: int, settings: Settings) -> list[int]:
    """Every wait before a poll of a job that never finishes."""
    return poll(pages, settings, RunningJob())[1]


def time_out(pages: int, settings: Settings) -> tuple[int, int]:
    """(seconds waited, polls) when a job of ``pages`` pages that never ends is given up on."""
    jobs = RunningJob()
    _, waits, gave_up = poll(pages, settings, jobs)
    assert gave_up
    return sum(waits), jobs.polls


def test_a_small_job_is_given_half_an_hour_as_before() -> None:
    waited, polls = time_out(2, Settings())
    assert 30 * 60 <= waited <= 31 * 60
    assert polls < 60  # 120 polls of 15 s before; fewer requests now


def test_a_3000_page_job_is_given_two_hours() -> None:
    # 30 minutes, plus 3 minutes per 100 pages: 120 minutes for Textract's largest document.
    waited, polls = time_out(3000, Settings())
    assert 120 * 60 <= waited <= 121 * 60
    assert polls <= 140  # 480 at 15 s; a minute between polls once the job has run ten minutes


def test_the_wait_grows_with_the_pages_and_the_settings() -> None:
    budgets = [time_out(pages, Settings())[0] for pages in (2, 500, 1000, 3000)]
    assert budgets == sorted(budgets) and budgets[0] < budgets[-1]
    slow_account = Settings(ocr_job_wait_minutes=60, ocr_job_wait_minutes_per_100_pages=6)
    assert time_out(3000, slow_account)[0] == pytest.approx(240 * 60, abs=60)


def test_no_job_is_waited_for_past_the_execution_timeout() -> None:
    # The execution times out at 6 h (TimeoutSeconds): a failure record needs time left.
    definition = json.loads((ROOT / "statemachine" / "pipeline.asl.json").read_text())
    generous = Settings(ocr_job_wait_minutes=600)
    waited, _ = time_out(3000, generous)
    assert waited <= OCR_JOB_MAX_WAIT_SECONDS <= definition["TimeoutSeconds"] - 3600


def test_polls_start_every_15_seconds_then_back_off_to_a_minute() -> None:
    waits = _waits(3000, Settings())
    assert waits[:8] == [15] * 8  # the first two minutes: small jobs end fast
    assert set(waits) <= {15, 30, 60} | {waits[-1]}
    assert waits == sorted(waits[:-1]) + waits[-1:]
    assert waits[-2] == 60


def test_a_job_that_finishes_is_handed_on_with_its_polls() -> None:
    job, waits, gave_up = poll(3000, Settings(), RunningJob(done_after=12))
    assert not gave_up
    assert (job.status, job.polls) == ("SUCCEEDED", 12)
    assert job.waited == sum(waits)
