"""Textract: the request sent for a page image or a job, and the pages made of its answer."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.stub import ANY
from moto import mock_aws
from PIL import Image, ImageDraw

from scriba.aws.storage import Storage
from scriba.config import Settings
from scriba.engines.aws.textract import (
    MAX_INLINE_BYTES,
    TextractJobs,
    TextractOcr,
    client_request_token,
    encode_page,
    pages_from_blocks,
)
from scriba.engines.ports import OcrEngine, OcrJobs, PageImage
from scriba.errors import (
    CorruptDocument,
    DocumentTooLarge,
    EngineFailed,
    OcrJobFailed,
    SourceNotFound,
    Throttled,
    TransientServiceError,
    UnsupportedDocumentType,
)
from scriba.models.document import S3Location
from scriba.models.text import PageSource
from tests.integration.aws.support import capture, load_fixture

Stubbed = Callable[[str], tuple[Any, Any]]

SOURCE = S3Location(
    bucket="scriba-input", key="inbox/annual report.pdf", version_id="3HL4kqtJlcpXroDTDmJ"
)
OUTPUT = S3Location(bucket="scriba-output", key="work/doc-7f3a/textract")


def idle_storage() -> Storage:
    """A bucket these jobs never reach: they only start and poll (results come from a test's
    own bucket where it matters)."""
    return Storage(boto3.client("s3", region_name="us-east-1"))


def scanned_page(width: int = 1240, height: int = 1754) -> Image.Image:
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    draw.text((120, 140), "Invoice No. 4711", fill=0)
    draw.rectangle((120, 300, 1100, 304), fill=0)
    return image


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def job_responses() -> tuple[str, list[dict[str, Any]]]:
    fixture = load_fixture("textract-get-document-text-detection.json")
    return fixture["JobId"], fixture["Responses"]


# -- one page image -------------------------------------------------------------------------------


def test_recognize_sends_the_page_as_png_and_reads_lines_and_words(stubbed: Stubbed) -> None:
    client, stubber = stubbed("textract")
    image = scanned_page()
    stubber.add_response(
        "detect_document_text",
        load_fixture("textract-detect-document-text.json"),
        expected_params={"Document": {"Bytes": png_bytes(image)}},
    )
    engine = TextractOcr(Settings(), client=client)
    assert isinstance(engine, OcrEngine)

    page = engine.recognize(PageImage(number=3, image=image, dpi=150), ["en"]).page

    assert page.number == 3
    assert (page.width, page.height, page.unit) == (1240, 1754, "px")
    assert page.source is PageSource.OCR
    assert page.engine == "textract"
    assert [line.text for line in page.lines] == [
        "Invoice No. 4711",
        "Date: 14 March 2024",
        "Total due: 1,250.00 EUR",
        "Payable within 30 days.",
    ]
    first = page.lines[0]
    assert [word.text for word in first.words] == ["Invoice", "No.", "4711"]
    # Textract's slightly negative Left is clamped into the page.
    assert first.words[0].box.left == 0.0
    assert first.box.top == pytest.approx(0.08)
    assert all(97 < word.confidence <= 100 for line in page.lines for word in line.words)
    assert page.word_count == 15


def test_recognize_uses_analyze_document_when_features_are_set(stubbed: Stubbed) -> None:
    client, stubber = stubbed("textract")
    image = scanned_page(800, 600)
    response = load_fixture("textract-detect-document-text.json")
    response.pop("DetectDocumentTextModelVersion")
    response["AnalyzeDocumentModelVersion"] = "1.0"
    # Table blocks come along; a Page keeps lines and words only.
    response["Blocks"].append(
        {"BlockType": "TABLE", "Id": "0b7c1c32-table", "Confidence": 99.1, "Relationships": []}
    )
    stubber.add_response(
        "analyze_document",
        response,
        expected_params={
            "Document": {"Bytes": png_bytes(image)},
            "FeatureTypes": ["TABLES", "FORMS"],
        },
    )
    settings = Settings(textract_features=["TABLES", "FORMS"])

    page = TextractOcr(settings, client=client).recognize(PageImage(1, image, 0), []).page

    assert page.lines[2].text == "Total due: 1,250.00 EUR"
    assert (page.width, page.height) == (800, 600)


def test_unknown_feature_type_is_refused_at_construction(stubbed: Stubbed) -> None:
    client, _ = stubbed("textract")
    with pytest.raises(ValueError, match="QUERIES"):
        TextractOcr(Settings(textract_features=["QUERIES"]), client=client)


def test_a_page_whose_png_is_too_large_is_sent_as_jpeg_within_the_limit(stubbed: Stubbed) -> None:
    client, stubber = stubbed("textract")
    # Noise does not compress: about 9.7 MB as PNG.
    noisy = Image.frombytes("RGB", (1800, 1800), os.urandom(1800 * 1800 * 3))
    stubber.add_response(
        "detect_document_text",
        {"DocumentMetadata": {"Pages": 1}, "Blocks": []},
        expected_params={"Document": {"Bytes": ANY}},
    )
    requests = capture(client, "DetectDocumentText")

    page = TextractOcr(Settings(), client=client).recognize(PageImage(2, noisy, 300), []).page

    sent = requests[0]["Document"]["Bytes"]
    assert sent[:3] == b"\xff\xd8\xff"  # JPEG
    assert len(sent) <= MAX_INLINE_BYTES
    assert Image.open(io.BytesIO(sent)).size == (1800, 1800)
    assert page.lines == [] and page.number == 2


def test_an_image_over_textract_side_limit_is_scaled_down() -> None:
    data, media_type = encode_page(Image.new("L", (12_000, 300), 255))
    assert media_type == "image/png"
    assert Image.open(io.BytesIO(data)).size == (10_000, 250)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ProvisionedThroughputExceededException", 400, Throttled),
        ("ThrottlingException", 500, Throttled),
        ("LimitExceededException", 400, Throttled),
        ("InternalServerError", 500, TransientServiceError),
        ("UnsupportedDocumentException", 400, UnsupportedDocumentType),
        ("BadDocumentException", 400, CorruptDocument),
        ("DocumentTooLargeException", 400, DocumentTooLarge),
        ("InvalidParameterException", 400, EngineFailed),
    ],
)
def test_recognize_errors_are_typed(
    stubbed: Stubbed, code: str, status: int, expected: type[Exception]
) -> None:
    client, stubber = stubbed("textract")
    stubber.add_client_error(
        "detect_document_text",
        service_error_code=code,
        service_message=code,
        http_status_code=status,
    )
    with pytest.raises(expected) as raised:
        TextractOcr(Settings(), client=client).recognize(PageImage(1, scanned_page(), 300), [])
    assert type(raised.value) is expected
    assert raised.value.retryable is (expected in (Throttled, TransientServiceError))  # type: ignore[attr-defined]


# -- asynchronous jobs ----------------------------------------------------------------------------


def test_start_sends_location_output_and_idempotency_token(stubbed: Stubbed) -> None:
    client, stubber = stubbed("textract")
    job_id, _ = job_responses()
    stubber.add_response(
        "start_document_text_detection",
        {"JobId": job_id},
        expected_params={
            "DocumentLocation": {
                "S3Object": {
                    "Bucket": "scriba-input",
                    "Name": "inbox/annual report.pdf",
                    "Version": "3HL4kqtJlcpXroDTDmJ",
                }
            },
            "ClientRequestToken": "doc-7f3a",
            "JobTag": "doc-7f3a",
            "OutputConfig": {"S3Bucket": "scriba-output", "S3Prefix": "work/doc-7f3a/textract"},
        },
    )
    jobs = TextractJobs(Settings(), client=client, storage=idle_storage())
    assert isinstance(jobs, OcrJobs)

    assert jobs.start(SOURCE, OUTPUT, "doc-7f3a") == job_id


def test_a_token_textract_would_refuse_becomes_a_stable_valid_one(stubbed: Stubbed) -> None:
    client, stubber = stubbed("textract")
    token = "scriba-input/inbox/annual report.pdf#3HL4kqtJlcpXroDTDmJ:" + "x" * 40
    derived = client_request_token(token)
    assert derived == client_request_token(token)
    assert len(derived) == 64 and derived.isalnum()
    assert client_request_token("other" + token) != derived
    for _ in range(2):  # a retried start sends the same token, so Textract returns the same job
        stubber.add_response(
            "start_document_text_detection",
            {"JobId": "a" * 64},
            expected_params={
                "DocumentLocation": ANY,
                "ClientRequestToken": derived,
                "JobTag": derived,
                "OutputConfig": ANY,
            },
        )
    jobs = TextractJobs(Settings(), client=client, storage=idle_storage())
    assert jobs.start(SOURCE, OUTPUT, token) == jobs.start(SOURCE, OUTPUT, token)


def test_start_analysis_when_features_are_set(stubbed: Stubbed) -> None:
    client, stubber = stubbed("textract")
    stubber.add_response(
        "start_document_analysis",
        {"JobId": "b" * 64},
        expected_params={
            "DocumentLocation": ANY,
            "ClientRequestToken": "doc-1",
            "JobTag": "doc-1",
            "OutputConfig": ANY,
            "FeatureTypes": ["TABLES"],
        },
    )
    jobs = TextractJobs(
        Settings(textract_features=["TABLES"]), client=client, storage=idle_storage()
    )
    assert jobs.start(SOURCE, OUTPUT, "doc-1") == "b" * 64


@pytest.mark.parametrize(
    ("code", "expected", "message"),
    [
        (
            "IdempotentParameterMismatchException",
            EngineFailed,
            "ClientRequestToken was already used",
        ),
        ("InvalidS3ObjectException", SourceNotFound, "InvalidS3ObjectException"),
        ("LimitExceededException", Throttled, "LimitExceededException"),
        ("UnsupportedDocumentException", UnsupportedDocumentType, "UnsupportedDocumentException"),
    ],
)
def test_start_errors_name_the_document(
    stubbed: Stubbed, code: str, expected: type[Exception], message: str
) -> None:
    client, stubber = stubbed("textract")
    stubber.add_client_error(
        "start_document_text_detection",
        service_error_code=code,
        service_message="Request has invalid parameters",
        http_status_code=400,
    )
    with pytest.raises(expected, match=message) as raised:
        TextractJobs(Settings(), client=client, storage=idle_storage()).start(
            SOURCE, OUTPUT, "doc-7f3a"
        )
    assert type(raised.value) is expected
    assert str(raised.value).startswith("s3://scriba-input/inbox/annual report.pdf: ")


def test_state_reads_status_message_and_warnings(stubbed: Stubbed) -> None:
    client, stubber = stubbed("textract")
    job_id = "c" * 64
    stubber.add_response(
        "get_document_text_detection",
        {"JobStatus": "IN_PROGRESS", "Blocks": []},
        expected_params={"JobId": job_id, "MaxResults": 1},
    )
    stubber.add_response(
        "get_document_text_detection",
        {
            "JobStatus": "PARTIAL_SUCCESS",
            "StatusMessage": "Some pages could not be processed",
            "DocumentMetadata": {"Pages": 12},
            "Warnings": [{"ErrorCode": "INTERNAL_ERROR", "Pages": [4, 9]}],
            "Blocks": [],
        },
        expected_params={"JobId": job_id, "MaxResults": 1},
    )
    jobs = TextractJobs(Settings(), client=client, storage=idle_storage())

    running = jobs.state(job_id)
    assert (running.status, running.message) == ("IN_PROGRESS", None)
    partial = jobs.state(job_id)
    assert partial.status == "PARTIAL_SUCCESS"
    assert partial.message == "Some pages could not be processed"
    assert partial.pages == 12
    assert partial.warnings == ["INTERNAL_ERROR on page(s) 4, 9"]


def test_state_of_an_unknown_job_is_a_failed_job(stubbed: Stubbed) -> None:
    client, stubber = stubbed("textract")
    stubber.add_client_error(
        "get_document_text_detection",
        service_error_code="InvalidJobIdException",
        service_message="An invalid job identifier was passed.",
        http_status_code=400,
    )
    with pytest.raises(OcrJobFailed, match="invalid job identifier"):
        TextractJobs(Settings(), client=client, storage=idle_storage()).state("d" * 64)


def assert_report_pages(pages: list[Any]) -> None:
    assert [page.number for page in pages] == [1, 2]
    # Page 1's second and third lines come in swapped order in Blocks; the PAGE block's CHILD
    # relationship gives the reading order.
    assert pages[0].text == (
        "Annual Report 2023\n"
        "The cooperative processed 1,240 tonnes of coffee.\n"
        "Revenue rose by 12% compared with 2022."
    )
    assert pages[1].text == "Outlook\nNew drying facilities open in March 2024."
    assert [word.text for word in pages[1].lines[1].words] == [
        "New",
        "drying",
        "facilities",
        "open",
        "in",
        "March",
        "2024.",
    ]
    assert all(page.engine == "textract" and page.source is PageSource.OCR for page in pages)


def test_pages_page_through_the_api_when_the_bucket_has_no_output(stubbed: Stubbed) -> None:
    client, stubber = stubbed("textract")
    job_id, responses = job_responses()
    stubber.add_response(
        "get_document_text_detection",
        responses[0],
        expected_params={"JobId": job_id, "MaxResults": 1000},
    )
    stubber.add_response(
        "get_document_text_detection",
        responses[1],
        expected_params={
            "JobId": job_id,
            "MaxResults": 1000,
            "NextToken": responses[0]["NextToken"],
        },
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="scriba-output")
        jobs = TextractJobs(Settings(), client=client, storage=Storage(s3=s3))
        read = list(jobs.pages(job_id, OUTPUT, sizes={1: (612.0, 792.0), 2: (595.0, 842.0)}))
        pages = [item.page for item in read]

    assert_report_pages(pages)
    assert [(page.width, page.height, page.unit) for page in pages] == [
        (612.0, 792.0, "pt"),
        (595.0, 842.0, "pt"),
    ]


def test_pages_are_read_from_textract_output_in_the_bucket(stubbed: Stubbed) -> None:
    client, _ = stubbed("textract")  # no response queued: any Textract call would fail
    job_id, responses = job_responses()
    blocks = [block for response in responses for block in response["Blocks"]]
    # Textract splits a job's output into numbered files of at most 1,000 blocks; a line's
    # words may land in the next file. Eleven files also check that "10" sorts after "9".
    files = 11
    size = -(-len(blocks) // files)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="scriba-output")
        folder = f"{OUTPUT.key}/{job_id}"
        s3.put_object(Bucket="scriba-output", Key=f"{folder}/.s3_access_check", Body=b"")
        for index in range(files):
            part = {
                "DocumentMetadata": {"Pages": 2},
                "JobStatus": "SUCCEEDED",
                "Blocks": blocks[index * size : (index + 1) * size],
                "DetectDocumentTextModelVersion": "1.0",
            }
            s3.put_object(
                Bucket="scriba-output", Key=f"{folder}/{index + 1}", Body=json.dumps(part)
            )
        read = list(
            TextractJobs(Settings(), client=client, storage=Storage(s3=s3)).pages(job_id, OUTPUT)
        )
        pages = [item.page for item in read]

    assert_report_pages(pages)
    # Without sizes (Textract reports none) a page is the unit square; boxes are fractions.
    assert {(page.width, page.height) for page in pages} == {(1.0, 1.0)}


def test_a_failed_job_raises_with_textract_message(stubbed: Stubbed) -> None:
    client, stubber = stubbed("textract")
    stubber.add_response(
        "get_document_text_detection",
        {"JobStatus": "FAILED", "StatusMessage": "Request has unsupported document format"},
        expected_params={"JobId": "e" * 64, "MaxResults": 1000},
    )
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="scriba-output")
        jobs = TextractJobs(Settings(), client=client, storage=Storage(s3=s3))
        with pytest.raises(OcrJobFailed, match="unsupported document format"):
            list(jobs.pages("e" * 64, OUTPUT))


def test_partial_success_keeps_the_pages_and_logs_the_warnings(
    stubbed: Stubbed, caplog: pytest.LogCaptureFixture
) -> None:
    client, stubber = stubbed("textract")
    job_id, responses = job_responses()
    partial = dict(responses[1], JobStatus="PARTIAL_SUCCESS")
    partial["Warnings"] = [{"ErrorCode": "INTERNAL_ERROR", "Pages": [3]}]
    stubber.add_response("get_document_text_detection", responses[0])
    stubber.add_response("get_document_text_detection", partial)
    with mock_aws(), caplog.at_level(logging.WARNING):
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="scriba-output")
        read = list(
            TextractJobs(Settings(), client=client, storage=Storage(s3=s3)).pages(job_id, OUTPUT)
        )
        pages = [item.page for item in read]
    assert_report_pages(pages)
    assert "INTERNAL_ERROR on page(s) 3" in caplog.text


# -- the pure normalisation -----------------------------------------------------------------------


def test_pages_from_blocks_needs_a_size_for_every_page() -> None:
    _, responses = job_responses()
    with pytest.raises(ValueError, match="page 2"):
        pages_from_blocks(responses[0]["Blocks"] + responses[1]["Blocks"], {1: (612, 792)})


def test_pages_from_blocks_keeps_a_blank_page() -> None:
    blank = {"BlockType": "PAGE", "Id": "p-5", "Page": 5, "Geometry": {}}
    [page] = pages_from_blocks([blank], {5: (100, 200)})
    assert (page.number, page.lines, page.width) == (5, [], 100)


def test_a_job_is_read_a_page_at_a_time(stubbed: Stubbed) -> None:
    """A 3,000-page job must not be held whole: the first page comes out before the files of
    the last pages are read, and each page's blocks, split over files, stay together."""
    client, _ = stubbed("textract")
    job_id, responses = job_responses()
    blocks = [block for response in responses for block in response["Blocks"]]
    files = 11
    size = -(-len(blocks) // files)
    read_keys: list[str] = []

    class CountingStorage(Storage):
        def read_bytes(self, location: S3Location) -> bytes:
            read_keys.append(location.key)
            return super().read_bytes(location)

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="scriba-output")
        folder = f"{OUTPUT.key}/{job_id}"
        for index in range(files):
            part = {"JobStatus": "SUCCEEDED", "Blocks": blocks[index * size : (index + 1) * size]}
            s3.put_object(
                Bucket="scriba-output", Key=f"{folder}/{index + 1}", Body=json.dumps(part)
            )
        pages = TextractJobs(Settings(), client=client, storage=CountingStorage(s3=s3)).pages(
            job_id, OUTPUT
        )
        first = next(pages)
        files_for_first = len(read_keys)
        rest = list(pages)

    # Page 1 is complete when page 2's first block is seen: the files up to that one are read.
    page_two_starts = min(i for i, b in enumerate(blocks) if int(b.get("Page") or 1) == 2)
    assert files_for_first == page_two_starts // size + 1
    assert files_for_first < files
    assert len(read_keys) == files
    assert_report_pages([first.page, *[item.page for item in rest]])
