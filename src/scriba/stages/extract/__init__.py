"""Extract: inspect the source, read its text layer, OCR the pages that need it, assemble the text.

The work is split so that no single task grows with the document: ``inspect`` reads the text layer
(thousands of pages a second) and plans OCR; OCR then runs either in page batches (a Map state,
one task per batch) or as one asynchronous job awaited by the state machine (``ocr``);
``assemble`` merges the pages and writes ``text.json`` and ``text.txt``. The actions' requests
and the intermediate files between them are in ``actions``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from scriba.context import Context
from scriba.models.base import Model
from scriba.stages import names_the_document
from scriba.stages.extract.actions import (
    AssembleRequest,
    CheckOcrJobRequest,
    InspectRequest,
    OcrBatchRequest,
    StartOcrJobRequest,
)
from scriba.stages.extract.assemble import assemble
from scriba.stages.extract.inspect import inspect
from scriba.stages.extract.ocr import check_ocr_job, ocr_batch, start_ocr_job

__all__ = ["ExtractRequest", "assemble", "handle", "inspect", "ocr_batch"]

ExtractRequest = Annotated[
    InspectRequest | OcrBatchRequest | StartOcrJobRequest | CheckOcrJobRequest | AssembleRequest,
    Field(discriminator="action"),
]


@names_the_document
def handle(request: ExtractRequest, ctx: Context[Any]) -> Model:
    """Runs one extract action."""
    if isinstance(request, InspectRequest):
        return inspect(request, ctx)
    if isinstance(request, OcrBatchRequest):
        return ocr_batch(request, ctx)
    if isinstance(request, StartOcrJobRequest):
        return start_ocr_job(request, ctx)
    if isinstance(request, CheckOcrJobRequest):
        return check_ocr_job(request, ctx)
    return assemble(request, ctx)
