"""The pages of an OCR job, put back where they belong in the source document.

The job runs on a PDF of just the pages that need OCR: its page n is the source's page
``ocr.pages[n - 1]``, in number and in size (the service reports no sizes; inspect keeps them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from scriba.aws.storage import Storage
from scriba.config import Settings
from scriba.context import Context
from scriba.cost.units import Billed, comprehend_request, textract_pages
from scriba.engines import BACKENDS
from scriba.engines.ports import OcrPage
from scriba.models.document import DocumentKind, S3Location, Source
from scriba.models.text import Box, DocumentText, Line, Page, PageSource, Word
from scriba.stages.extract import assemble
from scriba.stages.extract.actions import AssembleRequest, OcrJob, PageSet, PageSizes
from scriba.workflow import Document, OcrMode, OcrPlan

BUCKET = "out-bucket"
WORK = S3Location(bucket=BUCKET, key="work/abc")


def page(number: int, text: str, source: PageSource, width: float = 1.0) -> Page:
    box = Box(left=0.1, top=0.1, width=0.5, height=0.05)
    return Page(
        number=number,
        width=width,
        height=width,
        unit="pt",
        source=source,
        engine="textract" if source is PageSource.OCR else "pdfium",
        lines=[
            Line(text=text, box=box, confidence=99, words=[Word(text=text, box=box, confidence=99)])
        ],
    )


class English:
    """A language detector that always says English."""

    def detect(self, text: str) -> str | None:
        return "en"

    def detect_each(self, texts: Sequence[str]) -> list[str | None]:
        return ["en" for _ in texts]

    def billed(self, text: str) -> Billed:
        return comprehend_request(len(text))


class PartialJob:
    """A job that lost its second page (PARTIAL_SUCCESS), with the sizes it was given."""

    def __init__(self) -> None:
        self.sizes: Mapping[int, tuple[float, float]] | None = None

    def start(self, document: S3Location, output: S3Location, token: str) -> str:
        return "job-1"

    def state(self, job_id: str) -> Any:
        return SimpleNamespace(status="PARTIAL_SUCCESS", message=None)

    def billed(self, pages: int) -> Billed:
        return textract_pages([], pages)

    def pages(
        self,
        job_id: str,
        output: S3Location,
        sizes: Mapping[int, tuple[float, float]] | None = None,
    ) -> Iterator[OcrPage]:
        self.sizes = sizes
        assert sizes is not None
        yield OcrPage(page=page(1, "first", PageSource.OCR, sizes[1][0]))
        yield OcrPage(page=page(3, "third", PageSource.OCR, sizes[3][0]))


@pytest.fixture
def storage(mocked_aws: None) -> Iterator[Storage]:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    yield Storage(s3=s3)


def test_job_pages_get_their_source_numbers_and_sizes(storage: Storage) -> None:
    jobs = PartialJob()
    backend = replace(
        BACKENDS["aws"], ocr_jobs=lambda settings, clients: jobs, language=lambda s, c: English()
    )
    ctx = Context.of(Settings(output_bucket=BUCKET), storage=storage, backend=backend)
    # Source pages 2 and 5 have a text layer; 1, 3 and 4 went to the job, as its pages 1 to 3.
    storage.write_model(
        WORK.child("text-layer.json"),
        PageSet(
            pages=[page(2, "two", PageSource.TEXT_LAYER), page(5, "five", PageSource.TEXT_LAYER)]
        ),
    )
    storage.write_model(
        WORK.child("page-sizes.json"),
        PageSizes(sizes={1: (612.0, 792.0), 3: (595.0, 842.0), 4: (420.0, 595.0)}),
    )
    document = Document(
        id="abc",
        name="scan.pdf",
        source=Source(bucket="in-bucket", key="scan.pdf", version_id="v1"),
        output=S3Location(bucket=BUCKET, key="documents/scan.pdf"),
        work=WORK,
        kind=DocumentKind.PDF,
        size=10,
        sha256="0" * 64,
        pages=5,
        text_layer_pages=2,
        languages=["es"],
        ocr=OcrPlan(mode=OcrMode.JOB, pages=[1, 3, 4]),
    )

    result = assemble(
        AssembleRequest(action="assemble", document=document, job=OcrJob(id="job-1", status="x")),
        ctx,
    )

    assert jobs.sizes == {1: (612.0, 792.0), 2: (595.0, 842.0), 3: (420.0, 595.0)}
    text = storage.read_model(document.output.child("text.json"), DocumentText)
    # The job's page 3 is the source's page 4 (its page 2, the source's 3, was lost).
    assert [(p.number, p.text, p.width) for p in text.pages] == [
        (1, "first", 612.0),
        (2, "two", 1.0),
        (4, "third", 420.0),
        (5, "five", 1.0),
    ]
    assert (result.pages, result.ocr_pages, result.text_layer_pages) == (4, 2, 2)
