"""Textract, Rekognition, Bedrock Runtime, Translate, Polly and Comprehend, answered in-process.

moto has no usable fakes of these services, so the topology test answers them itself: a botocore
``before-call.<service>`` hook on ``scriba.aws.clients.session()`` (the session behind every
client of the AWS engines) returns a response per operation, shaped like the AWS documentation
examples in tests/fixtures/aws/ and chosen by what the request carries:

- Textract reads the page image it is sent (a page of paper gets the invoice fixture's lines, a
  photo none) and runs jobs on the PDF in the bucket: a job is IN_PROGRESS at its first poll, then
  SUCCEEDED with the job fixture's pages repeated to the PDF's page count, written to the output
  location as Textract does (``<prefix>/<JobId>/1``, ...);
- Rekognition refuses what DetectLabels refuses (not JPEG/PNG, over 5 MB, under 80 px) and labels
  paper as a document, anything else with the photo fixture, honouring MinConfidence and MaxLabels;
- Bedrock Converse answers with the first sentences of the text it was given, as many as asked,
  with token usage; Titan refuses a system prompt, as it does;
- Translate answers the Spanish or French fixture by TargetLanguageCode and refuses more than
  10,000 bytes; Polly parses the SSML, counts billed characters, refuses what Polly refuses and
  streams a real MP3 whose length grows with the text; Comprehend names the language whose common
  words the text uses most.

botocore validates every request against the service model before ``before-call``; the responses
are validated against the model too (as botocore's Stubber does). Every call is recorded with the
parameters as the caller passed them, for the test to assert on. ``fail_next`` makes the next calls
of an operation fail (throttling) before they reach the fake service.

Quotas and latency (off unless asked for): ``set_quota`` gives an operation a token bucket (a rate
per second, ``burst`` tokens, full at the start) and a call that finds it empty is refused with the
throttling error that service answers (``THROTTLING_ERRORS``) without consuming a token;
``set_latency`` makes each call the bucket admits take that long (fixed, or log-normal around a
median), as the service's own processing time. A throttled call answers at once. Throttled calls
are counted in ``throttled``. The answer comes from the ``before-call`` hook, so botocore's own
retries (they are in its HTTP layer) do not run: each SDK call is one attempt here.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import math
import random
import re
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ParamValidationError
from botocore.model import OperationModel
from botocore.response import StreamingBody
from botocore.validate import ParamValidator
from PIL import Image

from tests.integration.aws.support import load_fixture, mp3_tone

SERVICES = ("textract", "rekognition", "bedrock-runtime", "translate", "polly", "comprehend")
_PARAMS = "scriba.e2e.api-params"  # where the caller's parameters wait in the request context

# Service limits the fakes enforce (AWS documentation).
TRANSLATE_MAX_BYTES = 10_000
POLLY_MAX_BILLED = 3_000
POLLY_MAX_TOTAL = 6_000
REKOGNITION_MAX_BYTES = 5 * 1024 * 1024
REKOGNITION_MIN_SIDE = 80
TEXTRACT_MAX_SIDE = 10_000
# The error each service answers when a request is over its rate quota (the API references'
# error lists): Textract and Rekognition ProvisionedThroughputExceededException, Translate and
# Comprehend TooManyRequestsException, Bedrock (HTTP 429) and Polly ThrottlingException.
THROTTLING_ERRORS: Mapping[str, tuple[str, int]] = {
    "textract": ("ProvisionedThroughputExceededException", 400),
    "rekognition": ("ProvisionedThroughputExceededException", 400),
    "bedrock-runtime": ("ThrottlingException", 429),
    "translate": ("TooManyRequestsException", 400),
    "polly": ("ThrottlingException", 400),
    "comprehend": ("TooManyRequestsException", 400),
}
# Speech rate of the fake narration: about 15 characters a second, as people read aloud.
CHARACTERS_PER_SECOND = 15.0


class ServiceError(Exception):
    """An error response of the fake service (becomes botocore's ClientError)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Call:
    """One request that reached a fake service, and what it answered."""

    service: str
    operation: str
    params: dict[str, Any]
    response: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class TextractJob:
    id: str
    token: str | None
    request: dict[str, Any]
    polls: int = 0
    pages: int | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)
    status: str = "IN_PROGRESS"
    message: str | None = None


class TokenBucket:
    """``rate`` tokens a second up to ``burst``, full at the start; thread-safe."""

    def __init__(self, rate: float, burst: float, clock: Any = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.last = burst, clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """One token if there is one (True), else nothing is taken (False)."""
        with self._lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


@dataclass(frozen=True)
class Latency:
    """Seconds a call takes: ``median``, log-normal with ``sigma`` (0: always ``median``)."""

    median: float
    sigma: float = 0.0

    def draw(self, rng: random.Random) -> float:
        if self.sigma <= 0:
            return self.median
        return self.median * math.exp(self.sigma * rng.gauss(0, 1))


# -- content --------------------------------------------------------------------------------------


def is_paper(image: Image.Image) -> bool:
    """A page of paper (mostly white, some ink), as opposed to a photo or a drawing."""
    histogram = image.convert("L").histogram()
    pixels = image.width * image.height
    white = sum(histogram[200:]) / pixels
    ink = sum(histogram[:128]) / pixels
    return white > 0.8 and ink > 0.001


def open_image(data: bytes) -> Image.Image | None:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception:  # Pillow raises several types for bytes that are no image
        return None
    return image


def fixture_pages(name: str) -> list[list[dict[str, Any]]]:
    """The blocks of a Textract fixture, one list per page."""
    fixture = load_fixture(name)
    responses = fixture.get("Responses", [fixture])
    pages: dict[int, list[dict[str, Any]]] = {}
    for response in responses:
        for block in response["Blocks"]:
            pages.setdefault(int(block.get("Page", 1)), []).append(block)
    return [pages[number] for number in sorted(pages)]


def page_lines(blocks: list[dict[str, Any]]) -> list[tuple[str, dict[str, float]]]:
    """The LINE texts of one page and their bounding boxes (fractions of the page)."""
    return [
        (str(block["Text"]), dict(block["Geometry"]["BoundingBox"]))
        for block in blocks
        if block["BlockType"] == "LINE"
    ]


def _renumbered(blocks: list[dict[str, Any]], page: int, salt: str) -> list[dict[str, Any]]:
    """``blocks`` of a fixture page as page ``page`` of a job: new ids, same relationships."""

    def new_id(old: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{salt}/{page}/{old}"))

    copied: list[dict[str, Any]] = []
    for block in blocks:
        item = copy.deepcopy(block)
        item["Id"] = new_id(str(block["Id"]))
        item["Page"] = page
        for relationship in item.get("Relationships") or []:
            relationship["Ids"] = [new_id(str(old)) for old in relationship["Ids"]]
        copied.append(item)
    return copied


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"'(])")


def first_sentences(text: str, count: int) -> str:
    sentences = [part.strip() for part in _SENTENCE_END.split(" ".join(text.split()))]
    return " ".join(sentence for sentence in sentences[:count] if sentence)


STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "a",
            "an",
            "and",
            "or",
            "of",
            "to",
            "in",
            "is",
            "are",
            "was",
            "were",
            "be",
            "this",
            "that",
            "it",
            "with",
            "for",
            "on",
            "as",
            "at",
            "by",
            "from",
            "you",
            "your",
            "will",
            "there",
            "no",
            "not",
            "if",
            "have",
            "has",
            "what",
            "how",
            "should",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "la",
            "los",
            "las",
            "y",
            "o",
            "de",
            "del",
            "en",
            "es",
            "son",
            "un",
            "una",
            "que",
            "por",
            "con",
            "para",
            "se",
            "su",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "et",
            "ou",
            "de",
            "des",
            "du",
            "en",
            "est",
            "un",
            "une",
            "que",
            "pour",
            "avec",
            "dans",
            "sur",
            "son",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "oder",
            "ist",
            "sind",
            "ein",
            "eine",
            "nicht",
            "mit",
            "für",
            "auf",
            "dem",
            "den",
            "zu",
        ]
    ),
}


# -- the responder --------------------------------------------------------------------------------


class FakeAwsServices:
    """The six services, behind botocore event hooks on one boto3 session."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3  # plain client of the local S3 (no hooks): job documents and job output
        self._lock = threading.Lock()
        self.calls: list[Call] = []
        self._failures: dict[str, list[ServiceError]] = {}
        self._jobs: dict[str, TextractJob] = {}
        self._installed: list[Any] = []
        self._buckets: dict[str, TokenBucket] = {}
        self._latencies: dict[str, Latency] = {}
        self._rng = random.Random(0)
        self.throttled: Counter[str] = Counter()  # calls refused by a quota, by operation
        self.translations = {
            "es": str(load_fixture("translate-translate-text.json")["TranslatedText"]),
            "fr": str(load_fixture("translate-translate-text-fr.json")["TranslatedText"]),
        }
        self.page_with_text = load_fixture("textract-detect-document-text.json")
        self.page_without_text = load_fixture("textract-detect-document-text-no-text.json")
        self.job_pages = fixture_pages("textract-get-document-text-detection.json")
        self.document_labels = load_fixture("rekognition-detect-labels-document.json")
        self.photo_labels = load_fixture("rekognition-detect-labels.json")

    # -- hooks --------------------------------------------------------------------------------

    def install(self, session: Any) -> None:
        """Registers the hooks on ``session`` (a boto3 Session); clients made after answer here."""
        for service in SERVICES:
            for event, handler in (
                (f"before-parameter-build.{service}", self._remember),
                (f"before-call.{service}", self._answer),
            ):
                session.events.register(event, handler)
                self._installed.append((session, event, handler))

    def uninstall(self) -> None:
        for session, event, handler in self._installed:
            session.events.unregister(event, handler)
        self._installed.clear()

    @staticmethod
    def _remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = copy.deepcopy(params)

    def _answer(
        self, model: OperationModel, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]]:
        service = model.service_model.service_id.hyphenize()
        api_params: dict[str, Any] = context.pop(_PARAMS, {})
        call = Call(service=service, operation=model.name, params=api_params)
        with self._lock:
            self.calls.append(call)
            queued = self._failures.get(model.name)
            failure = queued.pop(0) if queued else None
        try:
            if failure is not None:
                raise failure
            self._admit(service, model.name)
            handler = getattr(self, f"_{service.replace('-', '_')}_{model.name}")
            response: dict[str, Any] = handler(api_params)
        except ServiceError as error:
            call.error = error.code
            return self._error(params, error)
        self._wait(model.name)
        self._validate(model, response)
        call.response = response
        metadata = {
            "RequestId": str(uuid.uuid4()),
            "HTTPStatusCode": 200,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        }
        return AWSResponse(params.get("url", ""), 200, {}, None), {  # type: ignore[arg-type]
            **response,
            "ResponseMetadata": metadata,
        }

    @staticmethod
    def _error(request: dict[str, Any], error: ServiceError) -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {
            "Error": {"Code": error.code, "Message": error.message},
            "ResponseMetadata": {
                "RequestId": str(uuid.uuid4()),
                "HTTPStatusCode": error.status,
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
        }
        return AWSResponse(request.get("url", ""), error.status, {}, None), parsed  # type: ignore[arg-type]

    @staticmethod
    def _validate(model: OperationModel, response: dict[str, Any]) -> None:
        if model.output_shape is None:
            return
        report = ParamValidator().validate(response, model.output_shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())

    # -- what tests use -----------------------------------------------------------------------

    def fail_next(
        self,
        operation: str,
        times: int,
        code: str = "ThrottlingException",
        message: str = "Rate exceeded",
        status: int = 400,
    ) -> None:
        """The next ``times`` calls of ``operation`` (e.g. "TranslateText") fail with ``code``."""
        with self._lock:
            self._failures.setdefault(operation, []).extend(
                ServiceError(code, message, status) for _ in range(times)
            )

    def set_quota(self, operation: str, rate: float, burst: float = 1.0) -> None:
        """``operation`` (e.g. "Converse") admits ``rate`` calls a second, ``burst`` at once;
        beyond, it answers its service's throttling error."""
        with self._lock:
            self._buckets[operation] = TokenBucket(rate, burst)

    def set_latency(self, operation: str, median: float, sigma: float = 0.0) -> None:
        """Each admitted call of ``operation`` takes ``median`` seconds (log-normal ``sigma``)."""
        with self._lock:
            self._latencies[operation] = Latency(median, sigma)

    def _admit(self, service: str, operation: str) -> None:
        bucket = self._buckets.get(operation)
        if bucket is None or bucket.take():
            return
        with self._lock:
            self.throttled[operation] += 1
        code, status = THROTTLING_ERRORS[service]
        raise ServiceError(code, "Rate exceeded", status)

    def _wait(self, operation: str) -> None:
        latency = self._latencies.get(operation)
        if latency is not None:
            with self._lock:
                seconds = latency.draw(self._rng)
            time.sleep(seconds)

    def requests(self, operation: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.operation == operation]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self.throttled.clear()

    # -- Textract -----------------------------------------------------------------------------

    def _textract_DetectDocumentText(self, params: dict[str, Any]) -> dict[str, Any]:
        document = params["Document"]
        if "Bytes" not in document:
            raise ServiceError("InvalidParameterException", "the fake reads Bytes only")
        image = open_image(document["Bytes"])
        if image is None or image.format not in ("PNG", "JPEG", "TIFF"):
            raise ServiceError(
                "UnsupportedDocumentException", "Request has unsupported document format"
            )
        if max(image.size) > TEXTRACT_MAX_SIDE:
            raise ServiceError("InvalidParameterException", "Request has invalid parameters")
        fixture = self.page_with_text if is_paper(image) else self.page_without_text
        return copy.deepcopy(fixture)

    def _textract_StartDocumentTextDetection(self, params: dict[str, Any]) -> dict[str, Any]:
        location = params["DocumentLocation"]["S3Object"]
        token = params.get("ClientRequestToken")
        with self._lock:
            for job in self._jobs.values():
                if token is not None and job.token == token:
                    if job.request != params:
                        raise ServiceError(
                            "IdempotentParameterMismatchException",
                            "The ClientRequestToken was used with different parameters",
                        )
                    return {"JobId": job.id}
        try:
            version = {"VersionId": location["Version"]} if "Version" in location else {}
            self._s3.head_object(Bucket=location["Bucket"], Key=location["Name"], **version)
        except Exception as error:
            raise ServiceError(
                "InvalidS3ObjectException", "Unable to get object metadata from S3"
            ) from error
        output = params.get("OutputConfig")
        if output is not None:  # Textract checks it can write there first
            prefix = output.get("S3Prefix", "textract_output").strip("/")
            self._s3.put_object(
                Bucket=output["S3Bucket"], Key=f"{prefix}/.s3_access_check", Body=b""
            )
        job_id = hashlib.sha256(f"{token}/{uuid.uuid4()}".encode()).hexdigest()
        with self._lock:
            self._jobs[job_id] = TextractJob(id=job_id, token=token, request=params)
        return {"JobId": job_id}

    def _run(self, job: TextractJob) -> None:
        """The job's work, done when it is first seen finished: OCR every page of the PDF."""
        location = job.request["DocumentLocation"]["S3Object"]
        version = {"VersionId": location["Version"]} if "Version" in location else {}
        data = self._s3.get_object(Bucket=location["Bucket"], Key=location["Name"], **version)[
            "Body"
        ].read()
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            job.status, job.message = "FAILED", "Request has unsupported document format"
            return
        try:
            job.pages = len(pdf)
        finally:
            pdf.close()
        for number in range(1, job.pages + 1):
            template = self.job_pages[(number - 1) % len(self.job_pages)]
            job.blocks += _renumbered(template, number, job.id)
        job.status = "SUCCEEDED"
        output = job.request.get("OutputConfig")
        if output is not None:
            prefix = output.get("S3Prefix", "textract_output").strip("/")
            for index, part in enumerate(self._result_parts(job, 1000), start=1):
                self._s3.put_object(
                    Bucket=output["S3Bucket"],
                    Key=f"{prefix}/{job.id}/{index}",
                    Body=json.dumps(part).encode("utf-8"),
                )

    def _result_parts(self, job: TextractJob, size: int) -> Iterator[dict[str, Any]]:
        for start in range(0, max(len(job.blocks), 1), size):
            yield self._result(job, job.blocks[start : start + size], None)

    def _result(
        self, job: TextractJob, blocks: list[dict[str, Any]], token: str | None
    ) -> dict[str, Any]:
        response: dict[str, Any] = {
            "JobStatus": job.status,
            "DocumentMetadata": {"Pages": job.pages or 0},
            "Blocks": blocks,
            "DetectDocumentTextModelVersion": "1.0",
        }
        if job.message:
            response["StatusMessage"] = job.message
        if token:
            response["NextToken"] = token
        return response

    def _textract_GetDocumentTextDetection(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            job = self._jobs.get(params["JobId"])
            if job is None:
                raise ServiceError("InvalidJobIdException", "An invalid job identifier was passed.")
            job.polls += 1
            if job.status == "IN_PROGRESS" and job.polls > 1:
                self._run(job)
        if job.status != "SUCCEEDED":
            return {
                "JobStatus": job.status,
                **({"StatusMessage": job.message} if job.message else {}),
            }
        limit = int(params.get("MaxResults", 1000))
        start = int(base64.b64decode(params["NextToken"])) if "NextToken" in params else 0
        end = start + limit
        token = base64.b64encode(str(end).encode()).decode() if end < len(job.blocks) else None
        return self._result(job, job.blocks[start:end], token)

    # -- Rekognition --------------------------------------------------------------------------

    def _rekognition_DetectLabels(self, params: dict[str, Any]) -> dict[str, Any]:
        data = params["Image"].get("Bytes")
        if data is None:
            raise ServiceError("InvalidParameterException", "the fake reads Bytes only")
        if len(data) > REKOGNITION_MAX_BYTES:
            raise ServiceError("ImageTooLargeException", "Image size is too large.")
        image = open_image(data)
        if image is None or image.format not in ("PNG", "JPEG"):
            raise ServiceError("InvalidImageFormatException", "Request has invalid image format")
        if min(image.size) < REKOGNITION_MIN_SIDE:
            raise ServiceError("InvalidParameterException", "Request has invalid parameters")
        fixture = self.document_labels if is_paper(image) else self.photo_labels
        minimum = float(params.get("MinConfidence", 55.0))
        labels = [label for label in fixture["Labels"] if label["Confidence"] >= minimum]
        labels = labels[: int(params.get("MaxLabels", 1000))]
        return {"Labels": copy.deepcopy(labels), "LabelModelVersion": fixture["LabelModelVersion"]}

    # -- Bedrock ------------------------------------------------------------------------------

    def _bedrock_runtime_Converse(self, params: dict[str, Any]) -> dict[str, Any]:
        model = str(params["modelId"])
        if model.startswith("amazon.titan") and params.get("system"):
            raise ServiceError("ValidationException", "This model doesn't support system messages.")
        prompt = " ".join(
            str(block.get("text", ""))
            for message in params["messages"]
            if message["role"] == "user"
            for block in message["content"]
        )
        quoted = re.search(r'"""\n(.*)\n"""', prompt, re.DOTALL)
        text = quoted.group(1) if quoted else prompt
        wanted = re.search(r"in about (\d+) sentences", prompt)
        answer = first_sentences(text, int(wanted.group(1)) if wanted else 3)
        max_tokens = int(params.get("inferenceConfig", {}).get("maxTokens", 512))
        stop = "end_turn"
        if math.ceil(len(answer) / 4) > max_tokens:
            answer, stop = answer[: max_tokens * 4], "max_tokens"
        usage = {
            "inputTokens": math.ceil(len(prompt) / 4),
            "outputTokens": math.ceil(len(answer) / 4),
        }
        usage["totalTokens"] = usage["inputTokens"] + usage["outputTokens"]
        response: dict[str, Any] = load_fixture("bedrock-converse.json")
        response["output"]["message"]["content"] = [{"text": answer}]
        response["stopReason"] = stop
        response["usage"] = usage
        return response

    # -- Translate ----------------------------------------------------------------------------

    def _translate_TranslateText(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params["Text"])
        if len(text.encode("utf-8")) > TRANSLATE_MAX_BYTES:
            raise ServiceError(
                "TextSizeLimitExceededException",
                f"Input text size exceeds limit. Max length of request text allowed is "
                f"{TRANSLATE_MAX_BYTES} bytes.",
            )
        source, target = params["SourceLanguageCode"], params["TargetLanguageCode"]
        if source == "auto":
            source = self._comprehend_DetectDominantLanguage({"Text": text})["Languages"][0][
                "LanguageCode"
            ]
        if target not in self.translations:
            raise ServiceError(
                "UnsupportedLanguagePairException",
                f"Unsupported language pair: {source} to {target}",
            )
        return {
            "TranslatedText": self.translations[target],
            "SourceLanguageCode": source,
            "TargetLanguageCode": target,
        }

    # -- Polly --------------------------------------------------------------------------------

    VOICES: Mapping[str, tuple[str, bool]] = {
        # voice: (language, has a neural engine), from "Available voices"
        "Joanna": ("en-US", True),
        "Lucia": ("es-ES", True),
        "Lea": ("fr-FR", True),
        "Vicki": ("de-DE", True),
        "Conchita": ("es-ES", False),
        "Celine": ("fr-FR", False),
    }

    def _polly_SynthesizeSpeech(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params["Text"])
        if len(text) > POLLY_MAX_TOTAL:
            raise ServiceError("TextLengthExceededException", "Maximum text length exceeded")
        if params.get("TextType") == "ssml":
            try:
                root = ET.fromstring(text)
            except ET.ParseError as error:
                raise ServiceError(
                    "InvalidSsmlException", f"Invalid SSML request: {error}"
                ) from error
            if root.tag != "speak":
                raise ServiceError("InvalidSsmlException", "Invalid SSML request: no <speak>")
            spoken = "".join(root.itertext())
        else:
            spoken = text
        if len(spoken) > POLLY_MAX_BILLED:
            raise ServiceError("TextLengthExceededException", "Maximum text length exceeded")
        voice = self.VOICES.get(str(params["VoiceId"]))
        if voice is None:
            raise ServiceError("InvalidParameterException", f"Unknown voice {params['VoiceId']}")
        language, neural = voice
        if params.get("Engine") == "neural" and not neural:
            raise ServiceError(
                "EngineNotSupportedException", "This voice does not support the selected engine"
            )
        if "LanguageCode" in params and params["LanguageCode"] != language:
            raise ServiceError("LanguageNotSupportedException", "Language not supported by voice")
        if params["OutputFormat"] != "mp3":
            raise ServiceError("InvalidParameterException", "the fake speaks MP3 only")
        rate = 24_000 if params.get("Engine") == "neural" else 22_050
        audio = mp3_tone(max(0.5, len(spoken) / CHARACTERS_PER_SECOND), rate=rate)
        return {
            "AudioStream": StreamingBody(io.BytesIO(audio), len(audio)),
            "ContentType": "audio/mpeg",
            "RequestCharacters": len(spoken),
        }

    # -- Comprehend ---------------------------------------------------------------------------

    def _comprehend_BatchDetectDominantLanguage(self, params: dict[str, Any]) -> dict[str, Any]:
        results = [
            {"Index": index, **self._comprehend_DetectDominantLanguage({"Text": text})}
            for index, text in enumerate(params["TextList"])
        ]
        return {"ResultList": results, "ErrorList": []}

    def _comprehend_DetectDominantLanguage(self, params: dict[str, Any]) -> dict[str, Any]:
        words = re.findall(r"[^\W\d_]+", str(params["Text"]).lower())
        hits = Counter(
            {
                code: sum(word in stopwords for word in words)
                for code, stopwords in STOPWORDS.items()
            }
        )
        total = sum(hits.values())
        if total == 0:  # nothing to go by: a low-confidence guess, as Comprehend gives
            return {"Languages": [{"LanguageCode": "en", "Score": 0.31}]}
        ranked = hits.most_common()
        return {
            "Languages": [
                {"LanguageCode": code, "Score": round(0.5 + 0.5 * count / total, 4)}
                if index == 0
                else {"LanguageCode": code, "Score": round(0.5 * count / total, 4)}
                for index, (code, count) in enumerate(ranked)
                if count or index == 0
            ]
        }
