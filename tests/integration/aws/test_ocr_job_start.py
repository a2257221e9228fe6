"""StartOcrJob as the extract function runs it: the request Textract gets, its idempotency token
per attempt, and the stack's KMS key for the job's output.

The source PDF and the job's input are in moto's S3; Textract is a botocore ``Stubber`` on the
same clients, which checks each request against the service model (types, lengths, required
members) and the parameters each test expects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pypdfium2 as pdfium
import pytest
from botocore.stub import ANY, Stubber

from scriba import layout
from scriba.aws.clients import AwsClients
from scriba.config import Settings
from scriba.context import Context
from scriba.models.document import DocumentKind, S3Location, Source
from scriba.stages.extract.actions import ExecutionContext, StartOcrJobRequest
from scriba.stages.extract.ocr import start_ocr_job
from scriba.workflow import Document, OcrMode, OcrPlan

INPUT, OUTPUT = "scriba-input", "scriba-output"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:scriba-pipeline"
# Textract's ClientRequestToken (service model: ^[a-zA-Z0-9-_]+$, 1 to 64 characters).
TOKEN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def two_page_pdf(path: Path) -> Path:
    document = pdfium.PdfDocument.new()
    for _ in range(2):
        document.new_page(595, 842)
    document.save(str(path))
    document.close()
    return path


class Deployed:
    def __init__(self, tmp_path: Path) -> None:
        session = boto3.session.Session(region_name="us-east-1")
        self.clients = AwsClients(session)
        s3 = self.clients.s3
        for bucket in (INPUT, OUTPUT):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        data = two_page_pdf(tmp_path / "scan.pdf").read_bytes()
        put = s3.put_object(Bucket=INPUT, Key="inbox/scan.pdf", Body=data)
        self.source = Source(
            bucket=INPUT, key="inbox/scan.pdf", version_id=put["VersionId"], size=len(data)
        )
        self.textract = Stubber(self.clients.textract)
        self.textract.activate()

    def document(self, settings: Settings) -> Document:
        document_id = layout.document_id(self.source)
        return Document(
            id=document_id,
            name=self.source.key,
            source=self.source,
            output=layout.output_prefix(settings, self.source),
            work=S3Location(bucket=OUTPUT, key=f"{settings.work_prefix}/{document_id}"),
            kind=DocumentKind.PDF,
            size=self.source.size or 0,
            sha256="0" * 64,
            pages=2,
            languages=["es"],
            ocr=OcrPlan(mode=OcrMode.JOB, pages=[1, 2]),
        )

    def start(
        self, settings: Settings, attempt: int = 0, redrives: int | None = None
    ) -> dict[str, Any]:
        """Runs start_job as the state machine sends it, in the given attempt; returns the
        request Textract got."""
        seen: list[dict[str, Any]] = []
        self.clients.textract.meta.events.register(
            "provide-client-params.textract.StartDocumentTextDetection",
            lambda params, **_: seen.append(dict(params)),
        )
        name = layout.execution_name(self.source, attempt)
        execution = f"{MACHINE.replace(':stateMachine:', ':execution:')}:{name}"
        context: dict[str, Any] = {"Id": execution, "Name": name, "StartTime": "2026-12-07T00:00Z"}
        if redrives is not None:  # moto's context object has no RedriveCount; AWS's has
            context["RedriveCount"] = redrives
        request = StartOcrJobRequest.model_validate(
            {
                "action": "start_job",
                "document": self.document(settings).model_dump(mode="json"),
                "execution": execution,
                "execution_context": context,
            }
        )
        start_ocr_job(request, Context.of(settings, self.clients))
        (params,) = seen[-1:]
        return params


@pytest.fixture
def deployed(mocked_aws: None, tmp_path: Path) -> Iterator[Deployed]:
    stack = Deployed(tmp_path)
    yield stack
    stack.textract.assert_no_pending_responses()
    stack.textract.deactivate()


def expect_start(deployed: Deployed, count: int = 1, **expected: Any) -> None:
    for index in range(count):
        deployed.textract.add_response(
            "start_document_text_detection",
            {"JobId": f"job{index}" + "0" * 60},
            expected_params={
                "DocumentLocation": ANY,
                "ClientRequestToken": ANY,
                "JobTag": ANY,
                "OutputConfig": ANY,
                **expected,
            },
        )


def test_a_retry_of_the_same_attempt_sends_the_same_token(deployed: Deployed) -> None:
    settings = Settings(output_bucket=OUTPUT)
    expect_start(deployed, 3)
    first = deployed.start(settings)
    retried = deployed.start(settings)  # the task retried: its answer may have been lost
    same_with_count = deployed.start(settings, redrives=0)  # AWS says RedriveCount 0

    assert first["ClientRequestToken"] == retried["ClientRequestToken"]
    assert same_with_count["ClientRequestToken"] == first["ClientRequestToken"]
    assert TOKEN.fullmatch(first["ClientRequestToken"])


def test_a_new_attempt_or_a_redrive_sends_a_new_token(deployed: Deployed) -> None:
    # The same token within ~7 days returns the job it started then: a failed one, for a re-run.
    settings = Settings(output_bucket=OUTPUT)
    expect_start(deployed, 5)
    tokens = [
        deployed.start(settings)["ClientRequestToken"],
        deployed.start(settings, attempt=1)["ClientRequestToken"],  # the sweeper's re-run
        deployed.start(settings, attempt=3)["ClientRequestToken"],
        deployed.start(settings, redrives=1)["ClientRequestToken"],  # RedriveExecution
        deployed.start(settings, attempt=1, redrives=2)["ClientRequestToken"],
    ]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert TOKEN.fullmatch(token), token
        assert token.startswith(layout.document_id(deployed.source))


def test_the_longest_attempt_and_redrive_still_make_a_valid_token(deployed: Deployed) -> None:
    settings = Settings(output_bucket=OUTPUT)
    expect_start(deployed)
    token = deployed.start(settings, attempt=10, redrives=1000)["ClientRequestToken"]
    assert TOKEN.fullmatch(token), token


def test_execution_context_takes_what_the_state_machine_passes() -> None:
    # $$.Execution on AWS; moto's has no RedriveCount (nor RedriveTime): 0.
    aws = ExecutionContext.model_validate(
        {
            "Id": "arn:...:execution:m:n-r1",
            "Input": {"source": {}},
            "Name": "n-r1",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "StartTime": "2026-12-07T00:00:00Z",
            "RedriveCount": 2,
            "RedriveTime": "2026-12-07T01:00:00Z",
        }
    )
    assert (aws.name, aws.redrive_count) == ("n-r1", 2)
    assert ExecutionContext.model_validate({"Id": "x", "Name": "n"}).redrive_count == 0


def test_with_the_stacks_kms_key_the_job_output_is_encrypted_with_it(deployed: Deployed) -> None:
    expect_start(deployed, KMSKeyId=KEY_ARN)
    deployed.start(Settings(output_bucket=OUTPUT, kms_key_arn=KEY_ARN))


def test_without_a_key_the_request_names_none(deployed: Deployed) -> None:
    expect_start(deployed)  # expected_params must match exactly: no KMSKeyId
    # The template sets SCRIBA_KMS_KEY_ARN to "" when KmsKeyArn is empty.
    deployed.start(Settings(output_bucket=OUTPUT, kms_key_arn=""))


def test_the_template_gives_the_functions_the_stacks_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from scriba.config import load_settings
    from scriba.local.template import load_stack

    root = Path(__file__).resolve().parents[3]
    for key, expected in ((KEY_ARN, KEY_ARN), ("", None)):
        extract = load_stack(root, {"KmsKeyArn": key}).functions["ExtractFunction"]
        for name, value in extract.environment.items():
            monkeypatch.setenv(name, value)
        assert load_settings().kms_key_arn == expected


def test_the_extract_role_may_use_the_key_for_textracts_output() -> None:
    # Textract reads the job's input and writes its output with the caller's permissions: with
    # KMSKeyId, its guide (Calling Amazon Textract asynchronous operations, OutputConfig) asks
    # the caller for Decrypt, ReEncrypt, GenerateDataKey and DescribeKey on the key.
    from scriba.local.template import load_stack
    from tests.iam import Permission, Role

    root = Path(__file__).resolve().parents[3]
    role = Role.of_function(load_stack(root, {"KmsKeyArn": KEY_ARN}), "ExtractFunction")
    for action in (
        "kms:GenerateDataKey",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    ):
        assert role.allows(Permission(action, KEY_ARN)), action
    keyless = Role.of_function(load_stack(root), "ExtractFunction")
    assert not keyless.allows(Permission("kms:GenerateDataKey", KEY_ARN))
