"""Billable units: what an engine reports it used, in the terms of the price table.

Each engine reports its own work as ``Billed`` items (service, item, quantity) built with the
functions here, so that the vocabulary of the price table lives in one place and nothing else
needs to know how a service bills: Textract by page and feature, Comprehend by units of 100
characters, Bedrock by thousands of tokens per model, Polly by character per voice engine. A local
engine reports what the AWS service would bill for the same work with the same settings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from scriba.models.base import Model
from scriba.models.summary import TokenUsage

PollyEngine = Literal["neural", "standard"]


class Billed(Model):
    """A quantity of one billable item of one service, in the price table's unit."""

    service: str = Field(description="textract, rekognition, bedrock, translate, polly, ...")
    item: str = Field(description="The price table's item, e.g. 'DetectDocumentText page'")
    quantity: float = Field(ge=0)


def textract_item(features: Sequence[str]) -> str:
    """The Textract price item for the configured features."""
    chosen = sorted({feature.upper() for feature in features} & {"TABLES", "FORMS"})
    if not chosen:
        return "DetectDocumentText page"
    return f"AnalyzeDocument {'+'.join(chosen)} page"


def textract_pages(features: Sequence[str], pages: int) -> Billed:
    return Billed(service="textract", item=textract_item(features), quantity=pages)


def comprehend_units(characters: int) -> int:
    """Comprehend bills units of 100 characters, at least 3 per request."""
    return max(3, math.ceil(characters / 100)) if characters else 0


def comprehend_request(characters: int) -> Billed:
    """One DetectDominantLanguage request on ``characters`` characters."""
    return Billed(
        service="comprehend",
        item="DetectDominantLanguage unit",
        quantity=comprehend_units(characters),
    )


def rekognition_images(images: int) -> Billed:
    return Billed(service="rekognition", item="DetectLabels image", quantity=images)


def bedrock_tokens(model: str, usage: TokenUsage) -> list[Billed]:
    """Input and output tokens of a model, priced per thousand."""
    return [
        Billed(service="bedrock", item=f"{model} input", quantity=usage.input_tokens / 1000),
        Billed(service="bedrock", item=f"{model} output", quantity=usage.output_tokens / 1000),
    ]


def translate_characters(characters: int) -> Billed:
    return Billed(service="translate", item="TranslateText character", quantity=characters)


def polly_characters(engine: PollyEngine, characters: int) -> Billed:
    return Billed(service="polly", item=f"{engine} character", quantity=characters)
