"""Amazon Textract: one page image at a time (``DetectDocumentText``, or ``AnalyzeDocument`` when
feature types are configured) and multi-page jobs (``StartDocumentTextDetection`` and its
results), both normalised into scriba's ``Page`` by one pure function, ``pages_from_blocks``.

Job results are read from the output bucket, where Textract writes them (``OutputConfig``) as
numbered JSON files ``<S3Prefix>/<JobId>/1``, ``/2``, ... in the shape of a ``Get*`` response,
next to a ``.s3_access_check`` probe; the AWS developer guide does not spell the layout out, AWS's
own amazon-textract-textractor reads it this way. Paging through ``GetDocumentTextDetection`` is
slow (a few TPS) and is only the fallback.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

from botocore.exceptions import ClientError
from PIL import Image

from scriba.aws.errors import service_errors
from scriba.aws.storage import Storage
from scriba.cost.units import Billed, textract_pages
from scriba.engines.ports import OcrPage
from scriba.errors import (
    AccessDenied,
    CorruptDocument,
    DocumentTooLarge,
    EngineFailed,
    ImageTooLarge,
    OcrJobFailed,
    ScribaError,
    SourceNotFound,
    TransientServiceError,
    UnsupportedDocumentType,
)
from scriba.models.document import S3Location
from scriba.models.tables import Cell, FormField, Table
from scriba.models.text import Box, Line, Page, PageSource, Word

if TYPE_CHECKING:
    from mypy_boto3_textract import TextractClient
    from mypy_boto3_textract.literals import FeatureTypeType
    from mypy_boto3_textract.type_defs import DocumentTypeDef

    from scriba.config import Settings
    from scriba.engines.ports import PageImage

log = logging.getLogger(__name__)

ENGINE = "textract"
SERVICE = "textract"

# ``Document.Bytes``: the API reference (API_Document) allows 5 MB for bytes passed inline, while
# the service model accepts up to 10 MiB and the quota page says 10 MB for synchronous calls.
# The strictest figure wins; a decimal MB to be safe either way.
MAX_INLINE_BYTES = 5_000_000
# "Amazon Textract supports images with a resolution less than or equal to 10000 pixels on all
# sides" (Set Quotas in Amazon Textract).
MAX_SIDE = 10_000
# AnalyzeDocument feature types that need no extra configuration (QUERIES needs QueriesConfig).
FEATURE_TYPES = frozenset({"TABLES", "FORMS", "SIGNATURES", "LAYOUT"})
# ClientRequestToken and JobId: ``^[a-zA-Z0-9-_]+$``, 1 to 64 characters (service model).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Results per GetDocumentTextDetection call when paging (the service maximum is 1,000).
_PAGE_SIZE = 1000

TEXTRACT_ERRORS: dict[str, type[ScribaError]] = {
    "UnsupportedDocumentException": UnsupportedDocumentType,
    "BadDocumentException": CorruptDocument,
    "DocumentTooLargeException": DocumentTooLarge,
    "InvalidS3ObjectException": SourceNotFound,
    "IdempotentParameterMismatchException": EngineFailed,
    "InvalidJobIdException": OcrJobFailed,
    # The KMS key for the job's output is wrong, or the caller may not use it.
    "InvalidKMSKeyException": AccessDenied,
    "InternalServerError": TransientServiceError,
    # Throttling (ProvisionedThroughputExceededException, ThrottlingException,
    # LimitExceededException) is in scriba.aws.errors.THROTTLING_CODES.
}

PageSize = tuple[float, float]


@contextmanager
def textract_errors(document: str | None = None) -> Iterator[None]:
    """Textract's errors as scriba's typed errors, with a plain message for a reused token."""
    try:
        with service_errors(SERVICE, document, TEXTRACT_ERRORS):
            yield
    except EngineFailed as error:
        if _error_code(error) == "IdempotentParameterMismatchException":
            raise EngineFailed(
                "Textract refused the job: its ClientRequestToken was already used to start a "
                "job with different parameters (another document or output location)",
                document=document,
            ) from error
        raise


def _error_code(error: BaseException) -> str | None:
    cause = error.__cause__
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code", "")) or None
    return None


# -- Blocks to pages ------------------------------------------------------------------------------


def _box(block: Mapping[str, Any]) -> Box | None:
    bounds = (block.get("Geometry") or {}).get("BoundingBox")
    if not bounds:
        return None
    return Box.clamped(
        float(bounds.get("Left", 0.0)),
        float(bounds.get("Top", 0.0)),
        float(bounds.get("Width", 0.0)),
        float(bounds.get("Height", 0.0)),
    )


def _confidence(block: Mapping[str, Any]) -> float:
    return min(max(float(block.get("Confidence", 0.0)), 0.0), 100.0)


def _children(block: Mapping[str, Any]) -> list[str]:
    ids: list[str] = []
    for relationship in block.get("Relationships") or []:
        if relationship.get("Type") == "CHILD":
            ids.extend(relationship.get("Ids") or [])
    return ids


def _line(block: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> Line | None:
    words: list[Word] = []
    for child_id in _children(block):
        child = by_id.get(child_id)
        if child is None or child.get("BlockType") != "WORD" or not child.get("Text"):
            continue
        words.append(
            Word(
                text=str(child["Text"]),
                box=_box(child) or Box(left=0, top=0, width=0, height=0),
                confidence=_confidence(child),
            )
        )
    text = str(block.get("Text") or " ".join(word.text for word in words)).strip()
    if not text:
        return None
    return Line(
        text=text,
        box=_box(block) or Box.around([word.box for word in words]),
        confidence=_confidence(block),
        words=words,
    )


def pages_from_blocks(
    blocks: Iterable[Mapping[str, Any]],
    sizes: Mapping[int, PageSize],
    *,
    unit: Literal["pt", "px"] = "px",
    default_size: PageSize | None = None,
    engine: str = ENGINE,
) -> list[Page]:
    """Textract ``Blocks`` (of one response or of all the responses of a job) as pages.

    Lines come in the order of their PAGE block's CHILD relationship (Textract's reading order),
    words in the order of their LINE's. Boxes are already fractions of the page and confidences
    0 to 100, as in ``scriba.models.text``. Textract does not report page dimensions: ``sizes``
    gives them per page number, ``default_size`` for the pages it lacks. Tables and form fields
    are ``analysis_from_blocks``'s; other block types (layout) are ignored.
    """
    by_id: dict[str, Mapping[str, Any]] = {}
    page_blocks: dict[int, Mapping[str, Any]] = {}
    lines_in_order: dict[int, list[Mapping[str, Any]]] = {}
    for block in blocks:
        block_id = block.get("Id")
        if block_id:
            by_id[str(block_id)] = block
        number = int(block.get("Page") or 1)  # single-page results may omit Page
        kind = block.get("BlockType")
        if kind == "PAGE":
            page_blocks[number] = block
        elif kind == "LINE":
            lines_in_order.setdefault(number, []).append(block)

    pages: list[Page] = []
    for number in sorted(set(page_blocks) | set(lines_in_order)):
        found = lines_in_order.get(number, [])
        ordered: list[Mapping[str, Any]] = []
        seen: set[str] = set()
        page_block = page_blocks.get(number)
        if page_block is not None:
            for child_id in _children(page_block):
                child = by_id.get(child_id)
                if child is not None and child.get("BlockType") == "LINE":
                    ordered.append(child)
                    seen.add(child_id)
        ordered.extend(block for block in found if str(block.get("Id")) not in seen)
        lines = [line for block in ordered if (line := _line(block, by_id)) is not None]
        size = sizes.get(number, default_size)
        if size is None:
            raise ValueError(f"no size given for page {number} of the Textract result")
        width, height = size
        pages.append(
            Page(
                number=number,
                width=width,
                height=height,
                unit=unit,
                source=PageSource.OCR,
                engine=engine,
                lines=lines,
            )
        )
    return pages


# -- Blocks to tables and form fields (AnalyzeDocument TABLES, FORMS) ---------------------------


@dataclass
class Analysis:
    """The tables and form fields of one page, from Textract's TABLE and KEY_VALUE_SET blocks."""

    tables: list[Table] = field(default_factory=list)
    fields: list[FormField] = field(default_factory=list)


def _related(block: Mapping[str, Any], kind: str) -> list[str]:
    ids: list[str] = []
    for relationship in block.get("Relationships") or []:
        if relationship.get("Type") == kind:
            ids.extend(relationship.get("Ids") or [])
    return ids


def _content(block: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> str:
    """The words (and check boxes) a CELL or a KEY_VALUE_SET holds, in Textract's order."""
    parts: list[str] = []
    for child_id in _children(block):
        child = by_id.get(child_id) or {}
        kind = child.get("BlockType")
        if kind == "WORD" and child.get("Text"):
            parts.append(str(child["Text"]))
        elif kind == "SELECTION_ELEMENT":
            parts.append("[x]" if child.get("SelectionStatus") == "SELECTED" else "[ ]")
    return " ".join(parts)


def _cell(
    block: Mapping[str, Any], text: str, confidence: float | None = None, header: bool = False
) -> Cell:
    return Cell(
        row=max(int(block.get("RowIndex") or 1) - 1, 0),
        column=max(int(block.get("ColumnIndex") or 1) - 1, 0),
        row_span=max(int(block.get("RowSpan") or 1), 1),
        column_span=max(int(block.get("ColumnSpan") or 1), 1),
        text=text,
        box=_box(block),
        confidence=_confidence(block) if confidence is None else confidence,
        header=header or "COLUMN_HEADER" in (block.get("EntityTypes") or []),
    )


def _table(table: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> Table | None:
    """One TABLE block as a table: its CELLs, and each MERGED_CELL as one cell in place of the
    cells it merges (its text theirs, in reading order)."""
    cells = {cid: by_id[cid] for cid in _children(table) if cid in by_id}
    cells = {cid: cell for cid, cell in cells.items() if cell.get("BlockType") == "CELL"}
    found: list[Cell] = []
    merged_away: set[str] = set()
    for merged_id in _related(table, "MERGED_CELL"):
        merged = by_id.get(merged_id)
        if merged is None or merged.get("BlockType") != "MERGED_CELL":
            continue
        parts = [cells[cid] for cid in _children(merged) if cid in cells]
        parts.sort(key=lambda c: (int(c.get("RowIndex") or 0), int(c.get("ColumnIndex") or 0)))
        merged_away.update(cid for cid in _children(merged))
        text = " ".join(t for part in parts if (t := _content(part, by_id)))
        header = any("COLUMN_HEADER" in (part.get("EntityTypes") or []) for part in parts)
        found.append(_cell(merged, text, header=header))
    for cid, cell in cells.items():
        if cid not in merged_away:
            found.append(_cell(cell, _content(cell, by_id)))
    if not found:
        return None
    found.sort(key=lambda cell: (cell.row, cell.column))
    return Table(
        index=1,
        page=int(table.get("Page") or 1),
        box=_box(table),
        rows=max(cell.row + cell.row_span for cell in found),
        columns=max(cell.column + cell.column_span for cell in found),
        cells=found,
        engine=ENGINE,
    )


def _field(key: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> FormField | None:
    values = [by_id[vid] for vid in _related(key, "VALUE") if vid in by_id]
    key_text = _content(key, by_id)
    if not key_text:
        return None
    value_text = " ".join(t for value in values if (t := _content(value, by_id)))
    value_boxes = [box for value in values if (box := _box(value)) is not None]
    confidence = min([_confidence(key), *(_confidence(value) for value in values)])
    return FormField(
        page=int(key.get("Page") or 1),
        key=key_text,
        value=value_text,
        key_box=_box(key),
        value_box=Box.around(value_boxes) if value_boxes else None,
        confidence=confidence,
        engine=ENGINE,
    )


def analysis_from_blocks(blocks: Iterable[Mapping[str, Any]]) -> dict[int, Analysis]:
    """Textract's TABLE and KEY_VALUE_SET blocks (of one response or all of a job's) as tables
    and form fields, by page number. Tables are numbered per page here; the document's numbering
    is the extract stage's. Cells are 0-based (Textract's RowIndex and ColumnIndex are 1-based);
    a MERGED_CELL is one cell with its spans; a check box in a cell or a value reads "[x]" or
    "[ ]"."""
    by_id: dict[str, Mapping[str, Any]] = {}
    tables: list[Mapping[str, Any]] = []
    keys: list[Mapping[str, Any]] = []
    for block in blocks:
        if block.get("Id"):
            by_id[str(block["Id"])] = block
        kind = block.get("BlockType")
        if kind == "TABLE":
            tables.append(block)
        elif kind == "KEY_VALUE_SET" and "KEY" in (block.get("EntityTypes") or []):
            keys.append(block)
    found: dict[int, Analysis] = {}
    for block in tables:
        table = _table(block, by_id)
        if table is not None:
            found.setdefault(table.page, Analysis()).tables.append(table)
    for block in keys:
        form_field = _field(block, by_id)
        if form_field is not None:
            found.setdefault(form_field.page, Analysis()).fields.append(form_field)
    for analysis in found.values():
        analysis.tables.sort(
            key=lambda t: (t.box.top if t.box else 0.0, t.box.left if t.box else 0.0)
        )
        analysis.tables = [
            t.model_copy(update={"index": index}) for index, t in enumerate(analysis.tables, 1)
        ]
    return found


def ocr_pages(pages: Sequence[Page], analysis: Mapping[int, Analysis]) -> list[OcrPage]:
    """Each page with the tables and form fields Textract found on it."""
    read = []
    for page in pages:
        found = analysis.get(page.number, Analysis())
        read.append(OcrPage(page=page, tables=found.tables, fields=found.fields))
    return read


def warnings_of(response: Mapping[str, Any]) -> list[str]:
    """A Textract response's ``Warnings`` as sentences (a job can partially succeed)."""
    found: list[str] = []
    for warning in response.get("Warnings") or []:
        pages = ", ".join(str(page) for page in warning.get("Pages") or [])
        code = warning.get("ErrorCode") or "warning"
        found.append(f"{code} on page(s) {pages}" if pages else str(code))
    return found


# -- Page images ----------------------------------------------------------------------------------


def _encoded(image: Image.Image, kind: Literal["PNG", "JPEG"], quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    if kind == "JPEG":
        grey = image.mode in {"1", "L", "LA", "I", "I;16", "F"}
        image.convert("L" if grey else "RGB").save(buffer, "JPEG", quality=quality)
    else:
        keep = image.mode in {"1", "L", "LA", "P", "RGB", "RGBA"}
        (image if keep else image.convert("RGB")).save(buffer, "PNG")
    return buffer.getvalue()


def encode_page(
    image: Image.Image, max_bytes: int = MAX_INLINE_BYTES, max_side: int = MAX_SIDE
) -> tuple[bytes, str]:
    """The page as PNG (lossless, best for OCR) or, when that is over ``max_bytes``, as JPEG,
    scaled down only as far as the limits demand. Returns the bytes and their media type."""
    if max(image.size) > max_side:
        scale = max_side / max(image.size)
        image = image.resize(
            (max(1, int(image.width * scale)), max(1, int(image.height * scale))),
            Image.Resampling.LANCZOS,
        )
    png = _encoded(image, "PNG")
    if len(png) <= max_bytes:
        return png, "image/png"
    for _ in range(8):
        for quality in (90, 80, 70):
            jpeg = _encoded(image, "JPEG", quality)
            if len(jpeg) <= max_bytes:
                return jpeg, "image/jpeg"
        # Still too large: fewer pixels. 0.8 per side keeps text legible for several steps.
        image = image.resize(
            (max(1, int(image.width * 0.8)), max(1, int(image.height * 0.8))),
            Image.Resampling.LANCZOS,
        )
    raise ImageTooLarge(f"page image does not fit in {max_bytes:,} bytes even as a small JPEG")


def _features(settings: Settings) -> list[FeatureTypeType]:
    unknown = [name for name in settings.textract_features if name not in FEATURE_TYPES]
    if unknown:
        raise ValueError(
            f"unsupported Textract feature types {unknown}; use some of {sorted(FEATURE_TYPES)}"
        )
    return [cast("FeatureTypeType", name) for name in settings.textract_features]


class TextractOcr:
    """OCR of one page image with a synchronous Textract call."""

    name = ENGINE

    def __init__(self, settings: Settings, *, client: TextractClient) -> None:
        self._features = _features(settings)
        self._client = client

    def billed(self, pages: int) -> Billed:
        return textract_pages(self._features, pages)

    def recognize(self, page: PageImage, languages: Sequence[str]) -> OcrPage:
        """``languages`` is not used: Textract detects the (Latin-script) language itself."""
        data, _ = encode_page(page.image)
        document: DocumentTypeDef = {"Bytes": data}
        with textract_errors():
            if self._features:
                response: Mapping[str, Any] = self._client.analyze_document(
                    Document=document, FeatureTypes=self._features
                )
            else:
                response = self._client.detect_document_text(Document=document)
        width, height = page.image.size
        blocks = response.get("Blocks") or []
        found = pages_from_blocks(blocks, {}, default_size=(width, height))
        # A page image is one page; its number is the document's, not Textract's (always 1).
        analysis = Analysis()
        for part in analysis_from_blocks(blocks).values():
            analysis.tables.extend(t.model_copy(update={"page": page.number}) for t in part.tables)
            analysis.fields.extend(f.model_copy(update={"page": page.number}) for f in part.fields)
        if not found:
            empty = Page(
                number=page.number,
                width=width,
                height=height,
                unit="px",
                source=PageSource.OCR,
                engine=ENGINE,
            )
            return OcrPage(page=empty, tables=analysis.tables, fields=analysis.fields)
        lines = [line for result in found for line in result.lines]
        return OcrPage(
            page=found[0].model_copy(update={"number": page.number, "lines": lines}),
            tables=analysis.tables,
            fields=analysis.fields,
        )


def client_request_token(token: str) -> str:
    """``token`` if Textract accepts it as a ClientRequestToken (``[A-Za-z0-9_-]``, at most 64
    characters), else its SHA-256 in hex (64 characters): same token, same request token."""
    if _TOKEN.fullmatch(token):
        return token
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class TextractJobState:
    """What ``GetDocumentTextDetection`` says of a job."""

    status: str  # IN_PROGRESS, SUCCEEDED, FAILED, PARTIAL_SUCCESS
    message: str | None = None
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)


class TextractJobs:
    """Asynchronous text detection of a PDF in the bucket, results written to the bucket."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: TextractClient,
        storage: Storage,
    ) -> None:
        self._features = _features(settings)
        self._kms_key = settings.kms_key_arn
        self._client = client
        self._storage = storage

    def billed(self, pages: int) -> Billed:
        return textract_pages(self._features, pages)

    @staticmethod
    def _prefix(output: S3Location) -> str:
        return output.key.strip("/") or "textract_output"

    def start(self, document: S3Location, output: S3Location, token: str) -> str:
        """Starts the job; the same ``token`` returns the same job instead of a second one."""
        location: dict[str, str] = {"Bucket": document.bucket, "Name": document.key}
        if document.version_id:
            location["Version"] = document.version_id
        request_token = client_request_token(token)
        request: dict[str, Any] = {
            "DocumentLocation": {"S3Object": location},
            "ClientRequestToken": request_token,
            # JobTag allows [a-zA-Z0-9_.\-:], a superset of the token's characters: it names the
            # job in Textract's completion notices.
            "JobTag": request_token,
            "OutputConfig": {"S3Bucket": output.bucket, "S3Prefix": self._prefix(output)},
        }
        if self._kms_key:
            # Without it Textract writes its output with SSE-S3, whatever the bucket's default
            # encryption: with the stack's key, the job's output is encrypted like every result.
            request["KMSKeyId"] = self._kms_key
        with textract_errors(document.uri):
            if self._features:
                response: Mapping[str, Any] = self._client.start_document_analysis(
                    FeatureTypes=self._features, **request
                )
            else:
                response = self._client.start_document_text_detection(**request)
        return str(response["JobId"])

    def _get(self, **request: Any) -> Mapping[str, Any]:
        with textract_errors():
            if self._features:
                return cast("Mapping[str, Any]", self._client.get_document_analysis(**request))
            return cast("Mapping[str, Any]", self._client.get_document_text_detection(**request))

    def state(self, job_id: str) -> TextractJobState:
        # MaxResults=1: the status without downloading the blocks.
        response = self._get(JobId=job_id, MaxResults=1)
        metadata = response.get("DocumentMetadata") or {}
        return TextractJobState(
            status=str(response.get("JobStatus", "")),
            message=response.get("StatusMessage"),
            pages=metadata.get("Pages"),
            warnings=warnings_of(response),
        )

    def pages(
        self,
        job_id: str,
        output: S3Location,
        sizes: Mapping[int, PageSize] | None = None,
    ) -> Iterator[OcrPage]:
        """Every page of a finished job, in page order, one page at a time.

        Textract writes a job's blocks in page order, each page's PAGE block first: a page is
        complete when the next one starts, so memory holds one result file and one page's
        blocks, never the job's (about 2.5 MB a dense page at peak when indexed whole).
        Textract does not report page dimensions: pass ``sizes`` (points, from the PDF) to have
        them on the pages; without them a page is the unit square (boxes are fractions anyway).
        """
        warnings: set[str] = set()
        page_blocks: list[Mapping[str, Any]] = []
        current: int | None = None
        done = 0  # the last page given: a switch to the API starts from page 1 again
        for response in self._responses(job_id, output):
            status = response.get("JobStatus")
            if status == "FAILED":
                raise OcrJobFailed(
                    f"Textract job {job_id} failed: {response.get('StatusMessage') or 'no reason'}"
                )
            if status == "IN_PROGRESS":
                raise TransientServiceError(f"Textract job {job_id} has not finished yet")
            warnings.update(warnings_of(response))
            for block in response.get("Blocks") or []:
                number = int(block.get("Page") or 1)
                if number <= done:
                    continue
                if current is not None and number != current and page_blocks:
                    yield from self._read_page(page_blocks, sizes)
                    page_blocks, done = [], current
                    if number <= done:
                        continue
                current = number
                page_blocks.append(block)
        if page_blocks:
            yield from self._read_page(page_blocks, sizes)
        for text in sorted(warnings):
            log.warning("Textract job %s: %s", job_id, text)

    def _read_page(
        self, blocks: list[Mapping[str, Any]], sizes: Mapping[int, PageSize] | None
    ) -> list[OcrPage]:
        pages = pages_from_blocks(blocks, sizes or {}, unit="pt", default_size=(1.0, 1.0))
        return ocr_pages(pages, analysis_from_blocks(blocks) if self._features else {})

    def _result_keys(self, job_id: str, output: S3Location) -> list[str]:
        """The keys of the job's result files ``<prefix>/<JobId>/<n>``, in order; empty when
        there are none or they cannot be listed (then the API gives the results)."""
        folder = S3Location(bucket=output.bucket, key=f"{self._prefix(output)}/{job_id}")
        numbered: list[tuple[int, str]] = []
        try:
            for stored in self._storage.list(folder):
                name = stored.key[len(folder.key) + 1 :]
                if name.isdigit():  # skips ".s3_access_check", Textract's write probe
                    numbered.append((int(name), stored.key))
        except (SourceNotFound, AccessDenied) as error:
            log.warning("Textract job %s: output unreadable in %s (%s)", job_id, folder.uri, error)
            return []
        return [key for _, key in sorted(numbered)]

    def _responses(self, job_id: str, output: S3Location) -> Iterator[Mapping[str, Any]]:
        """The job's result files, read one at a time; from the API when they are not there or
        one cannot be read (the API gives the same results, from the first page)."""
        keys = self._result_keys(job_id, output)
        for key in keys:
            try:
                data = self._storage.read_bytes(S3Location(bucket=output.bucket, key=key))
                response = json.loads(data)
            except (SourceNotFound, AccessDenied, json.JSONDecodeError) as error:
                log.warning("Textract job %s: result %s unreadable (%s)", job_id, key, error)
                break
            yield response
        else:
            if keys:
                return
        yield from self._from_api(job_id)

    def _from_api(self, job_id: str) -> Iterator[Mapping[str, Any]]:
        request: dict[str, Any] = {"JobId": job_id, "MaxResults": _PAGE_SIZE}
        while True:
            response = self._get(**request)
            yield response
            token = response.get("NextToken")
            if not token:
                return
            request["NextToken"] = token
