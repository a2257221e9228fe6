"""Tag: label the pictures of a document (the image input itself, or a PDF's embedded images).

Each picture is encoded once, within the labeling service's limits (format, bytes, pixels), and
stored as sent (``images/NNN.jpg``), so that people can see what a label is about.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PIL import Image

from scriba import layout
from scriba.context import Context
from scriba.models.document import DocumentKind
from scriba.models.manifest import Artifact, ArtifactKind
from scriba.models.tags import TaggedImage, Tags
from scriba.stages import names_the_document
from scriba.workflow import Document, DocumentRequest, TagResult

logger = logging.getLogger(__name__)

# Rekognition refuses pictures under 80 px a side; the local labeler gets the same pictures, so
# both executors tag the same ones.
MIN_LABEL_SIDE = 80


class TagRequest(DocumentRequest):
    """Label the pictures of the document."""


class _Tagger:
    """Labels pictures one by one and keeps what it made."""

    def __init__(self, document: Document, ctx: Context[Any]) -> None:
        self.document = document
        self.ctx = ctx
        self.tagged: list[TaggedImage] = []
        self.artifacts: list[Artifact] = []
        self.skipped = 0

    def tag(self, image: Image.Image, page: int | None) -> None:
        from scriba.media.labeling import Picture  # noqa: PLC0415  (Pillow: tag function only)

        settings = self.ctx.settings
        index = len(self.tagged) + 1
        picture = Picture.of(image)
        labels = self.ctx.engines.labeler.label(
            picture, settings.min_label_confidence, settings.max_labels
        )
        relative = layout.image_path(index, picture.media_type)
        self.artifacts.append(
            self.ctx.storage.put_artifact(
                self.document.output,
                relative,
                ArtifactKind.IMAGE,
                picture.data,
                media_type=picture.media_type,
                details={"page": page, "width": image.width, "height": image.height},
            )
        )
        self.tagged.append(
            TaggedImage(
                index=index,
                page=page,
                path=relative,
                width=image.width,
                height=image.height,
                labels=labels.labels,
                faces=labels.faces,
                people=labels.people or labels.faces > 0,
            )
        )

    def tag_pdf(self, path: Path) -> None:
        from scriba.media import pdf, pdf_pictures  # noqa: PLC0415

        with pdf.pdf_document(path, self.document.name) as opened:
            found = pdf_pictures.embedded_images(
                opened, self.ctx.settings.max_images, MIN_LABEL_SIDE
            )
            for embedded in found:
                self.tag(embedded.image, embedded.page)
                embedded.image.close()
            self.skipped += found.skipped

    def tag_image(self, path: Path) -> None:
        from scriba.media.image_input import load_image  # noqa: PLC0415

        with load_image(path, self.document.name, self.ctx.settings) as picture:
            if min(picture.size) < MIN_LABEL_SIDE:
                self.skipped += 1
            else:
                self.tag(picture, None)


def _warnings(tagged: int, skipped: int) -> list[str]:
    warnings = []
    if not tagged:
        warnings.append("no pictures found to tag")
    if skipped:
        warnings.append(f"{skipped} pictures not tagged (too small, unreadable or over the limit)")
    return warnings


@names_the_document
def tag(request: TagRequest, ctx: Context[Any]) -> TagResult:
    document = request.document
    tagger = _Tagger(document, ctx)
    with ctx.storage.local_copy(document.source) as (path, _):
        if document.kind is DocumentKind.PDF:
            tagger.tag_pdf(path)
        else:
            tagger.tag_image(path)
    tags = Tags(
        document_id=document.id,
        engine=ctx.engines.labeler.name,
        images=tagger.tagged,
        labels=Tags.merge_labels(tagger.tagged),
        people=any(image.people for image in tagger.tagged),
        skipped_images=tagger.skipped,
    )
    tags_artifact = ctx.storage.put_artifact(
        document.output,
        layout.TAGS,
        ArtifactKind.TAGS,
        tags,
        details={"images": len(tagger.tagged), "people": tags.people, "skipped": tagger.skipped},
    )
    logger.info("tagged %d pictures (%d skipped)", len(tagger.tagged), tagger.skipped)
    return TagResult(
        artifacts=[tags_artifact, *tagger.artifacts],
        images=len(tagger.tagged),
        labels=[label.name for label in tags.labels[:10]],
        people=tags.people,
        warnings=_warnings(len(tagger.tagged), tagger.skipped),
        billed=[ctx.engines.labeler.billed(len(tagger.tagged))],
    )
