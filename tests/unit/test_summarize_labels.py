from __future__ import annotations

from scriba.stages.summarize import describe_labels
from scriba.summary import SummaryMethod
from scriba.tags import Label, TaggedImage, Tags


def tags(labels: list[Label], people: bool = False, images: int = 1) -> Tags:
    pictures = [
        TaggedImage(
            index=i + 1, path=f"images/{i + 1:03d}.jpg", width=100, height=100, labels=labels
        )
        for i in range(images)
    ]
    return Tags(document_id="d", engine="test", images=pictures, labels=labels, people=people)


def test_names_the_most_specific_labels_not_their_parents() -> None:
    labels = [
        Label(name="Vehicle", confidence=93, categories=[]),
        Label(name="Aircraft", confidence=92, categories=["Vehicle"]),
        Label(name="Airplane Wing", confidence=91, categories=["Aircraft", "Vehicle"]),
    ]
    draft = describe_labels(tags(labels))
    assert draft.method is SummaryMethod.LABELS
    assert draft.text == "The document has no text; its picture shows airplane wing."


def test_people_are_mentioned_and_lists_read_naturally() -> None:
    labels = [Label(name="Mammal", confidence=80), Label(name="Tripod", confidence=75)]
    draft = describe_labels(tags(labels, people=True, images=2))
    assert draft.text == "The document has no text; its pictures show people, mammal and tripod."


def test_no_labels_no_summary() -> None:
    assert describe_labels(tags([])).method is SummaryMethod.NONE
