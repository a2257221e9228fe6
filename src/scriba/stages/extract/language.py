"""The language of the extracted text: of each page, and of the document (most of its text).

A document is not always one language: a report with an English and a French part, a bilingual
form, a letter with a quoted reply. Each page is detected on the start of its own text, so that
the summary, the translations and the narration can take each part from its own language. On a
long document pages are detected in runs (at most ``MAX_DETECTIONS`` requests), which keeps
Comprehend's bill and assemble's time bounded; a run takes the language of its text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scriba.context import Context
from scriba.cost.units import Billed
from scriba.media.chunking import text_head
from scriba.models.text import LanguageShare, Page

# Enough text to tell a language; the detectors sample further (Comprehend sends 5,000 bytes).
LANGUAGE_SAMPLE_CHARS = 6000
MIN_DETECTABLE_CHARS = 20
# A page is told by the start of its text: 400 characters are four Comprehend units and tell
# the ten local languages apart (lingua); shorter pages (a title, a page number) take none.
PAGE_SAMPLE_CHARS = 400
MIN_PAGE_LETTERS = 60
MAX_DETECTIONS = 100


# The languages a detected text layer may hint OCR with: Latin-script ones (Textract reads no
# other; Tesseract has the models of these from Debian). A page in another script gets no hint:
# OCR finds its script itself rather than failing for a model that is not installed.
LATIN_SCRIPT_HINTS = frozenset({"ca", "de", "en", "es", "fr", "it", "nl", "pt", "ro"})


def ocr_hints(language: str | None) -> list[str]:
    return [language] if language in LATIN_SCRIPT_HINTS else []


def language_sample(text: str) -> str:
    return text.strip()[:LANGUAGE_SAMPLE_CHARS]


def detect_language(ctx: Context[Any], text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language; None when it is too short to tell or unsure."""
    sample = language_sample(text)
    if len(sample) < MIN_DETECTABLE_CHARS:
        return None
    return ctx.engines.language.detect(sample)


@dataclass(frozen=True)
class PageFacts:
    """What the language of a page and of the document are told from: the start of the page's
    text, and its size. Small, so that a long document's pages need not stay in memory."""

    number: int
    head: str  # the start of the text: enough for any sample taken of it
    letters: int
    characters: int

    @classmethod
    def of(cls, page: Page) -> PageFacts:
        text = page.text
        return cls(
            number=page.number,
            head=text_head(text, PAGE_SAMPLE_CHARS * 2),
            letters=sum(c.isalpha() for c in text),
            characters=len(text),
        )


def _runs(pages: Sequence[PageFacts], most: int) -> list[list[PageFacts]]:
    """The pages with enough text to tell, in at most ``most`` runs of consecutive pages."""
    telling = [p for p in pages if p.letters >= MIN_PAGE_LETTERS]
    size = -(-len(telling) // most) if telling else 1
    return [telling[start : start + size] for start in range(0, len(telling), size)]


def page_languages(
    ctx: Context[Any], pages: Sequence[PageFacts]
) -> tuple[dict[int, str], list[Billed]]:
    """The language of each page that has enough text to tell (page number → ISO 639-1), and
    what the detections cost. One detection per page, or per run of pages on long documents."""
    detector = ctx.engines.language
    runs = _runs(pages, MAX_DETECTIONS)
    samples = []
    for run in runs:
        share = max(PAGE_SAMPLE_CHARS // len(run), MIN_PAGE_LETTERS)
        samples.append(" ".join(text_head(page.head, share) for page in run))
    found: dict[int, str] = {}
    # One call for them all: Comprehend batches 25 texts a request (each billed as one).
    for run, language in zip(runs, detector.detect_each(samples), strict=True):
        if language is not None:
            found.update((page.number, language) for page in run)
    return found, [detector.billed(sample) for sample in samples]


def language_shares(
    pages: Sequence[PageFacts], languages: Mapping[int, str]
) -> list[LanguageShare]:
    """The languages of the pages (``languages``: page number → code), most text first: how
    many pages and characters each has."""
    characters: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    for page in pages:
        language = languages.get(page.number)
        if language:
            characters[language] += page.characters
            counted[language] += 1
    return [
        LanguageShare(language=language, pages=counted[language], characters=count)
        for language, count in characters.most_common()
    ]


_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "fr": "French", "gl": "Galician", "he": "Hebrew",
    "hi": "Hindi", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "th": "Thai", "uk": "Ukrainian",
    "zh": "Chinese",
}  # fmt: skip


def language_name(code: str) -> str:
    """ "Chinese (zh)", for people; the code alone for a language without a name here."""
    name = _NAMES.get(code)
    return f"{name} ({code})" if name else code


def untranslatable(ctx: Context[Any], shares: Sequence[LanguageShare]) -> list[str]:
    """A warning for each language of the text the translator takes nothing from: its parts
    are summarised in their own language, but not translated, so not narrated either."""
    translator = ctx.engines.translator
    warnings = []
    total = sum(share.pages for share in shares)
    for share in shares:
        if not translator.supported_targets(share.language):
            warnings.append(
                f"{share.pages} of {total} page(s) are in {language_name(share.language)}, "
                f"which {translator.name} does not translate: that text is summarised in its "
                "own language, but not translated or narrated"
            )
    return warnings
