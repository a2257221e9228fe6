"""What the manifest says of a document, from what the workflow reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from scriba.aws.clients import AwsClients
from scriba.config import Settings
from scriba.context import Context
from scriba.models.document import DocumentKind, S3Location, Source
from scriba.models.manifest import Artifact, ArtifactKind, Manifest, Stage, Status
from scriba.stages.finalize import FinalizeRequest, RecordFailureRequest, finalize, record_failure
from scriba.stages.finalize.record import collect_artifacts
from scriba.stages.finalize.record import status_of as _status
from scriba.workflow import (
    Document,
    LanguageOutcome,
    NarrationResult,
    PipelineState,
    StageError,
    StageFailure,
    SummaryResult,
    TagResult,
    TextResult,
    TranslationResult,
)

SOURCE = Source(bucket="in-bucket", key="a/report.pdf", version_id="v1")


def document() -> Document:
    return Document(
        id="abc",
        name="a/report.pdf",
        source=SOURCE,
        output=S3Location(bucket="out-bucket", key="documents/a/report.pdf"),
        work=S3Location(bucket="out-bucket", key="work/abc"),
        kind=DocumentKind.PDF,
        size=10,
        sha256="0" * 64,
        pages=2,
        languages=["es", "fr"],
    )


def text() -> TextResult:
    return TextResult(
        artifacts=[Artifact(kind=ArtifactKind.TEXT, path="text.json")],
        language="en",
        pages=2,
        words=100,
        characters=600,
        ocr_pages=0,
        text_layer_pages=2,
    )


def tags() -> TagResult:
    return TagResult(
        artifacts=[Artifact(kind=ArtifactKind.TAGS, path="tags.json")],
        images=0,
        labels=[],
        people=False,
    )


def summary(characters: int = 120) -> SummaryResult:
    return SummaryResult(
        artifacts=[Artifact(kind=ArtifactKind.SUMMARY, path="summary.json")],
        language="en",
        characters=characters,
        method="extractive",
    )


def language(code: str) -> LanguageOutcome:
    return LanguageOutcome(
        language=code,
        translation=TranslationResult(
            artifact=Artifact(
                kind=ArtifactKind.TRANSLATION, path=f"translations/{code}.json", language=code
            ),
            characters=120,
        ),
        narration=NarrationResult(
            artifact=Artifact(kind=ArtifactKind.AUDIO, path=f"audio/{code}.mp3", language=code)
        ),
    )


def lambda_error(error_type: str, message: str) -> StageError:
    cause = json.dumps({"errorType": error_type, "errorMessage": message, "stackTrace": []})
    return StageError(Error=error_type, Cause=cause)


def test_everything_made_is_succeeded() -> None:
    state = PipelineState(
        source=SOURCE,
        document=document(),
        analysis={"text": text(), "tags": tags()},
        summary=summary(),
        outputs=[language("es"), language("fr")],
    )
    artifacts, _ = collect_artifacts(state)
    assert _status(artifacts) is Status.SUCCEEDED
    kinds = [(a.kind, a.language) for a in artifacts]
    assert (ArtifactKind.AUDIO, "fr") in kinds and (ArtifactKind.TRANSLATION, "es") in kinds


def test_one_language_failing_is_partial_and_keeps_the_other() -> None:
    failed = LanguageOutcome(
        language="fr",
        stage=Stage.SPEAK,
        translation=language("fr").translation,
        error=lambda_error("EngineFailed", "a/report.pdf: espeak-ng crashed"),
    )
    state = PipelineState(
        source=SOURCE,
        document=document(),
        analysis={"text": text(), "tags": tags()},
        summary=summary(),
        outputs=[language("es"), failed],
    )
    artifacts, _ = collect_artifacts(state)
    assert _status(artifacts) is Status.PARTIAL
    audio_fr = next(a for a in artifacts if a.kind is ArtifactKind.AUDIO and a.language == "fr")
    assert audio_fr.status is Status.FAILED
    assert audio_fr.failure is not None
    assert audio_fr.failure.stage is Stage.SPEAK
    assert audio_fr.failure.reason == "engine_failed"
    assert audio_fr.failure.message == "a/report.pdf: espeak-ng crashed"
    assert any(
        a.kind is ArtifactKind.AUDIO and a.language == "es" and a.status is Status.SUCCEEDED
        for a in artifacts
    )
    assert any(
        a.kind is ArtifactKind.TRANSLATION and a.language == "fr" and a.status is Status.SUCCEEDED
        for a in artifacts
    )


def test_a_failed_translation_skips_its_narration() -> None:
    failed = LanguageOutcome(
        language="de",
        stage=Stage.TRANSLATE,
        error=lambda_error("UnsupportedLanguagePair", "no pair en-de; supported: es, fr"),
    )
    state = PipelineState(
        source=SOURCE,
        document=document(),
        analysis={"text": text(), "tags": tags()},
        summary=summary(),
        outputs=[failed],
    )
    artifacts, _ = collect_artifacts(state)
    translation = next(a for a in artifacts if a.kind is ArtifactKind.TRANSLATION)
    audio = next(a for a in artifacts if a.kind is ArtifactKind.AUDIO)
    assert translation.status is Status.FAILED
    assert (
        translation.failure is not None
        and translation.failure.reason == "unsupported_language_pair"
    )
    assert audio.status is Status.SKIPPED


def test_failed_tagging_is_partial() -> None:
    state = PipelineState(
        source=SOURCE,
        document=document(),
        analysis={
            "text": text(),
            "tags": StageFailure(stage=Stage.TAG, error=lambda_error("Throttled", "slow down")),
        },
        summary=summary(),
        outputs=[language("es"), language("fr")],
    )
    artifacts, _ = collect_artifacts(state)
    assert _status(artifacts) is Status.PARTIAL
    tags_artifact = next(a for a in artifacts if a.kind is ArtifactKind.TAGS)
    assert tags_artifact.failure is not None and tags_artifact.failure.reason == "throttled"


def test_no_text_skips_translation_and_narration_with_a_reason() -> None:
    state = PipelineState(
        source=SOURCE,
        document=document(),
        analysis={"text": text(), "tags": tags()},
        summary=summary(characters=0),
    )
    artifacts, _ = collect_artifacts(state)
    skipped = [a for a in artifacts if a.status is Status.SKIPPED]
    assert {(a.kind, a.language) for a in skipped} == {
        (ArtifactKind.TRANSLATION, "es"),
        (ArtifactKind.AUDIO, "es"),
        (ArtifactKind.TRANSLATION, "fr"),
        (ArtifactKind.AUDIO, "fr"),
    }
    assert _status(artifacts) is Status.SUCCEEDED


def test_state_machine_errors_get_a_reason() -> None:
    failure = StageError(Error="States.Timeout", Cause="Task timed out").failure(Stage.EXTRACT)
    assert failure.reason == "timeout"
    assert failure.message == "Task timed out"
    failure = StageError(Error="KeyError", Cause=json.dumps({"errorMessage": "'x'"})).failure(
        Stage.TAG
    )
    assert failure.reason == "internal_error"


def test_a_function_out_of_memory_is_said_so() -> None:
    # What Step Functions puts at the Catch's ResultPath when Lambda kills a function at its
    # MemorySize (errorType Runtime.OutOfMemory).
    cause = {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": "RequestId: 9f3c Error: Runtime exited with error: signal: killed",
    }
    failure = StageError(Error="Runtime.OutOfMemory", Cause=json.dumps(cause)).failure(Stage.TAG)
    assert failure.reason == "out_of_memory"
    assert failure.message.startswith("the tag stage ran out of memory")
    assert "signal: killed" in failure.message
    assert failure.error_type == "Runtime.OutOfMemory"


def test_the_whole_execution_state_parses_with_fields_it_does_not_need() -> None:
    state = PipelineState.model_validate(
        {"source": SOURCE.model_dump(), "options": {}, "error": {"Error": "x"}, "outcome": {}}
    )
    assert state.document is None


# -- the execution history: read with the largest page size, never the reason a record is lost --

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:pipeline:report-abc"


@pytest.fixture
def history_context(mocked_aws: None) -> Iterator[tuple[Context[Settings], Stubber]]:
    """Finalize's context: the output bucket on moto, Step Functions behind a Stubber."""
    clients = AwsClients(boto3.session.Session(region_name="us-east-1"))
    clients.s3.create_bucket(Bucket="out-bucket")
    stubber = Stubber(clients.stepfunctions)
    stubber.activate()
    yield Context.of(Settings(output_bucket="out-bucket"), clients), stubber
    stubber.deactivate()


def finished_state() -> PipelineState:
    return PipelineState(
        source=SOURCE,
        document=document(),
        analysis={"text": text(), "tags": tags()},
        summary=summary(),
        outputs=[language("es"), language("fr")],
    )


def written_manifest(ctx: Context[Settings]) -> Manifest:
    location = document().output.child("manifest.json")
    return ctx.storage.read_model(location, Manifest)


@pytest.mark.parametrize(
    ("code", "status"),
    [("ThrottlingException", 400), ("ExecutionDoesNotExist", 400), ("AccessDeniedException", 400)],
)
def test_an_unreadable_history_is_a_warning_in_the_manifest(
    history_context: tuple[Context[Settings], Stubber], code: str, status: int
) -> None:
    ctx, stubber = history_context
    stubber.add_client_error(
        "get_execution_history", service_error_code=code, http_status_code=status
    )
    outcome = finalize(
        FinalizeRequest(action="finalize", state=finished_state(), execution=EXECUTION), ctx
    )
    manifest = written_manifest(ctx)
    assert outcome.status is Status.SUCCEEDED and manifest.status is Status.SUCCEEDED
    warning = next(w for w in manifest.warnings if "not priced" in w)
    assert code in warning
    assert manifest.cost is not None  # what the stages reported is still priced
    assert not any(line.service == "stepfunctions" for line in manifest.cost.lines)


def test_a_failure_record_survives_an_unreadable_history(
    history_context: tuple[Context[Settings], Stubber],
) -> None:
    ctx, stubber = history_context
    stubber.add_client_error("get_execution_history", service_error_code="ThrottlingException")
    state = PipelineState(
        source=SOURCE,
        document=document(),
        failure=StageFailure(stage=Stage.EXTRACT, error=lambda_error("CorruptDocument", "bad")),
    )
    outcome = record_failure(
        RecordFailureRequest(action="fail", state=state, execution=EXECUTION), ctx
    )
    manifest = written_manifest(ctx)
    assert outcome.status is Status.FAILED
    assert manifest.failure is not None and manifest.failure.reason == "corrupt_document"
    assert any("not priced" in warning for warning in manifest.warnings)


def test_the_history_is_read_a_thousand_events_a_page(
    history_context: tuple[Context[Settings], Stubber],
) -> None:
    ctx, stubber = history_context
    started = datetime(2026, 12, 1, tzinfo=UTC)
    entered = {
        "timestamp": started,
        "type": "TaskStateEntered",
        "id": 1,
        "previousEventId": 0,
        "stateEnteredEventDetails": {"name": "Inspect"},
    }
    request = {"executionArn": EXECUTION, "includeExecutionData": False, "maxResults": 1000}
    stubber.add_response(
        "get_execution_history", {"events": [entered], "nextToken": "page-2"}, request
    )
    stubber.add_response(
        "get_execution_history",
        {"events": [{**entered, "id": 2, "previousEventId": 1}]},
        {**request, "nextToken": "page-2"},
    )
    finalize(FinalizeRequest(action="finalize", state=finished_state(), execution=EXECUTION), ctx)
    stubber.assert_no_pending_responses()
    cost = written_manifest(ctx).cost
    assert cost is not None
    transitions = next(line for line in cost.lines if line.service == "stepfunctions")
    assert transitions.quantity == 3  # two states entered, and this finalize's own
