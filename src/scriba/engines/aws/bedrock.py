"""Amazon Bedrock summaries through the Converse API, map-reduce within the model's context.

The model id is a setting (Titan Text Express by default), so the request must fit any model's
context window: the document's sentences are packed into chunks that fit with the prompt and the
answer (``chunks``); each chunk is summarized (map), then the summaries are summarized together
(reduce), again in chunks if they are still too long, until one request holds everything.

In the workflow the state machine runs that map-reduce, one request per task
(``summarize_step``; ``scriba.stages.summarize``): a long document is never a long Lambda, and a
retry redoes one request. ``summarize`` runs the whole of it in one process, for a document of
one chunk (one request) and for callers outside the workflow.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scriba.aws.errors import service_errors
from scriba.cost.units import bedrock_tokens
from scriba.engines.ports import SummaryDraft, SummaryStep
from scriba.errors import (
    AccessDenied,
    EngineFailed,
    ScribaError,
    Throttled,
    TransientServiceError,
)
from scriba.media.chunking import estimate_tokens
from scriba.media.sentences import split_sentences
from scriba.models.summary import SummaryMethod, TokenUsage

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
    from mypy_boto3_bedrock_runtime.type_defs import ConverseRequestTypeDef

    from scriba.config import Settings

log = logging.getLogger(__name__)

ENGINE = "bedrock"
SERVICE = "bedrock-runtime"

BEDROCK_ERRORS: dict[str, type[ScribaError]] = {
    "ThrottlingException": Throttled,
    "ServiceQuotaExceededException": Throttled,
    "ModelTimeoutException": TransientServiceError,
    # HTTP 429, which would otherwise read as throttling: the model is still loading.
    "ModelNotReadyException": TransientServiceError,
    "InternalServerException": TransientServiceError,
    "ServiceUnavailableException": TransientServiceError,
    "ValidationException": EngineFailed,
    "AccessDeniedException": AccessDenied,
}


@dataclass(frozen=True)
class ModelLimits:
    context_tokens: int  # prompt and answer together
    max_output_tokens: int
    system_prompt: bool  # whether Converse accepts ``system`` for this model


# Longest matching prefix wins. Titan figures from the Bedrock model cards (Lite 4K, Express 8K,
# Premier 32K context); Titan models take no system prompt in Converse ("Supported models and
# model features"). Others: their published context windows.
MODEL_LIMITS: dict[str, ModelLimits] = {
    "amazon.titan-text-lite": ModelLimits(4_096, 4_096, system_prompt=False),
    "amazon.titan-text-express": ModelLimits(8_192, 8_192, system_prompt=False),
    "amazon.titan-text-premier": ModelLimits(32_000, 3_072, system_prompt=False),
    "amazon.nova-micro": ModelLimits(128_000, 5_000, system_prompt=True),
    "amazon.nova-lite": ModelLimits(300_000, 5_000, system_prompt=True),
    "amazon.nova-pro": ModelLimits(300_000, 5_000, system_prompt=True),
    "amazon.nova-premier": ModelLimits(1_000_000, 10_000, system_prompt=True),
    "anthropic.claude": ModelLimits(200_000, 4_096, system_prompt=True),
    "anthropic.claude-v2": ModelLimits(100_000, 4_096, system_prompt=True),
    "anthropic.claude-instant": ModelLimits(100_000, 4_096, system_prompt=True),
    "meta.llama3-": ModelLimits(8_192, 2_048, system_prompt=True),
    "meta.llama3-1": ModelLimits(128_000, 2_048, system_prompt=True),
    "meta.llama3-2": ModelLimits(128_000, 2_048, system_prompt=True),
    "meta.llama3-3": ModelLimits(128_000, 2_048, system_prompt=True),
    "mistral.": ModelLimits(32_000, 4_096, system_prompt=True),
    "cohere.command-r": ModelLimits(128_000, 4_000, system_prompt=True),
}
# An unknown model: the smallest window in the table and no system prompt, which works everywhere
# (smaller chunks only cost more calls).
DEFAULT_LIMITS = ModelLimits(4_096, 2_048, system_prompt=False)
# Cross-region inference profiles prefix the model id with a geography ("us.", "eu.", ...).
_PROFILE = re.compile(r"^(?:us|eu|apac|us-gov|global|jp|au|ca)\.(?=[a-z0-9-]+\.)")

# The answer: 512 tokens is Titan's default and ample for a few sentences; more for long summaries.
MIN_OUTPUT_TOKENS = 512
OUTPUT_TOKENS_PER_SENTENCE = 80
# Slack under the window on top of the conservative estimate (tokenizers differ per model).
SAFETY = 0.9
# Map-reduce depth cap: each level divides the text by at least 2, so this is never reached by a
# document that fits in a Lambda; it guards against a model that answers as long as it reads.
MAX_LEVELS = 10

# What each request asks: the whole document at once, one part of it (map), the summaries of all
# parts (reduce), or the summaries of some parts (an intermediate reduce of a very long document).
PROMPT_KINDS = ("document", "part", "combine", "combine-part")

_TERMINAL = (".", "!", "?", "…", "。", "！", "？", '"', "”", "»", ")")


def limits_for(model_id: str) -> ModelLimits:
    """The limits of a model id, an inference profile or an ARN of either."""
    name = model_id.rsplit("/", 1)[-1].lower()
    name = _PROFILE.sub("", name)
    matches = [prefix for prefix in MODEL_LIMITS if name.startswith(prefix)]
    return MODEL_LIMITS[max(matches, key=len)] if matches else DEFAULT_LIMITS


def _pieces(text: str, budget: int) -> Iterator[str]:
    """``text`` in pieces of at most ``budget`` estimated tokens, split between words (or, for
    a word longer than that, every ``budget`` characters: a character is at most one token)."""
    if estimate_tokens(text) <= budget:
        yield text
        return
    piece: list[str] = []
    size = 0
    for word in text.split():
        cost = estimate_tokens(word) + 1
        if piece and size + cost > budget:
            yield " ".join(piece)
            piece, size = [], 0
        if cost > budget:
            for start in range(0, len(word), budget):
                yield word[start : start + budget]
            continue
        piece.append(word)
        size += cost
    if piece:
        yield " ".join(piece)


def pack_sentences(sentences: Sequence[str], budget: int) -> list[list[str]]:
    """Consecutive sentences (a sentence over ``budget`` in pieces) packed into chunks of at
    most ``budget`` estimated tokens once joined with spaces.

    The estimate is additive (plus one token per joining space), so the sum of the parts' estimates
    bounds the chunk's own estimate.
    """
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        for piece in _pieces(sentence, budget):
            cost = estimate_tokens(piece) + 1
            if current and size + cost > budget:
                chunks.append(current)
                current, size = [], 0
            current.append(piece)
            size += cost
    if current:
        chunks.append(current)
    return chunks


def chunk_sentences(sentences: Sequence[str], budget: int) -> list[str]:
    """``pack_sentences``, each chunk joined into the text of one request."""
    return [" ".join(chunk) for chunk in pack_sentences(sentences, budget)]


def _language_clause(language: str | None) -> str:
    if language:
        return f"Write it in the language of the text (language code '{language}')."
    return "Write it in the language of the text."


class BedrockSummarizer:
    """Abstractive summaries from a Bedrock text model, map-reduce within its context window."""

    name = ENGINE

    def __init__(self, settings: Settings, *, client: BedrockRuntimeClient) -> None:
        self.model_id = settings.bedrock_model_id
        self.limits = limits_for(self.model_id)
        self._client = client

    # -- prompts ------------------------------------------------------------------------------

    @staticmethod
    def _instruction(kind: str, language: str | None, sentences: int) -> str:
        tail = (
            f"{_language_clause(language)} Reply with the summary only: no title, no "
            "introduction, no list, no comment."
        )
        if kind == "document":
            return f"Summarize the following document in about {sentences} sentences. {tail}"
        if kind == "part":
            return (
                "The following text is one part of a longer document. Summarize this part in "
                f"about {sentences} sentences, keeping its key facts, names and figures. {tail}"
            )
        if kind == "combine-part":
            return (
                "The following texts are summaries of consecutive parts of a longer document, in "
                f"order. Combine them into one summary of these parts in about {sentences} "
                f"sentences, keeping their key facts, names and figures. {tail}"
            )
        return (
            "The following texts are summaries of consecutive parts of one document, in order. "
            f"Combine them into one summary of the whole document in about {sentences} "
            f"sentences. {tail}"
        )

    def output_tokens(self, max_sentences: int) -> int:
        wanted = max(MIN_OUTPUT_TOKENS, OUTPUT_TOKENS_PER_SENTENCE * max_sentences)
        # A quarter of the window at most, so that every request still has room to read.
        return min(wanted, self.limits.max_output_tokens, self.limits.context_tokens // 4)

    def input_budget(self, max_sentences: int, language: str | None) -> int:
        """Estimated tokens of document text that one request may carry."""
        longest_prompt = max(
            estimate_tokens(self._instruction(kind, language, max_sentences))
            for kind in PROMPT_KINDS
        )
        framing = 16  # the blank lines and quotes around the text, the message structure
        return (
            int(self.limits.context_tokens * SAFETY)
            - self.output_tokens(max_sentences)
            - longest_prompt
            - framing
        )

    def request(self, instruction: str, text: str, max_sentences: int) -> ConverseRequestTypeDef:
        """The Converse request for one step: Titan takes the instruction inside the message."""
        request: ConverseRequestTypeDef = {
            "modelId": self.model_id,
            "messages": [],
            "inferenceConfig": {
                "maxTokens": self.output_tokens(max_sentences),
                "temperature": 0.0,
            },
        }
        if self.limits.system_prompt:
            request["system"] = [{"text": instruction}]
            request["messages"] = [{"role": "user", "content": [{"text": text}]}]
        else:
            prompt = f'{instruction}\n\nText:\n"""\n{text}\n"""'
            request["messages"] = [{"role": "user", "content": [{"text": prompt}]}]
        return request

    # -- calls --------------------------------------------------------------------------------

    def _converse(
        self, kind: str, text: str, language: str | None, max_sentences: int
    ) -> tuple[str, TokenUsage]:
        instruction = self._instruction(kind, language, max_sentences)
        with service_errors(ENGINE, None, BEDROCK_ERRORS):
            response = self._client.converse(**self.request(instruction, text, max_sentences))
        usage = response.get("usage") or {}
        spent = TokenUsage(
            input_tokens=int(usage.get("inputTokens", 0)),
            output_tokens=int(usage.get("outputTokens", 0)),
            calls=1,
        )
        message = response.get("output", {}).get("message")
        content = message.get("content", []) if message else []
        answer = "".join(str(block.get("text", "")) for block in content).strip()
        stop = response.get("stopReason")
        if stop in {"content_filtered", "guardrail_intervened"}:
            raise EngineFailed(
                f"Bedrock {self.model_id} refused to summarize: its content filter stopped the "
                f"answer ({stop})"
            )
        if stop in {"model_context_window_exceeded", "malformed_model_output"}:
            raise EngineFailed(f"Bedrock {self.model_id} could not answer ({stop})")
        if stop == "max_tokens":
            log.warning(
                "Bedrock %s stopped at its output limit of %d tokens; the cut-off sentence is "
                "dropped",
                self.model_id,
                self.output_tokens(max_sentences),
            )
            answer = self._without_cut_sentence(answer, language)
        if not answer:
            raise EngineFailed(f"Bedrock {self.model_id} returned an empty summary ({stop})")
        return answer, spent

    @staticmethod
    def _without_cut_sentence(text: str, language: str | None) -> str:
        sentences = split_sentences(text, language)
        if len(sentences) > 1 and not sentences[-1].endswith(_TERMINAL):
            sentences = sentences[:-1]
        return " ".join(sentences)

    def _budget(self, max_sentences: int, language: str | None) -> int:
        budget = self.input_budget(max_sentences, language)
        if budget < 2 * self.output_tokens(max_sentences):
            raise EngineFailed(
                f"Bedrock {self.model_id}: a context window of {self.limits.context_tokens} "
                f"tokens leaves no room to combine summaries of {max_sentences} sentences"
            )
        return budget

    def chunks(
        self, sentences: Sequence[str], language: str | None, max_sentences: int
    ) -> list[list[str]]:
        parts = [sentence.strip() for sentence in sentences if sentence.strip()]
        if not parts:
            return []
        return pack_sentences(parts, self._budget(max_sentences, language))

    def _draft(self, text: str, language: str | None, usage: TokenUsage) -> SummaryDraft:
        return SummaryDraft(
            text=text,
            sentences=split_sentences(text, language),
            method=SummaryMethod.ABSTRACTIVE,
            engine=ENGINE,
            model=self.model_id,
            usage=usage,
            billed=bedrock_tokens(self.model_id, usage),
        )

    def summarize_step(
        self,
        sentences: Sequence[str],
        language: str | None,
        max_sentences: int,
        step: SummaryStep,
    ) -> SummaryDraft:
        """One Converse request: the chunk (one of ``chunks``) joined, with the step's prompt."""
        text, spent = self._converse(step.value, " ".join(sentences), language, max_sentences)
        return self._draft(text, language, spent)

    def summarize(
        self, sentences: Sequence[str], language: str | None, max_sentences: int
    ) -> SummaryDraft:
        parts = [sentence.strip() for sentence in sentences if sentence.strip()]
        usage = TokenUsage()
        if not parts:
            return SummaryDraft(
                text="",
                sentences=[],
                method=SummaryMethod.NONE,
                engine=ENGINE,
                model=self.model_id,
                usage=usage,
            )
        combining = False
        for level in range(MAX_LEVELS):
            chunks = self.chunks(parts, language, max_sentences)
            if len(chunks) == 1:
                kind = SummaryStep.COMBINE.value if combining else "document"
                text, spent = self._converse(kind, " ".join(chunks[0]), language, max_sentences)
                return self._draft(text, language, usage + spent)
            step = SummaryStep.COMBINE_PART if combining else SummaryStep.PART
            summaries: list[str] = []
            for chunk in chunks:
                text, spent = self._converse(step.value, " ".join(chunk), language, max_sentences)
                usage += spent
                summaries.append(text)
            log.info("Bedrock %s: level %d summarized %d chunks", self.model_id, level, len(chunks))
            if sum(map(estimate_tokens, summaries)) >= sum(map(estimate_tokens, parts)):
                raise EngineFailed(
                    f"Bedrock {self.model_id}: summaries are not getting shorter than their "
                    "input; giving up"
                )
            parts, combining = summaries, True
        raise EngineFailed(
            f"Bedrock {self.model_id}: the document did not fit after {MAX_LEVELS} levels of "
            "summaries"
        )
