"""Bedrock Converse summaries: the requests (each within the model's context window), the
map-reduce over long documents, token usage, stop reasons and errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import ANY
from hypothesis import given, settings
from hypothesis import strategies as st

from scriba.config import Settings
from scriba.engines.aws.bedrock import (
    DEFAULT_LIMITS,
    MODEL_LIMITS,
    BedrockSummarizer,
    chunk_sentences,
    limits_for,
)
from scriba.engines.ports import Summarizer
from scriba.errors import AccessDenied, EngineFailed, Throttled, TransientServiceError
from scriba.media.chunking import estimate_tokens
from scriba.models.summary import SummaryMethod
from tests.integration.aws.support import capture, load_fixture

Stubbed = Callable[[str], tuple[Any, Any]]

TITAN_LITE = "amazon.titan-text-lite-v1"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"

REPORT = [
    "The cooperative processed 1,240 tonnes of coffee in 2023.",
    "Revenue rose by 12% compared with 2022.",
    "Most of the growth came from the new washing station in the north.",
    "New drying facilities will open in March 2024.",
]


def converse_response(
    text: str, inputs: int, outputs: int, stop: str = "end_turn"
) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": inputs, "outputTokens": outputs, "totalTokens": inputs + outputs},
        "metrics": {"latencyMs": 900},
    }


def prompt_of(request: dict[str, Any]) -> str:
    [message] = request["messages"]
    assert message["role"] == "user"
    return "".join(block["text"] for block in message["content"])


def document_of(request: dict[str, Any]) -> str:
    """The document text inside a Titan prompt (between the triple quotes)."""
    prompt = prompt_of(request)
    return prompt.split('"""\n', 1)[1].rsplit('\n"""', 1)[0]


def long_document(count: int) -> list[str]:
    return [
        f"In district {index} the harvest yielded {index * 7} tonnes of beans, which were "
        f"washed, dried on raised beds, sorted by hand and shipped to the port of "
        f"{'Mombasa' if index % 2 else 'Dar es Salaam'} before the long rains began."
        for index in range(1, count + 1)
    ]


def assert_fits_the_window(request: dict[str, Any], context_tokens: int) -> None:
    reserved = request["inferenceConfig"]["maxTokens"]
    prompt = prompt_of(request) + "".join(block["text"] for block in request.get("system", []))
    # Even at 3 characters per token, and by the adapter's estimate, prompt plus answer fit.
    assert len(prompt) / 3 + reserved <= context_tokens
    assert estimate_tokens(prompt) + reserved <= context_tokens


def test_a_short_document_is_one_request(stubbed: Stubbed) -> None:
    client, stubber = stubbed("bedrock-runtime")
    stubber.add_response(
        "converse",
        load_fixture("bedrock-converse.json"),
        expected_params={
            "modelId": "amazon.titan-text-express-v1",
            # Titan takes no system prompt in Converse: the instruction is in the message.
            "messages": ANY,
            "inferenceConfig": {"maxTokens": 512, "temperature": 0.0},
        },
    )
    requests = capture(client, "Converse")
    summarizer = BedrockSummarizer(Settings(), client=client)
    assert isinstance(summarizer, Summarizer)

    draft = summarizer.summarize(REPORT, "en", 3)

    prompt = prompt_of(requests[0])
    assert prompt.startswith("Summarize the following document in about 3 sentences.")
    assert "language code 'en'" in prompt
    assert "no introduction" in prompt
    assert document_of(requests[0]) == " ".join(REPORT)
    assert draft.method is SummaryMethod.ABSTRACTIVE
    assert (draft.engine, draft.model) == ("bedrock", "amazon.titan-text-express-v1")
    assert draft.text.startswith("The cooperative processed 1,240 tonnes")
    assert draft.sentences == [
        "The cooperative processed 1,240 tonnes of coffee in 2023.",
        "Revenue rose by 12% compared with 2022.",
        "New drying facilities will open in March 2024.",
    ]
    assert draft.usage is not None
    assert (draft.usage.input_tokens, draft.usage.output_tokens, draft.usage.calls) == (187, 39, 1)


@pytest.mark.parametrize(
    "profile",
    ["us.amazon.nova-lite-v1:0", "eu.amazon.nova-lite-v1:0", "global.amazon.nova-lite-v1:0"],
)
def test_an_inference_profile_id_is_sent_as_the_model_id(stubbed: Stubbed, profile: str) -> None:
    # Cross-region inference happens only when Converse is given the profile's id: the geography
    # is stripped to look up the model's limits, never from the request.
    client, stubber = stubbed("bedrock-runtime")
    stubber.add_response(
        "converse",
        converse_response("The cooperative processed 1,240 tonnes of coffee.", 180, 12),
        expected_params={
            "modelId": profile,
            "messages": ANY,
            # Nova takes a system prompt: the limits are Nova Lite's, not the default.
            "system": ANY,
            "inferenceConfig": ANY,
        },
    )
    summarizer = BedrockSummarizer(Settings(bedrock_model_id=profile), client=client)

    draft = summarizer.summarize(REPORT, "en", 3)

    assert summarizer.limits == MODEL_LIMITS["amazon.nova-lite"]
    assert draft.model == profile


def test_models_with_a_system_prompt_get_the_instruction_there(stubbed: Stubbed) -> None:
    client, stubber = stubbed("bedrock-runtime")
    stubber.add_response(
        "converse",
        converse_response("Die Genossenschaft verarbeitete 1.240 Tonnen Kaffee.", 95, 14),
        expected_params={
            "modelId": CLAUDE,
            "system": [{"text": ANY}],
            "messages": [{"role": "user", "content": [{"text": " ".join(REPORT)}]}],
            "inferenceConfig": {"maxTokens": 512, "temperature": 0.0},
        },
    )
    requests = capture(client, "Converse")
    draft = BedrockSummarizer(Settings(bedrock_model_id=CLAUDE), client=client).summarize(
        REPORT, "de", 1
    )
    assert "language code 'de'" in requests[0]["system"][0]["text"]
    assert draft.sentences == ["Die Genossenschaft verarbeitete 1.240 Tonnen Kaffee."]


def test_a_long_document_is_mapped_then_reduced_within_the_window(stubbed: Stubbed) -> None:
    client, stubber = stubbed("bedrock-runtime")
    sentences = long_document(150)  # about 32,000 characters: far beyond Titan Lite's 4K tokens
    summarizer = BedrockSummarizer(Settings(bedrock_model_id=TITAN_LITE), client=client)
    parts = len(chunk_sentences(sentences, summarizer.input_budget(5, "en")))
    assert parts >= 3
    answers = [f"Districts of part {index} shipped their beans early." for index in range(parts)]
    for index, answer in enumerate(answers):
        stubber.add_response("converse", converse_response(answer, 3000 + index, 40 + index))
    final = "The harvest was large. Beans were shipped before the rains."
    stubber.add_response("converse", converse_response(final, 250, 15))
    requests = capture(client, "Converse")

    draft = summarizer.summarize(sentences, "en", 5)

    assert len(requests) == parts + 1
    for request in requests:
        assert request["modelId"] == TITAN_LITE
        assert request["inferenceConfig"] == {"maxTokens": 512, "temperature": 0.0}
        assert_fits_the_window(request, 4096)
    maps, reduce = requests[:-1], requests[-1]
    # Every sentence went to exactly one map request, in document order.
    assert " ".join(document_of(request) for request in maps) == " ".join(sentences)
    assert all("one part of a longer document" in prompt_of(request) for request in maps)
    # The reduce request holds every part's summary, in order.
    assert "summary of the whole document" in prompt_of(reduce)
    assert document_of(reduce) == " ".join(answers)
    assert draft.text == final
    assert draft.sentences == ["The harvest was large.", "Beans were shipped before the rains."]
    assert draft.usage is not None
    assert draft.usage.calls == parts + 1
    assert draft.usage.input_tokens == sum(3000 + index for index in range(parts)) + 250
    assert draft.usage.output_tokens == sum(40 + index for index in range(parts)) + 15


def test_summaries_too_long_to_combine_at_once_are_reduced_again(stubbed: Stubbed) -> None:
    client, stubber = stubbed("bedrock-runtime")
    sentences = long_document(150)
    summarizer = BedrockSummarizer(Settings(bedrock_model_id=TITAN_LITE), client=client)
    budget = summarizer.input_budget(5, None)
    parts = len(chunk_sentences(sentences, budget))
    # Wordy part summaries (about 1,200 tokens each): they do not fit in one request together.
    wordy = [
        " ".join(f"Part {index} fact {fact} about beans and rain." for fact in range(120))
        for index in range(parts)
    ]
    assert sum(map(estimate_tokens, wordy)) > budget
    groups = len(chunk_sentences(wordy, budget))
    assert 1 < groups < parts
    for text in wordy:
        stubber.add_response("converse", converse_response(text, 3000, 500, "end_turn"))
    for group in range(groups):
        stubber.add_response("converse", converse_response(f"Group {group} in short.", 900, 9))
    stubber.add_response("converse", converse_response("All in one sentence.", 40, 6))
    requests = capture(client, "Converse")

    draft = summarizer.summarize(sentences, None, 5)

    assert len(requests) == parts + groups + 1
    for request in requests:
        assert_fits_the_window(request, 4096)
    middle = requests[parts : parts + groups]
    assert all(
        "summaries of consecutive parts of a longer document" in prompt_of(r) for r in middle
    )
    assert " ".join(document_of(request) for request in middle) == " ".join(wordy)
    assert document_of(requests[-1]) == " ".join(
        f"Group {group} in short." for group in range(groups)
    )
    assert "in the language of the text." in prompt_of(requests[-1])
    assert draft.text == "All in one sentence."
    assert draft.usage is not None and draft.usage.calls == parts + groups + 1


def test_an_answer_cut_at_the_output_limit_loses_its_cut_sentence(
    stubbed: Stubbed, caplog: pytest.LogCaptureFixture
) -> None:
    client, stubber = stubbed("bedrock-runtime")
    stubber.add_response(
        "converse",
        converse_response(
            "Coffee output grew. Revenue rose by twelve. New dryers will ope", 90, 512, "max_tokens"
        ),
    )
    with caplog.at_level(logging.WARNING):
        draft = BedrockSummarizer(Settings(), client=client).summarize(REPORT, "en", 3)
    assert draft.sentences == ["Coffee output grew.", "Revenue rose by twelve."]
    assert draft.text == "Coffee output grew. Revenue rose by twelve."
    assert "output limit of 512 tokens" in caplog.text


@pytest.mark.parametrize("stop", ["content_filtered", "guardrail_intervened"])
def test_a_filtered_answer_is_a_permanent_error(stubbed: Stubbed, stop: str) -> None:
    client, stubber = stubbed("bedrock-runtime")
    stubber.add_response("converse", converse_response("", 90, 0, stop))
    with pytest.raises(EngineFailed, match="content filter"):
        BedrockSummarizer(Settings(), client=client).summarize(REPORT, "en", 3)


def test_nothing_to_summarize_makes_no_call(stubbed: Stubbed) -> None:
    client, _ = stubbed("bedrock-runtime")
    draft = BedrockSummarizer(Settings(), client=client).summarize(["  ", ""], "en", 3)
    assert (draft.method, draft.text, draft.sentences) == (SummaryMethod.NONE, "", [])


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 429, Throttled),
        ("ServiceQuotaExceededException", 400, Throttled),
        ("ModelTimeoutException", 408, TransientServiceError),
        ("ModelNotReadyException", 429, TransientServiceError),
        ("InternalServerException", 500, TransientServiceError),
        ("ServiceUnavailableException", 503, TransientServiceError),
        ("ValidationException", 400, EngineFailed),
        ("AccessDeniedException", 403, AccessDenied),
    ],
)
def test_errors_are_typed(
    stubbed: Stubbed, code: str, status: int, expected: type[Exception]
) -> None:
    client, stubber = stubbed("bedrock-runtime")
    stubber.add_client_error(
        "converse", service_error_code=code, service_message=code, http_status_code=status
    )
    with pytest.raises(expected) as raised:
        BedrockSummarizer(Settings(), client=client).summarize(REPORT, "en", 3)
    assert type(raised.value) is expected


# -- limits and the token estimate ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "context"),
    [
        ("amazon.titan-text-lite-v1", 4_096),
        ("amazon.titan-text-express-v1", 8_192),
        ("amazon.titan-text-premier-v1:0", 32_000),
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-premier-v1:0", 32_000),
        ("us.anthropic.claude-3-5-sonnet-20240620-v1:0", 200_000),
        ("anthropic.claude-v2:1", 100_000),
        ("meta.llama3-8b-instruct-v1:0", 8_192),
        ("meta.llama3-1-70b-instruct-v1:0", 128_000),
        ("someone.new-model-v1", DEFAULT_LIMITS.context_tokens),
    ],
)
def test_context_window_per_model(model_id: str, context: int) -> None:
    assert limits_for(model_id).context_tokens == context


def test_titan_takes_no_system_prompt() -> None:
    assert not any(
        limits.system_prompt for prefix, limits in MODEL_LIMITS.items() if "titan" in prefix
    )


def test_estimate_is_conservative_for_latin_and_cjk_text() -> None:
    english = "The cooperative processed 1,240 tonnes of coffee in 2023."
    assert estimate_tokens(english) >= len(english) / 3.5
    chinese = "合作社在二零二三年加工了一千二百四十吨咖啡。"
    assert estimate_tokens(chinese) == len(chinese)
    assert estimate_tokens("a b c d e f") == 6  # a word is at least one token


@settings(max_examples=150, deadline=None)
@given(
    sentences=st.lists(
        st.text(alphabet=st.sampled_from("abcdé 咖啡.,"), min_size=1, max_size=400),
        min_size=1,
        max_size=30,
    ),
    budget=st.integers(min_value=20, max_value=600),
)
def test_chunks_fit_the_budget_and_keep_every_word_in_order(
    sentences: list[str], budget: int
) -> None:
    chunks = chunk_sentences(sentences, budget)
    assert all(estimate_tokens(chunk) <= budget for chunk in chunks)
    assert "".join("".join(chunks).split()) == "".join("".join(sentences).split())
