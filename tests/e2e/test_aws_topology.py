"""The deployed topology under moto, with the AWS engines.

An object put into the input bucket goes through the template's EventBridge rule to the start
queue, the starter function starts the state machine, moto's interpreter runs it, and every Lambda
task runs its real handler in this process with the AWS engines. S3, SQS, EventBridge and Step
Functions are moto; Textract, Rekognition, Bedrock, Translate, Polly and Comprehend are answered by
``FakeAwsServices`` (tests/e2e/aws_services.py), which records every request.

The two-page scan takes the Textract job path, whose Wait state sleeps 15 s per poll (two polls):
this module takes about a minute.
"""

from __future__ import annotations

import io
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import miniaudio
import pdfplumber
import pytest
from PIL import Image

import scriba.aws.clients
from scriba import layout
from scriba.aws.executions import execution_arn
from scriba.context import forget_contexts
from scriba.engines.aws.polly import MAX_BILLED_CHARACTERS
from scriba.local.cloud import LocalCloud
from scriba.local.template import ACCOUNT, REGION
from scriba.models.document import Source
from scriba.models.event import DocumentEvent
from scriba.models.manifest import ArtifactKind, Manifest, Status
from scriba.models.summary import Summary, SummaryMethod
from scriba.models.tags import Tags
from scriba.models.text import DocumentText
from scriba.models.translation import Translation
from tests.e2e.aws_services import (
    CHARACTERS_PER_SECOND,
    REKOGNITION_MAX_BYTES,
    REKOGNITION_MIN_SIDE,
    TRANSLATE_MAX_BYTES,
    Call,
    FakeAwsServices,
    fixture_pages,
    page_lines,
)
from tests.e2e.documents import photo_jpeg, scanned_pdf
from tests.iam import CallRecorder, refused

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["es", "fr"]
MODEL_ID = "amazon.titan-text-premier-v1:0"  # not the template's default: the parameter is used
MIN_LABEL_CONFIDENCE = 90.0
MAX_LABELS = 10
VOICES = {"es": "Lucia", "fr": "Lea"}
SCAN_AT_OCR_DPI = (2480, 3508)  # an A4 page rendered at 300 dpi for OCR
# Bounded waits: the job path alone sleeps 2 x 15 s in its Wait state.
EXECUTION_TIMEOUT = 150.0
QUEUE_TIMEOUT = 30.0


@dataclass
class Topology:
    cloud: LocalCloud
    services: FakeAwsServices
    s3: Any
    sqs: Any
    events_queue: str  # every event on the stack's bus with source "scriba"
    uploads_queue: str  # every S3 "Object Created" event of the input bucket
    calls: CallRecorder  # every AWS call a function made
    events: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)

    def drain(self) -> None:
        """Moves what the capture queues hold into ``events`` and ``uploads``."""
        for url, into in ((self.events_queue, self.events), (self.uploads_queue, self.uploads)):
            while True:
                messages = self.sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
                ).get("Messages", [])
                if not messages:
                    break
                into.extend(json.loads(message["Body"]) for message in messages)
                self.sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages)
                    ],
                )


def _capture(cloud: LocalCloud, sqs: Any, name: str, bus: str, pattern: dict[str, Any]) -> str:
    url: str = sqs.create_queue(QueueName=name)["QueueUrl"]
    events = cloud.clients.events
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule=name,
        EventBusName=bus,
        Targets=[{"Id": name, "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"}],
    )
    return url


@pytest.fixture(scope="module")
def topology() -> Iterator[Topology]:
    parameters = {"TargetLanguages": ",".join(LANGUAGES), "BedrockModelId": MODEL_ID}
    environment = {
        "SCRIBA_ENGINES": "aws",
        "SCRIBA_MIN_LABEL_CONFIDENCE": str(MIN_LABEL_CONFIDENCE),
        "SCRIBA_MAX_LABELS": str(MAX_LABELS),
    }
    with LocalCloud(workers=0, parameters=parameters, environment=environment) as cloud:
        s3, sqs = cloud.clients.s3, cloud.clients.sqs
        services = FakeAwsServices(s3)
        # The AWS engines' clients come from scriba.aws.clients.session(): hooks first, then new
        # clients (the contexts that hold them are made again).
        forget_contexts()
        calls = CallRecorder()
        calls.install(scriba.aws.clients.session())
        services.install(scriba.aws.clients.session())
        try:
            bus = cloud.stack.event_buses["EventBus"]
            events_queue = _capture(cloud, sqs, "scriba-events-seen", bus, {"source": ["scriba"]})
            uploads_queue = _capture(
                cloud,
                sqs,
                "scriba-uploads-seen",
                "default",
                {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {"bucket": {"name": [cloud.stack.input_bucket]}},
                },
            )
            yield Topology(cloud, services, s3, sqs, events_queue, uploads_queue, calls)
        finally:
            services.uninstall()
            calls.uninstall(scriba.aws.clients.session())
            forget_contexts()


# -- helpers --------------------------------------------------------------------------------------


@dataclass
class Upload:
    key: str
    data: bytes
    source: Source
    arn: str


def upload(topology: Topology, key: str, data: bytes) -> Upload:
    """Puts the object into the input bucket, as a user does; the trigger path does the rest."""
    cloud = topology.cloud
    put = topology.s3.put_object(Bucket=cloud.stack.input_bucket, Key=key, Body=data)
    source = Source(
        bucket=cloud.stack.input_bucket,
        key=key,
        version_id=put["VersionId"],
        etag=put["ETag"].strip('"'),
        size=len(data),
    )
    arn = execution_arn(cloud.state_machine_arn, layout.execution_name(source))
    return Upload(key=key, data=data, source=source, arn=arn)


def wait_for_executions(topology: Topology, uploads: list[Upload]) -> dict[str, Mapping[str, Any]]:
    """Each upload's execution, described once it has ended (the starter names it)."""
    sfn = topology.cloud.sfn
    deadline = time.monotonic() + EXECUTION_TIMEOUT
    ended: dict[str, Mapping[str, Any]] = {}
    while len(ended) < len(uploads):
        for item in uploads:
            if item.key in ended:
                continue
            try:
                description = sfn.describe_execution(executionArn=item.arn)
            except sfn.exceptions.ExecutionDoesNotExist:
                continue  # the starter has not run yet
            if description["status"] != "RUNNING":
                ended[item.key] = description
        if len(ended) < len(uploads):
            pending = [item.key for item in uploads if item.key not in ended]
            assert time.monotonic() < deadline, f"still running: {pending}"
            time.sleep(0.5)
    return ended


def wait_for_empty_queue(topology: Topology, logical_id: str) -> None:
    url = topology.cloud.queue_urls[logical_id]
    deadline = time.monotonic() + QUEUE_TIMEOUT
    while True:
        attributes = topology.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if all(value == "0" for value in attributes.values()):
            return
        assert time.monotonic() < deadline, f"{logical_id} not drained: {attributes}"
        time.sleep(0.5)


def output_listing(topology: Topology, key: str) -> dict[str, tuple[str, Any]]:
    """Relative path -> (ETag, LastModified) of everything under the document's output prefix."""
    prefix = f"documents/{key}/"
    listing: dict[str, tuple[str, Any]] = {}
    paginator = topology.s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=topology.cloud.stack.output_bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            listing[item["Key"][len(prefix) :]] = (item["ETag"], item["LastModified"])
    return listing


def read(topology: Topology, key: str, relative: str) -> bytes:
    body = topology.s3.get_object(
        Bucket=topology.cloud.stack.output_bucket, Key=f"documents/{key}/{relative}"
    )["Body"]
    data: bytes = body.read()
    return data


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
    return loaded


def manifest_of(topology: Topology, key: str) -> Manifest:
    data = read(topology, key, layout.MANIFEST)
    jsonschema.validate(json.loads(data), schema("manifest"))
    return Manifest.model_validate_json(data)


def words(text: str) -> list[str]:
    return text.split()


def mp3_seconds(data: bytes) -> float:
    """Seconds of sound in an MP3, decoded to samples (not read from its headers)."""
    decoded = miniaudio.decode(data, nchannels=1)
    assert max(decoded.samples) > 0, "the MP3 decodes to silence"
    return float(decoded.duration)


def image_of(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def prompt_of(call: Call) -> str:
    return " ".join(
        block["text"] for message in call.params["messages"] for block in message["content"]
    )


def answer_of(call: Call) -> str:
    assert call.response is not None
    return str(call.response["output"]["message"]["content"][0]["text"])


def assert_results_in_every_language(
    topology: Topology, key: str, manifest: Manifest, summary: Summary
) -> None:
    """translations/<lang>.json and audio/<lang>.mp3: the fake's translation of the summary,
    narrated by Polly for as long as the text takes to read."""
    services = topology.services
    for language in LANGUAGES:
        translation = Translation.model_validate_json(
            read(topology, key, layout.translation_path(language))
        )
        assert translation.text == services.translations[language]
        assert (translation.source_language, translation.target_language) == ("en", language)
        assert (translation.engine, translation.requests) == ("amazon-translate", 1)
        sent = [
            call
            for call in services.requests("TranslateText")
            if call.response is not None
            and call.params["TargetLanguageCode"] == language
            and words(call.params["Text"]) == words(" ".join(summary.sentences))
        ]
        assert len(sent) == 1, f"{key}: one TranslateText of its summary into {language}"
        assert sent[0].params["SourceLanguageCode"] == "en"

        audio = read(topology, key, layout.audio_path(language))
        seconds = mp3_seconds(audio)
        assert seconds == pytest.approx(len(translation.text) / CHARACTERS_PER_SECOND, abs=0.3)
        artifact = manifest.artifact(ArtifactKind.AUDIO, language)
        assert artifact is not None and artifact.path == layout.audio_path(language)
        assert artifact.details["voice"] == VOICES[language]
        assert artifact.details["engine"] == "polly-neural"
        assert artifact.details["duration_seconds"] == pytest.approx(seconds, abs=0.15)
        assert artifact.details["characters"] == len(translation.text)


def expected_layout(images: list[str]) -> set[str]:
    return {
        layout.MANIFEST,
        layout.TEXT,
        layout.PLAIN_TEXT,
        layout.TAGS,
        layout.SUMMARY,
        *images,
        *(layout.translation_path(language) for language in LANGUAGES),
        *(layout.audio_path(language) for language in LANGUAGES),
    }


# -- the tests ------------------------------------------------------------------------------------


@dataclass
class MixedRun:
    """Five documents of every kind through the deployed topology, and what the services were
    asked meanwhile (kept here: later tests ask the services again)."""

    uploads: dict[str, Upload]
    ended: dict[str, Mapping[str, Any]]
    manifests: dict[str, Manifest]
    requests: dict[str, list[Call]]
    translations: dict[str, str]
    events: list[dict[str, Any]]
    born_digital: Path
    invoice_pages: list[list[dict[str, Any]]]

    def asked(self, operation: str) -> list[Call]:
        return self.requests[operation]


ASKED = (
    "DetectDocumentText",
    "StartDocumentTextDetection",
    "GetDocumentTextDetection",
    "Converse",
    "DetectLabels",
    "TranslateText",
    "SynthesizeSpeech",
)


@pytest.fixture(scope="module")
def mixed(topology: Topology, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> MixedRun:
    services = topology.services
    services.clear()
    folder = tmp_path_factory.mktemp("mixed")
    invoice_pages = fixture_pages("textract-detect-document-text.json")
    report_pages = fixture_pages("textract-get-document-text-detection.json")
    born_digital = corpus / "pdflatex-4-pages.pdf"
    documents = {
        "reports/pdflatex-4-pages.pdf": born_digital.read_bytes(),
        "scans/invoice 4711.pdf": scanned_pdf(invoice_pages, folder / "i.pdf").read_bytes(),
        "scans/annual report.pdf": scanned_pdf(report_pages, folder / "r.pdf").read_bytes(),
        "photos/coati.jpg": photo_jpeg(corpus, folder / "coati.jpg").read_bytes(),
        "protected/writer.pdf": (corpus / "libreoffice-writer-password.pdf").read_bytes(),
    }
    uploads = {key: upload(topology, key, data) for key, data in documents.items()}
    ended = wait_for_executions(topology, list(uploads.values()))
    topology.drain()
    return MixedRun(
        uploads=uploads,
        ended=ended,
        manifests={key: manifest_of(topology, key) for key in uploads},
        requests={operation: list(services.requests(operation)) for operation in ASKED},
        translations=dict(services.translations),
        events=list(topology.events),
        born_digital=born_digital,
        invoice_pages=invoice_pages,
    )


def summary_checked(topology: Topology, run: MixedRun, key: str, says: str) -> Summary:
    """The document's summary: Bedrock's answer to the one request about it, with its usage."""
    summary = Summary.model_validate_json(read(topology, key, layout.SUMMARY))
    [call] = [c for c in run.asked("Converse") if says in prompt_of(c)]
    assert call.response is not None
    assert summary.text == answer_of(call)
    assert (summary.method, summary.engine, summary.model) == (
        SummaryMethod.ABSTRACTIVE,
        "bedrock",
        MODEL_ID,
    )
    assert summary.usage is not None
    assert summary.usage.input_tokens == call.response["usage"]["inputTokens"]
    assert summary.usage.output_tokens == call.response["usage"]["outputTokens"]
    assert summary.usage.calls == 1
    assert summary.language == "en"
    return summary


def test_uploads_become_one_execution_and_a_complete_result_set_each(
    topology: Topology, mixed: MixedRun
) -> None:
    cloud, uploads, manifests = topology.cloud, mixed.uploads, mixed.manifests
    assert {key: d["status"] for key, d in mixed.ended.items()} == {
        "reports/pdflatex-4-pages.pdf": "SUCCEEDED",
        "scans/invoice 4711.pdf": "SUCCEEDED",
        "scans/annual report.pdf": "SUCCEEDED",
        "photos/coati.jpg": "SUCCEEDED",
        "protected/writer.pdf": "FAILED",
    }
    for key, manifest in manifests.items():
        item = uploads[key]
        assert manifest.engines == "aws"
        assert manifest.name == key
        assert manifest.document_id == layout.document_id(item.source)
        assert manifest.source.version_id == item.source.version_id
        assert manifest.execution == item.arn
        assert manifest.output == f"s3://{cloud.stack.output_bucket}/documents/{key}/"
        expected_status = Status.FAILED if key.startswith("protected/") else Status.SUCCEEDED
        assert manifest.status is expected_status, manifest.failure
        if expected_status is Status.SUCCEEDED:
            assert manifest.languages == LANGUAGES
            assert all(a.status is Status.SUCCEEDED for a in manifest.artifacts)
            # Every artifact the manifest lists is there, with the size it says.
            listing = output_listing(topology, key)
            for artifact in manifest.artifacts:
                assert artifact.path in listing
                assert artifact.size == len(read(topology, key, artifact.path))


def test_a_born_digital_pdf_is_read_from_its_text_layer_without_textract(
    topology: Topology, mixed: MixedRun
) -> None:
    key = "reports/pdflatex-4-pages.pdf"
    manifests = mixed.manifests
    text = DocumentText.model_validate_json(read(topology, key, layout.TEXT))
    assert [(p.number, p.source.value, p.engine) for p in text.pages] == [
        (n, "text_layer", "pdfium") for n in range(1, 5)
    ]
    # The same characters as pdfplumber reads (which runs words together on this PDF, whose
    # spaces are gaps, not characters), pages separated by form feeds.
    with pdfplumber.open(mixed.born_digital) as pdf:
        plumbed = ["".join(page.extract_text().split()) for page in pdf.pages]
    plain = read(topology, key, layout.PLAIN_TEXT).decode("utf-8")
    assert ["".join(page.split()) for page in plain.split("\f")] == plumbed
    assert words(plain)[:8] == ["Hello,", "here", "is", "some", "text", "without", "a", "meaning."]
    assert text.language == manifests[key].language == "en"
    assert manifests[key].pages == 4
    assert set(output_listing(topology, key)) == expected_layout([])
    tags = Tags.model_validate_json(read(topology, key, layout.TAGS))
    assert (tags.engine, tags.images, tags.labels) == ("rekognition", [], [])

    # Textract saw the scans and the photo only: one page image each, and one job.
    detected = mixed.asked("DetectDocumentText")
    photo, scan = sorted(image_of(call.params["Document"]["Bytes"]).size for call in detected)
    assert photo == (300, 200)
    assert scan == pytest.approx(SCAN_AT_OCR_DPI, abs=1)  # rendered at SCRIBA_OCR_DPI (300)
    assert len(mixed.asked("StartDocumentTextDetection")) == 1

    # Bedrock: one request per document with text, the configured model.
    conversations = mixed.asked("Converse")
    assert len(conversations) == 3
    assert {call.params["modelId"] for call in conversations} == {MODEL_ID}
    assert all("system" not in call.params for call in conversations)  # Titan takes none

    summary = summary_checked(topology, mixed, key, "Hello, here is some text without a meaning.")
    assert summary.text.startswith("Hello, here is some text without a meaning.")
    assert_results_in_every_language(topology, key, manifests[key], summary)


def test_a_one_page_scan_goes_to_detect_document_text(topology: Topology, mixed: MixedRun) -> None:
    key = "scans/invoice 4711.pdf"
    text = DocumentText.model_validate_json(read(topology, key, layout.TEXT))
    [page] = text.pages
    assert (page.number, page.source.value, page.engine, page.unit) == (1, "ocr", "textract", "px")
    assert (page.width, page.height) == pytest.approx(SCAN_AT_OCR_DPI, abs=1)
    assert page.text.splitlines() == [line for line, _ in page_lines(mixed.invoice_pages[0])]
    assert text.language == "en"
    tags = Tags.model_validate_json(read(topology, key, layout.TAGS))
    [image] = tags.images
    assert image.page == 1
    assert [label.name for label in image.labels] == ["Text", "Document", "Page"]
    assert all(label.confidence >= MIN_LABEL_CONFIDENCE for label in tags.labels)
    assert set(output_listing(topology, key)) == expected_layout([image.path])
    assert_results_in_every_language(
        topology,
        key,
        mixed.manifests[key],
        summary_checked(topology, mixed, key, "Invoice No. 4711"),
    )


def test_a_two_page_scan_is_one_textract_job_awaited_by_the_state_machine(
    topology: Topology, mixed: MixedRun
) -> None:
    cloud = topology.cloud
    key = "scans/annual report.pdf"
    document_id = layout.document_id(mixed.uploads[key].source)
    [started] = mixed.asked("StartDocumentTextDetection")
    work = f"work/{document_id}"
    # The first attempt, never redriven (moto's $$.Execution has no RedriveCount: 0).
    assert started.params["ClientRequestToken"] == f"{document_id}-a0-d0"
    assert started.params["DocumentLocation"]["S3Object"]["Bucket"] == cloud.stack.output_bucket
    assert started.params["DocumentLocation"]["S3Object"]["Name"] == f"{work}/ocr-input.pdf"
    assert started.params["OutputConfig"] == {
        "S3Bucket": cloud.stack.output_bucket,
        "S3Prefix": f"{work}/ocr-job",
    }
    polls = mixed.asked("GetDocumentTextDetection")
    assert [call.response["JobStatus"] for call in polls if call.response] == [
        "IN_PROGRESS",
        "SUCCEEDED",
    ]
    # Polls ask for the status only; the pages come from the job's output in the bucket.
    assert {call.params["MaxResults"] for call in polls} == {1}
    text = DocumentText.model_validate_json(read(topology, key, layout.TEXT))
    assert [(p.number, p.source.value, p.engine, p.unit) for p in text.pages] == [
        (1, "ocr", "textract", "pt"),
        (2, "ocr", "textract", "pt"),
    ]
    # Page sizes come from the PDF (Textract reports none): A4 scanned at 150 dpi.
    for p in text.pages:
        assert (p.width, p.height) == pytest.approx((1240 * 72 / 150, 1754 * 72 / 150))
    assert [p.text for p in text.pages] == [
        "Annual Report 2023\n"
        "The cooperative processed 1,240 tonnes of coffee.\n"
        "Revenue rose by 12% compared with 2022.",
        "Outlook\nNew drying facilities open in March 2024.",
    ]
    tags = Tags.model_validate_json(read(topology, key, layout.TAGS))
    assert [image.page for image in tags.images] == [1, 2]
    assert set(output_listing(topology, key)) == expected_layout([i.path for i in tags.images])
    assert_results_in_every_language(
        topology,
        key,
        mixed.manifests[key],
        summary_checked(topology, mixed, key, "Annual Report 2023"),
    )


def test_a_photo_is_described_by_rekognition_labels(topology: Topology, mixed: MixedRun) -> None:
    key = "photos/coati.jpg"
    text = DocumentText.model_validate_json(read(topology, key, layout.TEXT))
    assert [p.lines for p in text.pages] == [[]]
    assert "no text found in the document" in mixed.manifests[key].warnings
    tags = Tags.model_validate_json(read(topology, key, layout.TAGS))
    [image] = tags.images
    assert (image.page, image.width, image.height) == (None, 300, 200)
    # Road (84 %) is under the configured minimum confidence.
    assert [label.name for label in image.labels] == [
        "Bicycle",
        "Transportation",
        "Vehicle",
        "Person",
        "Adult",
    ]
    assert tags.people and image.faces == 2
    stored = read(topology, key, image.path)
    assert image_of(stored).format == "JPEG"
    # Encoded once: what Rekognition was sent is what images/ holds.
    assert stored in [call.params["Image"]["Bytes"] for call in mixed.asked("DetectLabels")]
    assert set(output_listing(topology, key)) == expected_layout([image.path])
    summary = Summary.model_validate_json(read(topology, key, layout.SUMMARY))
    assert (summary.method, summary.language, summary.usage) == (SummaryMethod.LABELS, "en", None)
    assert summary.sentences[0] == "No readable text was found in the document."
    assert summary.sentences[1].startswith("In the picture: ")
    assert_results_in_every_language(topology, key, mixed.manifests[key], summary)


def test_a_password_protected_pdf_gets_a_failure_record_and_nothing_else(
    topology: Topology, mixed: MixedRun
) -> None:
    key = "protected/writer.pdf"
    failure = mixed.manifests[key].failure
    assert failure is not None
    assert (failure.stage.value, failure.reason, failure.error_type) == (
        "inspect",
        "encrypted_document",
        "EncryptedDocument",
    )
    assert key in failure.message and "password" in failure.message
    assert mixed.manifests[key].artifacts == []
    assert set(output_listing(topology, key)) == {layout.MANIFEST}


def test_the_services_are_asked_within_their_limits(mixed: MixedRun) -> None:
    labelled = mixed.asked("DetectLabels")
    assert len(labelled) == 4  # the invoice scan, the report's two pages, the photo
    for call in labelled:
        data = call.params["Image"]["Bytes"]
        picture = image_of(data)
        assert picture.format in ("JPEG", "PNG")
        assert len(data) <= REKOGNITION_MAX_BYTES
        assert min(picture.size) >= REKOGNITION_MIN_SIDE and max(picture.size) <= 10_000
        assert call.params["MinConfidence"] == MIN_LABEL_CONFIDENCE
        assert call.params["MaxLabels"] == MAX_LABELS
    translated = mixed.asked("TranslateText")
    assert len(translated) == 4 * len(LANGUAGES)
    assert all(
        len(call.params["Text"].encode("utf-8")) <= TRANSLATE_MAX_BYTES for call in translated
    )
    spoken = mixed.asked("SynthesizeSpeech")
    assert len(spoken) == 4 * len(LANGUAGES)
    for call in spoken:
        ssml = call.params["Text"]
        assert call.params["TextType"] == "ssml" and call.params["OutputFormat"] == "mp3"
        said = "".join(ET.fromstring(ssml).itertext())
        assert len(said) <= MAX_BILLED_CHARACTERS
        language = next(code for code, text in mixed.translations.items() if text == said)
        assert (call.params["VoiceId"], call.params["Engine"]) == (VOICES[language], "neural")
        if "'" in said:  # French "chiffre d'affaires": reserved in SSML, so escaped
            assert "&apos;" in ssml and "'" not in ssml
    assert any("'" in "".join(ET.fromstring(c.params["Text"]).itertext()) for c in spoken)


def test_one_event_per_document_points_at_its_manifest(topology: Topology, mixed: MixedRun) -> None:
    cloud, uploads, manifests = topology.cloud, mixed.uploads, mixed.manifests
    by_name = {event["detail"]["name"]: event for event in mixed.events}
    assert len(mixed.events) == len(uploads) and set(by_name) == set(uploads)
    for key, event in by_name.items():
        jsonschema.validate(event["detail"], schema("document-event"))
        detail = DocumentEvent.model_validate(event["detail"])
        assert event["source"] == "scriba"
        assert event["detail-type"] == (
            "Document Failed" if key.startswith("protected/") else "Document Processed"
        )
        assert detail.manifest == f"s3://{cloud.stack.output_bucket}/documents/{key}/manifest.json"
        assert detail.status is manifests[key].status
        assert detail.document_id == manifests[key].document_id
        assert detail.source.version_id == uploads[key].source.version_id
        assert detail.failure == manifests[key].failure
    assert by_name["protected/writer.pdf"]["detail"]["failure"]["reason"] == "encrypted_document"


def test_the_sources_are_never_modified_nor_deleted(topology: Topology, mixed: MixedRun) -> None:
    for key, item in mixed.uploads.items():
        versions = topology.s3.list_object_versions(
            Bucket=topology.cloud.stack.input_bucket, Prefix=key
        )
        assert [v["VersionId"] for v in versions["Versions"]] == [item.source.version_id]
        stored = topology.s3.get_object(Bucket=topology.cloud.stack.input_bucket, Key=key)
        assert stored["Body"].read() == item.data


def test_a_redelivered_upload_event_is_still_one_execution_and_one_result_set(
    topology: Topology, mixed: MixedRun
) -> None:
    cloud, uploads = topology.cloud, mixed.uploads
    key = "reports/pdflatex-4-pages.pdf"
    [event] = [e for e in topology.uploads if e["detail"]["object"]["key"] == key]
    before = output_listing(topology, key)
    executions_before = cloud.sfn.list_executions(stateMachineArn=cloud.state_machine_arn)
    assert len(executions_before["executions"]) == len(uploads)
    topology.sqs.send_message(
        QueueUrl=cloud.queue_urls["StartQueue"], MessageBody=json.dumps(event)
    )
    wait_for_empty_queue(topology, "StartQueue")
    executions = cloud.sfn.list_executions(stateMachineArn=cloud.state_machine_arn)["executions"]
    assert sorted(e["executionArn"] for e in executions) == sorted(u.arn for u in uploads.values())
    assert output_listing(topology, key) == before
    wait_for_empty_queue(topology, "StartDeadLetterQueue")
    topology.events.clear()
    topology.drain()
    assert topology.events == []


def test_throttled_services_are_retried_by_the_state_machine(
    topology: Topology, corpus: Path
) -> None:
    services = topology.services
    services.clear()
    # The state machine's Retry sleeps up to 2 s, then 4 s (full jitter) before these succeed.
    services.fail_next("TranslateText", 2, "ThrottlingException")
    services.fail_next("SynthesizeSpeech", 1, "ThrottlingException")
    key = "throttled/crazyones.pdf"
    item = upload(topology, key, (corpus / "crazyones-pdfa.pdf").read_bytes())

    ended = wait_for_executions(topology, [item])

    assert ended[key]["status"] == "SUCCEEDED"
    # Each throttle failed its Lambda task with the typed error, which the Retry matched.
    history = topology.cloud.sfn.get_execution_history(executionArn=item.arn, maxResults=1000)
    failed_tasks = [
        event["lambdaFunctionFailedEventDetails"]
        for event in history["events"]
        if event["type"] == "LambdaFunctionFailed"
    ]
    assert [task["error"] for task in failed_tasks] == ["Throttled"] * 3
    assert sum("TranslateText: ThrottlingException" in t["cause"] for t in failed_tasks) == 2
    assert sum("SynthesizeSpeech: ThrottlingException" in t["cause"] for t in failed_tasks) == 1
    manifest = manifest_of(topology, key)
    assert manifest.status is Status.SUCCEEDED
    assert all(artifact.status is Status.SUCCEEDED for artifact in manifest.artifacts)
    translated = services.requests("TranslateText")
    assert [call.error for call in translated].count("ThrottlingException") == 2
    assert len([call for call in translated if call.response is not None]) == len(LANGUAGES)
    spoken = services.requests("SynthesizeSpeech")
    assert [call.error for call in spoken].count("ThrottlingException") == 1
    assert len([call for call in spoken if call.response is not None]) == len(LANGUAGES)
    summary = Summary.model_validate_json(read(topology, key, layout.SUMMARY))
    assert_results_in_every_language(topology, key, manifest, summary)
    assert set(output_listing(topology, key)) == expected_layout([])
    topology.drain()
    [event] = [e for e in topology.events if e["detail"]["name"] == key]
    assert event["detail-type"] == "Document Processed"


# -- fault injection ------------------------------------------------------------------------

# Each service's own throttling error, as its API reference names it.
THROTTLES = {
    "DetectDocumentText": "ProvisionedThroughputExceededException",
    "DetectLabels": "ProvisionedThroughputExceededException",
    "Converse": "ThrottlingException",
    "DetectDominantLanguage": "TooManyRequestsException",
    "TranslateText": "TooManyRequestsException",
    "SynthesizeSpeech": "ThrottlingException",
}


def failed_lambda_errors(topology: Topology, arn: str) -> list[Mapping[str, Any]]:
    history = topology.cloud.sfn.get_execution_history(executionArn=arn, maxResults=1000)
    return [
        event["lambdaFunctionFailedEventDetails"]
        for event in history["events"]
        if event["type"] == "LambdaFunctionFailed"
    ]


def test_every_aws_service_throttled_once_still_succeeds(
    topology: Topology,
    corpus: Path,
    tmp_path: Path,
) -> None:
    services = topology.services
    services.clear()
    for operation, code in THROTTLES.items():
        services.fail_next(operation, 1, code)
    scan = scanned_pdf(fixture_pages("textract-detect-document-text.json"), tmp_path / "s.pdf")
    items = [
        upload(topology, "faults/invoice.pdf", scan.read_bytes()),
        upload(topology, "faults/photo.jpg", photo_jpeg(corpus, tmp_path / "p.jpg").read_bytes()),
    ]
    ended = wait_for_executions(topology, items)
    assert {key: value["status"] for key, value in ended.items()} == {
        "faults/invoice.pdf": "SUCCEEDED",
        "faults/photo.jpg": "SUCCEEDED",
    }
    for operation, code in THROTTLES.items():
        errors = [call.error for call in services.requests(operation)]
        assert errors.count(code) == 1, (operation, errors)
        assert any(error is None for error in errors), f"{operation} never succeeded"
    failures = [f for item in items for f in failed_lambda_errors(topology, item.arn)]
    assert len(failures) == len(THROTTLES)
    assert {failure["error"] for failure in failures} == {"Throttled"}
    for key in ("faults/invoice.pdf", "faults/photo.jpg"):
        manifest = manifest_of(topology, key)
        assert manifest.status is Status.SUCCEEDED
        assert all(artifact.status is Status.SUCCEEDED for artifact in manifest.artifacts)


def test_a_permanent_failure_in_one_language_delivers_the_others(
    topology: Topology,
    corpus: Path,
) -> None:
    services = topology.services
    services.clear()
    # A permanent error: not retried, caught, recorded for that language only.
    services.fail_next("SynthesizeSpeech", 1, "TextLengthExceededException", "Text too long")
    key = "faults/partial.pdf"
    # Bytes no earlier test uploaded: identical content would reuse earlier results instead.
    item = upload(topology, key, (corpus / "google-doc-document.pdf").read_bytes())
    assert wait_for_executions(topology, [item])[key]["status"] == "SUCCEEDED"
    manifest = manifest_of(topology, key)
    assert manifest.reused_from is None
    assert manifest.status is Status.PARTIAL
    audio = {a.language: a for a in manifest.artifacts if a.kind is ArtifactKind.AUDIO}
    failed = [language for language, a in audio.items() if a.status is Status.FAILED]
    delivered = [language for language, a in audio.items() if a.status is Status.SUCCEEDED]
    assert len(failed) == 1 and sorted(map(str, failed + delivered)) == sorted(LANGUAGES)
    failure = audio[failed[0]].failure
    assert failure is not None and failure.stage.value == "speak"
    assert failure.reason == "engine_failed"
    assert "longer than Polly accepts" in failure.message and key in failure.message
    listing = output_listing(topology, key)
    assert any(path.endswith(f"audio/{delivered[0]}.mp3") for path in listing)
    assert not any(path.endswith(f"audio/{failed[0]}.mp3") for path in listing)
    for language in LANGUAGES:  # both translations were made before narration
        translation = manifest.artifact(ArtifactKind.TRANSLATION, language)
        assert translation is not None and translation.status is Status.SUCCEEDED
    # Permanent errors are not retried: one Polly failure, one failed task.
    assert len(failed_lambda_errors(topology, item.arn)) == 1


def test_every_call_a_function_made_is_allowed_by_its_role(topology: Topology) -> None:
    """Run last: the calls of every test above, each checked against template.yaml's role of
    the function that made it (moto allows everything; AWS would refuse what is missing)."""
    stage_functions = {
        "StartFunction",
        "ExtractFunction",
        "TagFunction",
        "SummarizeFunction",
        "TranslateFunction",
        "SpeakFunction",
        "FinalizeFunction",
    }
    assert stage_functions <= topology.calls.functions()
    operations = {(call.service, call.operation) for call in topology.calls.calls}
    assert {("sfn", "StartExecution"), ("sfn", "GetExecutionHistory")} <= operations
    assert {("textract", "StartDocumentTextDetection"), ("polly", "SynthesizeSpeech")} <= operations
    assert refused(topology.cloud.stack, topology.calls.calls) == []
