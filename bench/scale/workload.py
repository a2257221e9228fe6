"""The documents of a run: a realistic mix, drawn from a seeded generator, and what each asks of
the services (pages to OCR, pictures to tag, model requests and their tokens, characters).

Mix: 55 % born-digital PDFs (text layer, no OCR), 30 % scanned PDFs (every page OCR'd), 15 %
photos (one JPEG). Pages are heavy-tailed: log-normal (median 6 born-digital, 3 scanned; sigma
1.2), clipped to 1-300. A page carries about 2,600 characters born-digital, 1,800 scanned, 250 on
a photo (spread 25 %).

Model requests follow the summarizer: text is cut into chunks of the model's input budget
(``scriba.engines.aws.bedrock``: context window x SAFETY, less the answer and the prompt, in
estimated tokens of 3 ASCII characters); one chunk is one request; more chunks are a map-reduce
(one request a chunk, then reduces of the chunk summaries until one fits). Billed tokens are
4 characters a token (Titan on English); each request reserves its input plus maxTokens.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from scriba.engines.aws.bedrock import (
    MIN_OUTPUT_TOKENS,
    OUTPUT_TOKENS_PER_SENTENCE,
    SAFETY,
    limits_for,
)

KINDS = ("born-digital", "scanned", "photo")
MIX = (0.55, 0.30, 0.15)
MEDIAN_PAGES = {"born-digital": 6.0, "scanned": 3.0, "photo": 1.0}
PAGE_SIGMA = 1.2
MAX_PAGES = 300
CHARS_PER_PAGE = {"born-digital": 2600.0, "scanned": 1800.0, "photo": 250.0}
CHARS_PER_TOKEN = 4.0  # billed tokens
ESTIMATED_CHARS_PER_TOKEN = 3.0  # the chunker's conservative estimate (ASCII)
PROMPT_TOKENS = 70  # the longest instruction and the framing, estimated
SUMMARY_CHARS_PER_SENTENCE = 130
OUTPUT_TOKENS_PER_SUMMARY_SENTENCE = 32  # what Titan answers, not what is reserved
IMAGES_PER_BORN_DIGITAL_PAGE = 0.25
LANGUAGE_BATCH = 25  # pages a BatchDetectDominantLanguage request (the extract stage's)
COMPREHEND_UNITS_PER_PAGE = 3  # a sample of up to 300 characters: 3 units of 100 (3 minimum)


@dataclass(frozen=True)
class Request:
    """One model request: the tokens it reads, reserves and is billed for."""

    input_tokens: int
    output_tokens: int
    reserved_output: int

    @property
    def reserved(self) -> int:
        return self.input_tokens + self.reserved_output

    @property
    def billed(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass
class Document:
    index: int
    kind: str
    pages: int
    chars: int
    images: int
    # Summary: the first request (plan) when the text is one chunk; else the map's requests per
    # level and each level's reduce.
    levels: list[list[Request]] = field(default_factory=list)
    single: Request | None = None
    summary_chars: int = 0

    @property
    def ocr_pages(self) -> int:
        return self.pages if self.kind != "born-digital" else 0

    @property
    def ocr_job(self) -> bool:
        """Two or more scanned PDF pages go to one asynchronous job (the OCR plan's rule)."""
        return self.kind == "scanned" and self.pages >= 2

    @property
    def requests(self) -> list[Request]:
        every = [self.single] if self.single else []
        for level in self.levels:
            every += level
        return every

    @property
    def language_batches(self) -> int:
        return math.ceil(self.pages / LANGUAGE_BATCH)


@dataclass(frozen=True)
class SummaryShape:
    """The summarizer's sizes for a model and a summary length."""

    chunk_chars: int
    reserved_output: int
    output_tokens: int
    summary_chars: int

    @classmethod
    def of(cls, model_id: str, sentences: int) -> SummaryShape:
        limits = limits_for(model_id)
        wanted = max(MIN_OUTPUT_TOKENS, OUTPUT_TOKENS_PER_SENTENCE * sentences)
        reserved = min(wanted, limits.max_output_tokens, limits.context_tokens // 4)
        budget = int(limits.context_tokens * SAFETY) - reserved - PROMPT_TOKENS
        return cls(
            chunk_chars=int(budget * ESTIMATED_CHARS_PER_TOKEN),
            reserved_output=reserved,
            output_tokens=OUTPUT_TOKENS_PER_SUMMARY_SENTENCE * sentences,
            summary_chars=SUMMARY_CHARS_PER_SENTENCE * sentences,
        )

    def request(self, chars: int) -> Request:
        tokens = math.ceil(chars / CHARS_PER_TOKEN) + PROMPT_TOKENS
        return Request(tokens, self.output_tokens, self.reserved_output)


def plan_summary(document: Document, shape: SummaryShape) -> None:
    """The document's model requests: one, or a map and reduces until one request holds all."""
    document.summary_chars = shape.summary_chars
    chunks = max(1, math.ceil(document.chars / shape.chunk_chars))
    if chunks == 1:
        document.single = shape.request(document.chars)
        return
    sizes = [document.chars // chunks] * chunks
    while True:
        document.levels.append([shape.request(size) for size in sizes])
        combined = len(sizes) * shape.summary_chars
        groups = math.ceil(combined / shape.chunk_chars)
        if groups <= 1:
            document.levels.append([shape.request(combined)])
            return
        sizes = [combined // groups] * groups


def documents(
    count: int, seed: int, shape: SummaryShape, max_images: int, mix: tuple[float, ...] = MIX
) -> list[Document]:
    """``count`` documents of the mix, the same for the same seed."""
    rng = random.Random(seed)
    made = []
    for index in range(count):
        kind = rng.choices(KINDS, weights=mix)[0]
        pages = 1
        if kind != "photo":
            pages = round(MEDIAN_PAGES[kind] * math.exp(PAGE_SIGMA * rng.gauss(0, 1)))
            pages = min(max(pages, 1), MAX_PAGES)
        chars = int(pages * CHARS_PER_PAGE[kind] * max(0.3, rng.gauss(1, 0.25)))
        if kind == "photo":
            images = 1
        elif kind == "scanned":
            images = min(pages, max_images)  # each scanned page is a picture
        else:
            images = min(
                sum(rng.random() < IMAGES_PER_BORN_DIGITAL_PAGE for _ in range(pages)), max_images
            )
        document = Document(index, kind, pages, chars, images)
        plan_summary(document, shape)
        made.append(document)
    return made
