"""A long document's summary with Bedrock behind botocore's Stubber, step by step as the state
machine runs it: each chunk task is one Converse request on its chunk, the reduce one on the
chunks' summaries; a retried chunk task does not ask again. The bucket is moto's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.stub import ANY

from scriba.aws.storage import Storage
from scriba.config import Settings
from scriba.context import Context
from scriba.engines import BACKENDS
from scriba.engines.aws.bedrock import BedrockSummarizer
from scriba.models.summary import Summary, SummaryMethod
from scriba.stages.summarize import (
    SummaryChunk,
    chunk_location,
    plan_summary,
    summarize_chunk,
)
from scriba.workflow import SummaryPlan, SummaryResult
from tests.integration.aws.support import capture
from tests.integration.aws.test_bedrock import converse_response, document_of, prompt_of
from tests.summaries import (
    BUCKET,
    chunk_request,
    district_sentences,
    run_level,
    stored_document,
    text_pages,
)

Stubbed = Callable[[str], tuple[Any, Any]]
TITAN_LITE = "amazon.titan-text-lite-v1"  # 4K tokens: a few pages make several chunks


@pytest.fixture
def bedrock_ctx(mocked_aws: None, stubbed: Stubbed) -> tuple[Context[Settings], Any, Any]:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    client, stubber = stubbed("bedrock-runtime")
    settings = Settings(output_bucket=BUCKET, bedrock_model_id=TITAN_LITE)
    backend = replace(BACKENDS["aws"], summarizer=lambda s, c: BedrockSummarizer(s, client=client))
    ctx = Context.of(settings, storage=Storage(s3=s3), backend=backend)
    return ctx, client, stubber


def expect_converse(stubber: Any, answer: str, inputs: int, outputs: int) -> None:
    stubber.add_response(
        "converse",
        converse_response(answer, inputs, outputs),
        expected_params={
            "modelId": TITAN_LITE,
            "messages": [{"role": "user", "content": [{"text": ANY}]}],
            "inferenceConfig": {"maxTokens": 512, "temperature": 0.0},
        },
    )


def test_each_chunk_task_is_one_request_and_the_reduce_combines_them(
    bedrock_ctx: tuple[Context[Settings], Any, Any],
) -> None:
    ctx, client, stubber = bedrock_ctx
    sentences = district_sentences(150)
    request = stored_document(ctx, text_pages(sentences, per_page=15))
    plan = plan_summary(request, ctx)
    assert isinstance(plan, SummaryPlan) and plan.chunks >= 3
    chunks = [
        ctx.storage.read_model(chunk_location(request.document, 0, i), SummaryChunk)
        for i in plan.items
    ]
    answers = [f"Part {i} shipped its beans early." for i in plan.items]
    for index, answer in enumerate(answers):
        expect_converse(stubber, answer, 3000 + index, 40)
    expect_converse(stubber, "The harvest was large. Beans left before the rains.", 250, 15)
    requests = capture(client, "Converse")

    done, result = run_level(request, plan, ctx)

    assert [d.calls for d in done] == [1] * plan.chunks
    assert isinstance(result, SummaryResult)
    assert len(requests) == plan.chunks + 1
    for chunk, sent in zip(chunks, requests, strict=False):
        assert prompt_of(sent).startswith("The following text is one part of a longer document.")
        assert "language code 'en'" in prompt_of(sent)
        assert document_of(sent) == " ".join(chunk.sentences)
    assert "summary of the whole document" in prompt_of(requests[-1])
    assert document_of(requests[-1]) == " ".join(answers)
    summary = ctx.storage.read_model(request.document.output.child("summary.json"), Summary)
    assert summary.text == "The harvest was large. Beans left before the rains."
    assert (summary.method, summary.engine, summary.model) == (
        SummaryMethod.ABSTRACTIVE,
        "bedrock",
        TITAN_LITE,
    )
    assert summary.usage is not None
    assert summary.usage.calls == plan.chunks + 1
    assert summary.usage.input_tokens == sum(3000 + i for i in plan.items) + 250
    assert summary.usage.output_tokens == 40 * plan.chunks + 15
    billed = {item.item: item.quantity for item in result.billed}
    assert billed[f"{TITAN_LITE} input"] == pytest.approx(summary.usage.input_tokens / 1000)
    assert billed[f"{TITAN_LITE} output"] == pytest.approx(summary.usage.output_tokens / 1000)


def test_a_second_attempt_of_a_chunk_task_does_not_ask_bedrock_again(
    bedrock_ctx: tuple[Context[Settings], Any, Any],
) -> None:
    ctx, client, stubber = bedrock_ctx
    request = stored_document(ctx, text_pages(district_sentences(150), per_page=15))
    plan = plan_summary(request, ctx)
    assert isinstance(plan, SummaryPlan)
    # One response only: a second Converse would find the Stubber empty and fail the test.
    expect_converse(stubber, "Part 1 shipped its beans early.", 3000, 40)
    requests = capture(client, "Converse")

    first = summarize_chunk(chunk_request(request, plan, 1), ctx)
    retried = summarize_chunk(chunk_request(request, plan, 1), ctx)

    assert (first.calls, retried.calls) == (1, 0)
    assert len(requests) == 1
    stubber.assert_no_pending_responses()


def test_a_throttled_chunk_task_is_throttled_and_names_its_chunk(
    bedrock_ctx: tuple[Context[Settings], Any, Any],
) -> None:
    from scriba.errors import Throttled

    ctx, _, stubber = bedrock_ctx
    request = stored_document(ctx, text_pages(district_sentences(150), per_page=15))
    plan = plan_summary(request, ctx)
    assert isinstance(plan, SummaryPlan)
    stubber.add_client_error(
        "converse", service_error_code="ThrottlingException", http_status_code=429
    )
    with pytest.raises(Throttled, match=rf"report.pdf: summary chunk 3 of {plan.chunks}: "):
        summarize_chunk(chunk_request(request, plan, 2), ctx)


def test_every_call_of_the_map_reduce_is_allowed_by_the_summarize_role(mocked_aws: None) -> None:
    """moto and the Stubber allow everything: each call the three actions make (S3 in documents/
    and work/, the listing that finds a chunk done, Converse) is checked against SummarizeRole."""
    from pathlib import Path

    from botocore.stub import Stubber

    from scriba.local.template import load_stack
    from tests.iam import CallRecorder, refused

    stack = load_stack(Path(__file__).resolve().parents[3])
    assert stack.output_bucket == BUCKET  # the local name of the template's OutputBucket
    session = boto3.session.Session(region_name="us-east-1")
    calls = CallRecorder(default="SummarizeFunction")
    s3 = session.client("s3")
    s3.create_bucket(Bucket=stack.output_bucket)
    calls.install(session)  # the test's own setup above is not the function's
    s3 = session.client("s3")
    client = session.client("bedrock-runtime")
    stubber = Stubber(client)
    stubber.activate()
    settings = Settings(output_bucket=stack.output_bucket)  # the template's default model
    backend = replace(BACKENDS["aws"], summarizer=lambda s, c: BedrockSummarizer(s, client=client))
    ctx = Context.of(settings, storage=Storage(s3=s3), backend=backend)
    request = stored_document(ctx, text_pages(district_sentences(600), per_page=15))
    plan = plan_summary(request, ctx)
    assert isinstance(plan, SummaryPlan)
    for index in range(plan.chunks + 1):
        stubber.add_response("converse", converse_response(f"Part {index} in short.", 90, 9))
    summarize_chunk(chunk_request(request, plan, 0), ctx)  # asked, then found done
    _, result = run_level(request, plan, ctx)
    assert isinstance(result, SummaryResult)
    stubber.assert_no_pending_responses()
    calls.uninstall(session)
    assert {c.operation for c in calls.calls} >= {"PutObject", "GetObject", "ListObjectsV2"}
    assert "Converse" in {c.operation for c in calls.calls}
    assert refused(stack, calls.calls) == []
