"""Tag: label the pictures of a document (the image input itself, or a PDF's embedded images).

Each picture is stored as sent to the labeler (``images/NNN.jpg``), so that people can see what a
label is about and the labeler's limits (format, bytes, pixels) are met once, here.
"""

from __future__ import annotations

import logging

from PIL import Image

from scriba import layout
from scriba.models.base import Model
from scriba.models.document import DocumentKind
from scriba.models.manifest import Artifact, ArtifactKind
from scriba.models.tags import TaggedImage, Tags
from scriba.stages import Context, names_the_document
from scriba.stages.extract import local_copy
from scriba.workflow import Document, TagResult

logger = logging.getLogger(__name__)

# Rekognition refuses pictures under 80 px a side; the local labeler gets the same pictures, so
# both executors tag the same ones.
MIN_LABEL_SIDE = 80


class TagRequest(Model):
    document: Document


class _Tagger:
    """Labels pictures one by one and keeps what it made."""

    def __init__(self, document: Document, ctx: Context) -> None:
        from scriba.media.images import for_labeling  # noqa: PLC0415  (Pillow: tag function only)

        self._encode = for_labeling
        self.document = document
        self.ctx = ctx
        self.tagged: list[TaggedImage] = []
        self.artifacts: list[Artifact] = []

    def tag(self, picture: Image.Image, page: int | None) -> None:
        settings = self.ctx.settings
        index = len(self.tagged) + 1
        labels = self.ctx.engines.labeler.label(
            picture, settings.min_label_confidence, settings.max_labels
        )
        data, media_type = self._encode(picture)
        relative = layout.image_path(index, media_type)
        size = self.ctx.storage.write_bytes(self.document.output.child(relative), data, media_type)
        self.artifacts.append(
            Artifact(
                kind=ArtifactKind.IMAGE,
                path=relative,
                media_type=media_type,
                size=size,
                details={"page": page, "width": picture.width, "height": picture.height},
            )
        )
        self.tagged.append(
            TaggedImage(
                index=index,
                page=page,
                path=relative,
                width=picture.width,
                height=picture.height,
                labels=labels.labels,
                faces=labels.faces,
                people=labels.people or labels.faces > 0,
            )
        )


@names_the_document
def tag(request: TagRequest, ctx: Context | None = None) -> TagResult:
    ctx = ctx or Context.current(request.document.name)
    document, settings = request.document, ctx.settings
    tagger = _Tagger(document, ctx)
    skipped = 0
    with local_copy(ctx, document.source, document.name) as (path, _):
        if document.kind is DocumentKind.PDF:
            from scriba.media import images, pdf  # noqa: PLC0415

            with pdf.pdf_document(path, document.name) as opened:
                found = images.embedded_images(opened, settings.max_images, MIN_LABEL_SIDE)
                for embedded in found:
                    tagger.tag(embedded.image, embedded.page)
                    embedded.image.close()
                skipped = found.skipped
        else:
            from scriba.media.images import load_image  # noqa: PLC0415

            with load_image(path, document.name, settings) as picture:
                if min(picture.size) < MIN_LABEL_SIDE:
                    skipped = 1
                else:
                    tagger.tag(picture, None)
    tags = Tags(
        document_id=document.id,
        engine=ctx.engines.labeler.name,
        images=tagger.tagged,
        labels=Tags.merge_labels(tagger.tagged),
        people=any(image.people for image in tagger.tagged),
        skipped_images=skipped,
    )
    size = ctx.storage.write_model(document.output.child(layout.TAGS), tags)
    logger.info("tagged %d pictures of %s (%d skipped)", len(tagger.tagged), document.name, skipped)
    warnings = []
    if not tagger.tagged:
        warnings.append("no pictures found to tag")
    if skipped:
        warnings.append(f"{skipped} pictures not tagged (too small, unreadable or over the limit)")
    return TagResult(
        artifacts=[
            Artifact(
                kind=ArtifactKind.TAGS,
                path=layout.TAGS,
                media_type="application/json",
                size=size,
                details={"images": len(tagger.tagged), "people": tags.people, "skipped": skipped},
            ),
            *tagger.artifacts,
        ],
        images=len(tagger.tagged),
        labels=[label.name for label in tags.labels[:10]],
        people=tags.people,
        warnings=warnings,
    )
