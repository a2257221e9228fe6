"""Each function checks its settings when it is loaded: a missing variable fails the cold start
with its name, not the first document."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

from scriba.config import Settings, StartSettings, SweepSettings, load_settings, require
from scriba.context import FunctionContext, forget_contexts
from scriba.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]


def load_function(name: str) -> ModuleType:
    """functions/<name>/app.py, imported afresh (as a cold start does)."""
    spec = importlib.util.spec_from_file_location(
        f"cold_{name}", ROOT / "functions" / name / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("SCRIBA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    forget_contexts()


@pytest.mark.usefixtures("bare_environment")
def test_the_starter_without_its_state_machine_fails_at_init_naming_it() -> None:
    with pytest.raises(ConfigurationError, match="SCRIBA_STATE_MACHINE_ARN is not set"):
        load_function("start")


@pytest.mark.usefixtures("bare_environment")
def test_the_sweeper_names_every_variable_it_lacks() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_function("sweep")
    assert "SCRIBA_INPUT_BUCKET is not set" in str(raised.value)
    assert "SCRIBA_START_QUEUE_URL is not set" in str(raised.value)


@pytest.mark.usefixtures("bare_environment")
def test_an_invalid_value_is_named_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBA_SUMMARY_SENTENCES", "none")
    with pytest.raises(ConfigurationError, match="SCRIBA_SUMMARY_SENTENCES"):
        FunctionContext(Settings)


@pytest.mark.usefixtures("bare_environment")
def test_with_its_variables_a_function_loads_and_reads_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:scriba-pipeline"
    monkeypatch.setenv("SCRIBA_STATE_MACHINE_ARN", arn)
    start = load_function("start")
    assert start.function.current().settings.state_machine_arn == arn
    assert load_settings(StartSettings).state_machine_arn == arn


def test_settings_of_another_class_are_checked_for_what_a_function_needs() -> None:
    base = Settings(input_bucket="in-bucket", start_queue_url="https://sqs/queue")
    assert require(base, SweepSettings).input_bucket == "in-bucket"
    with pytest.raises(ConfigurationError, match="SCRIBA_START_QUEUE_URL is not set"):
        require(Settings(input_bucket="in-bucket"), SweepSettings)
    # A configuration error is a value error: callers that catch those still do.
    assert issubclass(ConfigurationError, ValueError)


@pytest.mark.usefixtures("bare_environment")
def test_the_backfill_function_names_every_variable_it_lacks() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_function("backfill")
    assert "SCRIBA_INPUT_BUCKET is not set" in str(raised.value)
    assert "SCRIBA_START_QUEUE_URL is not set" in str(raised.value)
