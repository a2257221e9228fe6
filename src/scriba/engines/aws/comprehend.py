"""Amazon Comprehend ``DetectDominantLanguage``: the language of a text, or None when unsure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scriba.aws.errors import service_errors
from scriba.cost.units import Billed, comprehend_request
from scriba.errors import EngineFailed, ScribaError, TransientServiceError

if TYPE_CHECKING:
    from mypy_boto3_comprehend import ComprehendClient

    from scriba.config import Settings

SERVICE = "comprehend"

# The API accepts up to 100 KB today (5,000 bytes in older references); the first 5,000 bytes
# are plenty to tell a language and keep the call cheap (Comprehend bills per 100 characters).
SAMPLE_BYTES = 5_000
# "The string must contain at least 20 characters": shorter texts are not worth a call.
MIN_CHARACTERS = 20
MIN_SCORE = 0.5
# BatchDetectDominantLanguage takes at most 25 documents; each is billed as one request.
BATCH_SIZE = 25

COMPREHEND_ERRORS: dict[str, type[ScribaError]] = {
    "InternalServerException": TransientServiceError,
    "TextSizeLimitExceededException": EngineFailed,
    # TooManyRequestsException: scriba.aws.errors.THROTTLING_CODES.
}


def sample(text: str, limit: int = SAMPLE_BYTES) -> str:
    """The start of ``text``, at most ``limit`` UTF-8 bytes, cut between words when possible and
    never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    head = data[:limit].decode("utf-8", errors="ignore")
    cut = head.rfind(" ")
    return head[:cut] if cut > limit // 2 else head


class ComprehendDetector:
    """Codes are ISO 639-1, as the port promises: Comprehend's regional codes keep only their
    language (``zh-TW`` -> ``zh``), like the local detector's."""

    def __init__(self, settings: Settings, *, client: ComprehendClient) -> None:
        self._client = client

    def billed(self, text: str) -> Billed:
        """One request on the sample of ``text`` the detector sends."""
        return comprehend_request(len(sample(" ".join(text.split()))))

    def detect(self, text: str) -> str | None:
        text = " ".join(text.split())
        if len(text) < MIN_CHARACTERS:
            return None
        with service_errors(SERVICE, None, COMPREHEND_ERRORS):
            response = self._client.detect_dominant_language(Text=sample(text))
        return _dominant(response.get("Languages") or [])

    def detect_each(self, texts: Sequence[str]) -> list[str | None]:
        """Batches of 25: a 300-page document is 12 requests, not 300 (billed the same)."""
        found: list[str | None] = [None] * len(texts)
        sent = [
            (index, sample(joined))
            for index, joined in enumerate(" ".join(text.split()) for text in texts)
            if len(joined) >= MIN_CHARACTERS
        ]
        for start in range(0, len(sent), BATCH_SIZE):
            batch = sent[start : start + BATCH_SIZE]
            with service_errors(SERVICE, None, COMPREHEND_ERRORS):
                response = self._client.batch_detect_dominant_language(
                    TextList=[text for _, text in batch]
                )
            # A document in ErrorList (too short, invalid) stays unknown, as ``detect`` would.
            for result in response.get("ResultList") or []:
                found[batch[result["Index"]][0]] = _dominant(result.get("Languages") or [])
        return found


def _dominant(languages: Sequence[Any]) -> str | None:
    """The most likely language's code if Comprehend is sure enough, its region dropped."""
    ranked = sorted(languages, key=lambda item: -float(item.get("Score", 0.0)))
    if not ranked or float(ranked[0].get("Score", 0.0)) < MIN_SCORE:
        return None
    code = str(ranked[0].get("LanguageCode") or "")
    return code.split("-", maxsplit=1)[0].lower() or None
