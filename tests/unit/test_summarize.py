from __future__ import annotations

from scriba.models.summary import SummaryMethod
from scriba.models.tables import Cell, DocumentTables, Table
from scriba.models.tags import Label, TaggedImage, Tags
from scriba.models.text import Box, DocumentText, Line, Page, PageSource, Word
from scriba.stages.summarize import (
    describe_labels,
    describe_tables,
    is_readable,
    readable_sentences,
)


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
    assert draft.sentences == [
        "No readable text was found in the document.",
        "In the picture: airplane wing.",
    ]


def test_people_are_mentioned_and_lists_read_naturally() -> None:
    labels = [Label(name="Mammal", confidence=80), Label(name="Tripod", confidence=75)]
    draft = describe_labels(tags(labels, people=True, images=2))
    assert draft.text.endswith(" In the pictures: people, mammal and tripod.")


def test_no_labels_no_summary() -> None:
    assert describe_labels(tags([])).method is SummaryMethod.NONE


# -- what is summarized: readable text, not OCR noise --------------------------------------

BOX = Box(left=0.1, top=0.1, width=0.5, height=0.05)


def line(text: str, confidence: float) -> Line:
    words = [Word(text=word, box=BOX, confidence=confidence) for word in text.split()]
    return Line(text=text, box=BOX, confidence=confidence, words=words)


def page(lines: list[Line], source: PageSource = PageSource.OCR) -> Page:
    return Page(number=1, width=720, height=477, unit="px", source=source, engine="t", lines=lines)


# What Tesseract read on a photo of a circuit board (tests of the corpus: verify.jpeg).
PHOTO_OF_A_BOARD = [
    line("S2fSdiscOvETY", 0.0),
    line("fea 2S [8 8", 21.5),
    line("mee TH Ee", 29.8),
    line("i ue", 60.6),
    line("‘eno", 61.0),
    line("pc", 66.7),
]


def test_low_confidence_lines_are_not_summarized() -> None:
    text = DocumentText(
        document_id="d",
        language="en",
        pages=[page([line("The pump is off.", 93.0), line("S2fSdiscOvETY fea", 12.0)])],
    )
    assert readable_sentences(text, 60.0) == ["The pump is off."]
    assert "S2fSdiscOvETY" in text.plain_text  # text.json keeps everything


def test_ocr_noise_on_a_photo_is_not_readable_text() -> None:
    text = DocumentText(document_id="d", language="en", pages=[page(PHOTO_OF_A_BOARD)])
    sentences = readable_sentences(text, 60.0)
    assert sentences  # some fragments pass the confidence bar ...
    assert not is_readable(text, sentences)  # ... but they are not words


def test_a_sign_with_real_words_is_readable() -> None:
    text = DocumentText(
        document_id="d", language="en", pages=[page([line("Emergency exit only", 88.0)])]
    )
    assert is_readable(text, readable_sentences(text, 60.0))


def test_a_short_text_layer_is_readable_text() -> None:
    text = DocumentText(
        document_id="d",
        language="en",
        pages=[page([line("Q3 2026", 100.0)], source=PageSource.TEXT_LAYER)],
    )
    assert is_readable(text, readable_sentences(text, 60.0))


# -- a document of tables without prose ----------------------------------------------------


def _table(index: int, page: int, rows: list[list[str]], **flags: bool) -> Table:
    cells = [
        Cell(row=r, column=c, text=text) for r, row in enumerate(rows) for c, text in enumerate(row)
    ]
    return Table(
        index=index,
        page=page,
        rows=len(rows),
        columns=len(rows[0]),
        cells=cells,
        engine="pdfium-rules",
        **flags,
    )


def test_tables_are_described_by_their_size_and_headings() -> None:
    header = ["Employer", "City", "Workers"]
    found = DocumentTables(
        document_id="d",
        tables=[
            _table(1, 1, [["Region", "Q1"], ["North", "1"]]),
            _table(2, 1, [header, ["A", "B", "1"], ["C", "D", "2"]], continues_on_next_page=True),
            _table(3, 2, [header, ["E", "F", "3"]], continued_from_previous_page=True),
        ],
    )
    draft = describe_tables(found)
    assert draft.method is SummaryMethod.TABLES
    assert draft.sentences == [
        "The document consists of columns of data on pages 1 to 2, in 2 parts.",
        "Part 1 (page 1) has 2 lines and 2 columns: Region and Q1.",
        # The header repeated on page 2 counts once.
        "Part 2 (pages 1 to 2) has 4 lines and 3 columns: Employer, City and Workers.",
    ]
    one = describe_tables(DocumentTables(document_id="d", tables=found.tables[:1]))
    assert one.sentences[1] == "It has 2 lines and 2 columns: Region and Q1."


# -- text.json read a page at a time -----------------------------------------------------------


def test_text_json_is_read_page_by_page_without_its_words(mocked_aws: None) -> None:
    import boto3

    from scriba.aws.clients import AwsClients
    from scriba.config import Settings
    from scriba.context import Context
    from scriba.models.document import S3Location
    from scriba.stages.summarize import read_text_lines

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="out")
    ctx = Context.of(Settings(output_bucket="out"), AwsClients(boto3.session.Session()))
    pages = [
        page([line(f"Seite {n} erklärt die Topologie.", 96.5)]).model_copy(
            update={"number": n, "language": "de" if n % 2 else "en"}
        )
        for n in range(1, 301)
    ]
    whole = DocumentText(document_id="d", language="de", pages=pages)
    location = S3Location(bucket="out", key="documents/d/text.json")
    ctx.storage.write_model(location, whole)

    read = read_text_lines(ctx, location)

    assert read.language == "de"
    assert [p.number for p in read.pages] == list(range(1, 301))
    assert [p.language for p in read.pages[:2]] == ["de", "en"]
    assert read.pages[9].lines[0].text == "Seite 10 erklärt die Topologie."
    assert read.pages[9].lines[0].confidence == 96.5
    assert all(not ln.words for p in read.pages for ln in p.lines)  # the words stay behind
    assert readable_sentences(read, 60.0) == readable_sentences(whole, 60.0)
