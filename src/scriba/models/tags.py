"""Labels of the pictures in a document."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scriba.models.base import Model

SCHEMA_VERSION: Literal["1"] = "1"


class Label(Model):
    name: str
    confidence: float = Field(ge=0, le=100)
    categories: list[str] = Field(default_factory=list, description="Parent labels, if known")


class TaggedImage(Model):
    index: int = Field(ge=1)
    page: int | None = Field(default=None, description="1-based page of a PDF; None for an image")
    path: str = Field(description="The image as sent to the labeler, relative to the document")
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    labels: list[Label]
    faces: int = Field(default=0, ge=0)
    people: bool = False


class Tags(Model):
    schema_version: Literal["1"] = SCHEMA_VERSION
    document_id: str
    engine: str
    images: list[TaggedImage]
    labels: list[Label] = Field(description="Every label once, with its highest confidence")
    people: bool = Field(description="Whether any image shows people or faces")
    skipped_images: int = Field(default=0, ge=0, description="Too small, too many or unreadable")

    @staticmethod
    def merge_labels(images: list[TaggedImage]) -> list[Label]:
        best: dict[str, Label] = {}
        for image in images:
            for label in image.labels:
                known = best.get(label.name)
                if known is None or label.confidence > known.confidence:
                    best[label.name] = label
        return sorted(best.values(), key=lambda label: (-label.confidence, label.name))
