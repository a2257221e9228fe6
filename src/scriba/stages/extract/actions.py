"""The extract actions: what each takes and returns, and where their intermediate files are.

Intermediate files live under the document's ``work/`` prefix (expired by a lifecycle rule):
the text-layer pages inspect read, the sizes of the pages that need OCR, one file per OCR'd
page, and an OCR job's input PDF and output.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from scriba import layout
from scriba.models.base import Model
from scriba.models.document import S3Location, Source
from scriba.models.tables import FormField, Table
from scriba.models.text import Box, Page
from scriba.workflow import Document, DocumentRequest, Options, StageRequest


class PageSet(Model):
    """Pages kept between tasks (the text-layer pages, or one OCR'd page), with the tables and
    form fields found on them."""

    pages: list[Page]
    tables: list[Table] = Field(default_factory=list)
    fields: list[FormField] = Field(default_factory=list)
    pictures: dict[int, list[Box]] = Field(
        default_factory=dict,
        description="Text-layer pages OCR'd too: the pictures whose text the layer lacks",
    )
    reasons: dict[int, str] = Field(
        default_factory=dict, description="Why each page without a usable text layer is OCR'd"
    )


class PageSizes(Model):
    """Width and height in points of the PDF pages that need OCR, by page number: an OCR job
    (Textract) reports boxes as fractions of a page but not the page's size."""

    sizes: dict[int, tuple[float, float]]


class OcrJob(Model):
    id: str
    status: str
    polls: int = 0
    message: str | None = None
    waited: int = Field(default=0, ge=0, description="Seconds waited for the job so far")
    wait_seconds: int = Field(
        default=15, ge=1, description="The next Wait before a poll (the Wait's SecondsPath)"
    )


class InspectRequest(StageRequest):
    action: Literal["inspect"]
    source: Source
    options: Options = Field(default_factory=Options)

    def subject(self) -> tuple[str, str]:
        return layout.document_id(self.source), self.source.key


class OcrBatchRequest(DocumentRequest):
    action: Literal["ocr"]
    pages: list[int] = Field(min_length=1)


class ExecutionContext(Model):
    """What a task reads of its execution's context object (``$$.Execution``); the rest of it
    (Id, Input, RoleArn, StartTime, RedriveTime) is ignored."""

    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(default=None, alias="Name")
    redrive_count: int = Field(
        default=0,
        ge=0,
        alias="RedriveCount",
        description="Times the execution was redriven (RedriveExecution); 0 before the first",
    )


class StartOcrJobRequest(DocumentRequest):
    action: Literal["start_job"]
    execution_context: ExecutionContext | None = Field(
        default=None, description="$$.Execution: the attempt the job token is made of"
    )


class CheckOcrJobRequest(DocumentRequest):
    action: Literal["check_job"]
    job: OcrJob


class AssembleRequest(DocumentRequest):
    action: Literal["assemble"]
    job: OcrJob | None = None


class OcrBatchResult(Model):
    pages: int
    words: int


# -- where the intermediate files are ------------------------------------------------------------


def text_layer_location(work: S3Location) -> S3Location:
    return work.child("text-layer.json")


def text_layer_pages_location(work: S3Location) -> S3Location:
    """The text-layer pages, a page a line (JSON Lines), in page order."""
    return work.child("text-layer-pages.jsonl")


def page_sizes_location(work: S3Location) -> S3Location:
    return work.child("page-sizes.json")


def ocr_page_location(document: Document, number: int) -> S3Location:
    return document.work.child(f"ocr/{number:05d}.json")


def job_input_location(document: Document) -> S3Location:
    return document.work.child("ocr-input.pdf")


def job_output_location(document: Document) -> S3Location:
    return document.work.child("ocr-job")
