"""Tag: label the pictures of a document (the image input itself, or a PDF's embedded images).

Each picture is stored as sent to the labeler (``images/NNN.jpg``), so that people can see what a
label is about and the labeler's limits (format, bytes, pixels) are met once, here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from scriba import layout
from scriba.document import Document, DocumentKind, Model
from scriba.manifest import Artifact, ArtifactKind
from scriba.stages import Context
from scriba.stages.extract import local_copy
from scriba.stages.results import TagResult
from scriba.tags import TaggedImage, Tags

logger = logging.getLogger(__name__)


class TagRequest(Model):
    document: Document


def _pictures(
    document: Document, path: Path, ctx: Context
) -> Iterator[tuple[int | None, Image.Image]]:
    if document.kind is DocumentKind.PDF:
        from scriba import images, pdf  # noqa: PLC0415

        with pdf.pdf_document(path, document.name) as opened:
            for found in images.embedded_images(opened, ctx.settings.max_images):
                yield found.page, found.image
    else:
        from scriba.images import load_image  # noqa: PLC0415

        yield None, load_image(path, document.name, ctx.settings)


def tag(request: TagRequest, ctx: Context | None = None) -> TagResult:
    from scriba.images import for_labeling  # noqa: PLC0415

    ctx = ctx or Context.current(request.document.name)
    document, settings = request.document, ctx.settings
    tagged: list[TaggedImage] = []
    artifacts: list[Artifact] = []
    with local_copy(ctx, document.source, document.name) as (path, _):
        for index, (page, picture) in enumerate(_pictures(document, path, ctx), start=1):
            labels = ctx.engines.labeler.label(
                picture, settings.min_label_confidence, settings.max_labels
            )
            data, media_type = for_labeling(picture)
            relative = layout.image_path(index, media_type)
            size = ctx.storage.write_bytes(document.output.child(relative), data, media_type)
            artifacts.append(
                Artifact(
                    kind=ArtifactKind.IMAGE,
                    path=relative,
                    media_type=media_type,
                    size=size,
                    details={"page": page, "width": picture.width, "height": picture.height},
                )
            )
            tagged.append(
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
            picture.close()
    tags = Tags(
        document_id=document.id,
        engine=ctx.engines.labeler.name,
        images=tagged,
        labels=Tags.merge_labels(tagged),
        people=any(image.people for image in tagged),
    )
    size = ctx.storage.write_model(document.output.child(layout.TAGS), tags)
    logger.info("tagged %d pictures of %s", len(tagged), document.name)
    warnings = [] if tagged else ["no pictures found to tag"]
    return TagResult(
        artifacts=[
            Artifact(
                kind=ArtifactKind.TAGS,
                path=layout.TAGS,
                media_type="application/json",
                size=size,
                details={"images": len(tagged), "people": tags.people},
            ),
            *artifacts,
        ],
        images=len(tagged),
        labels=[label.name for label in tags.labels[:10]],
        people=tags.people,
        warnings=warnings,
    )
