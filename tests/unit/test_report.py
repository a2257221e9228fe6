"""The results pages, built from hand-made results folders: what a reader sees, and that it is safe.

Pages are parsed (not searched as strings) so that a test checks what a browser would show:
text content, attributes, and links that must resolve to files in the folder.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner
from PIL import Image

from scriba import cli
from scriba.models.document import DocumentKind, Source
from scriba.models.manifest import (
    Artifact,
    ArtifactKind,
    Cost,
    CostLine,
    Failure,
    Manifest,
    Stage,
    Status,
)
from scriba.models.summary import Summary, SummaryMethod
from scriba.models.tags import Label, TaggedImage, Tags
from scriba.models.translation import Translation
from scriba.report import (
    INDEX,
    ReportError,
    format_bytes,
    format_seconds,
    format_usd,
    write_report,
)

FINISHED = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


# -- a small DOM, from the standard library's parser ---------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def words(self) -> str:
        return " ".join(self.text.split())

    def iter(self) -> list[Element]:
        found = [self]
        for child in self.children:
            if isinstance(child, Element):
                found.extend(child.iter())
        return found

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        return [
            element
            for element in self.iter()
            if element.tag == tag
            and all(element.attrs.get(name.rstrip("_")) == value for name, value in attrs.items())
        ]

    def find(self, tag: str, **attrs: str) -> Element:
        (element,) = self.find_all(tag, **attrs)
        return element

    def section(self, heading: str) -> Element:
        """The <section> whose <h2> reads ``heading``."""
        for section in self.find_all("section"):
            titles = [h2.words for h2 in section.find_all("h2")]
            if heading in titles:
                return section
        raise AssertionError(f"no section {heading!r}")


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(path: Path) -> Element:
    builder = _TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    builder.close()
    return builder.root


# -- hand-made results -----------------------------------------------------------------------


def manifest(key: str, status: Status, **fields: object) -> Manifest:
    values: dict[str, object] = {
        "document_id": "d" * 24,
        "name": key,
        "source": Source(bucket="scriba-input", key=key, version_id="v1"),
        "output": f"s3://scriba-output/documents/{key}/",
        "status": status,
        "engines": "local",
        "started_at": FINISHED - timedelta(seconds=95),
        "finished_at": FINISHED,
    }
    values.update(fields)
    return Manifest.model_validate(values)


def write(folder: Path, relative: str, content: str | bytes) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)


def jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def succeeded_document(results: Path, key: str = "report.pdf") -> Path:
    """An English PDF of two pages, one picture, translated to Spanish and French."""
    folder = results / key
    write(folder, "text.txt", "Quarterly report\nSales rose.\fPage two says hello.")
    write(folder, "images/001.jpg", jpeg(64, 48))
    tags = Tags(
        document_id="d" * 24,
        engine="efficientnet-lite0+opencv",
        images=[
            TaggedImage(
                index=1,
                page=2,
                path="images/001.jpg",
                width=64,
                height=48,
                labels=[
                    Label(name="tabby cat", confidence=91.4),
                    Label(name="sofa", confidence=55),
                ],
                faces=1,
                people=True,
            )
        ],
        labels=[Label(name="tabby cat", confidence=91.4), Label(name="sofa", confidence=55)],
        people=True,
    )
    write(folder, "tags.json", tags.model_dump_json())
    summary = Summary(
        document_id="d" * 24,
        language="en",
        method=SummaryMethod.EXTRACTIVE,
        engine="lexrank",
        text="Sales rose in the quarter.",
        sentences=["Sales rose in the quarter."],
        source_sentences=3,
    )
    write(folder, "summary.json", summary.model_dump_json())
    texts = {"es": "Las ventas subieron en el trimestre.", "fr": "Les ventes ont augmenté."}
    artifacts = [
        Artifact(kind=ArtifactKind.TEXT, path="text.json", language="en"),
        Artifact(kind=ArtifactKind.PLAIN_TEXT, path="text.txt", language="en"),
        Artifact(kind=ArtifactKind.TAGS, path="tags.json"),
        Artifact(kind=ArtifactKind.IMAGE, path="images/001.jpg"),
        Artifact(kind=ArtifactKind.SUMMARY, path="summary.json", language="en"),
    ]
    for language, text in texts.items():
        translation = Translation(
            document_id="d" * 24,
            source_language="en",
            target_language=language,
            engine="apertium",
            route=["en", "ca", language] if language == "fr" else ["en", language],
            text=text,
            requests=1,
            characters=26,
        )
        write(folder, f"translations/{language}.json", translation.model_dump_json())
        write(folder, f"audio/{language}.mp3", b"ID3 not really audio")
        artifacts += [
            Artifact(
                kind=ArtifactKind.TRANSLATION,
                path=f"translations/{language}.json",
                language=language,
            ),
            Artifact(
                kind=ArtifactKind.AUDIO,
                path=f"audio/{language}.mp3",
                language=language,
                details={"voice": f"{language}-voice", "engine": "piper", "duration_seconds": 3.5},
            ),
        ]
    cost = Cost(
        region="us-east-1",
        prices="2026-01-01",
        estimated=True,
        lines=[
            CostLine(
                stage=Stage.EXTRACT,
                service="textract",
                item="DetectDocumentText page",
                quantity=2,
                unit="page",
                unit_price_usd=0.0015,
                usd=0.003,
            )
        ],
        total_usd=0.003,
    )
    write(
        folder,
        "manifest.json",
        manifest(
            key,
            Status.SUCCEEDED,
            kind=DocumentKind.PDF,
            size=52_000,
            pages=2,
            language="en",
            languages=["es", "fr"],
            artifacts=artifacts,
            cost=cost,
        ).model_dump_json(),
    )
    return folder


def failed_at_inspect(results: Path, key: str = "secret.pdf") -> Path:
    folder = results / key
    failure = Failure(
        stage=Stage.INSPECT,
        reason="encrypted_document",
        message=f"{key}: the PDF is password-protected or encrypted",
        error_type="EncryptedDocument",
    )
    write(folder, "manifest.json", manifest(key, Status.FAILED, failure=failure).model_dump_json())
    return folder


def partial_document(results: Path, key: str = "arabic.pdf") -> Path:
    """Text and summary, but no language pair: both translations failed, narration skipped."""
    folder = results / key
    write(folder, "text.txt", "مرحبا بالعالم")
    artifacts = [Artifact(kind=ArtifactKind.PLAIN_TEXT, path="text.txt", language="ar")]
    for language in ("es", "fr"):
        artifacts += [
            Artifact(
                kind=ArtifactKind.TRANSLATION,
                path=None,
                status=Status.FAILED,
                language=language,
                failure=Failure(
                    stage=Stage.TRANSLATE,
                    reason="unsupported_language_pair",
                    message="Apertium cannot translate from Arabic (ar)",
                ),
            ),
            Artifact(
                kind=ArtifactKind.AUDIO,
                path=None,
                status=Status.SKIPPED,
                language=language,
                details={"why": "the translation failed"},
            ),
        ]
    write(
        folder,
        "manifest.json",
        manifest(
            key,
            Status.PARTIAL,
            pages=1,
            language="ar",
            languages=["es", "fr"],
            artifacts=artifacts,
            warnings=["no pictures found to tag"],
        ).model_dump_json(),
    )
    return folder


def row_of(index: Element, key: str) -> Element:
    for row in index.find("tbody").find_all("tr"):
        if row.find_all("a") and row.find("a").words.replace(" ", "") == key:
            return row
    raise AssertionError(f"no row for {key}")


def cells(row: Element) -> list[str]:
    return [cell.words for cell in row.find_all("td")]


# -- tests -------------------------------------------------------------------------------------


def test_the_index_lists_every_document_with_its_status(tmp_path: Path) -> None:
    succeeded_document(tmp_path)
    partial_document(tmp_path)
    failed_at_inspect(tmp_path)

    index = write_report(tmp_path)

    assert index == tmp_path / INDEX
    page = parse(index)
    rows = page.find("tbody").find_all("tr")
    assert [row.find("a").words for row in rows] == ["arabic.pdf", "report.pdf", "secret.pdf"]
    report, secret = row_of(page, "report.pdf"), row_of(page, "secret.pdf")
    # Document, status, pages, language, translations, cost, time
    assert cells(report)[1:] == ["succeeded", "2", "en", "es fr", "$0.0030", "1 min 35 s"]
    assert cells(row_of(page, "arabic.pdf"))[1:4] == ["partial", "1", "ar"]
    assert cells(secret)[1:] == ["failed", "—", "—", "—", "—", "1 min 35 s"]
    assert "the PDF is password-protected" in cells(secret)[0]
    assert report.find("a").attrs["href"] == "report.pdf/index.html"
    totals = page.find("div", class_="totals").words
    assert "3 documents" in totals
    assert "1 succeeded" in totals and "1 partial" in totals and "1 failed" in totals


def test_a_document_page_shows_what_came_out(tmp_path: Path) -> None:
    folder = succeeded_document(tmp_path)
    write_report(tmp_path)
    page = parse(folder / INDEX)

    assert page.find("h1").words == "report.pdf succeeded"
    facts = {div.find("dt").words: div.find("dd").words for div in page.find("dl").find_all("div")}
    assert facts["Pages"] == "2"
    assert facts["Language"] == "English (en)"
    assert facts["Translated to"] == "Spanish, French"
    assert facts["Cost"] == "$0.0030 AWS estimate, us-east-1 prices of 2026-01-01"
    assert facts["Time"] == "1 min 35 s"

    summary = page.section("Summary").find("p", class_="summary")
    assert summary.words == "Sales rose in the quarter."
    assert summary.attrs["lang"] == "en"

    translations = page.section("Translations and narration")
    spanish = translations.find("p", lang="es")
    french = translations.find("p", lang="fr")
    assert spanish.words == "Las ventas subieron en el trimestre."
    assert french.words == "Les ventes ont augmenté."
    audio = translations.find_all("audio")
    assert [element.attrs["src"] for element in audio] == ["audio/es.mp3", "audio/fr.mp3"]
    assert all("controls" in element.attrs for element in audio)
    assert audio[1].attrs["aria-label"] == "Narration in French"
    assert "via Catalan" in translations.words

    pictures = page.section("Pictures and tags")
    image = pictures.find("img")
    assert image.attrs["src"] == "images/001.jpg"
    assert image.attrs["alt"] == "Picture 1 from page 2: tabby cat (91%), sofa (55%)"
    caption = pictures.find("figcaption").words
    assert "tabby cat 91%" in caption and "sofa 55%" in caption and "1 face" in caption
    assert "people: yes" in pictures.words

    pages = page.section("Text").find_all("details")
    assert [details.find("summary").words for details in pages] == [
        "Page 1 4 words",
        "Page 2 4 words",
    ]
    assert pages[0].find("p").text == "Quarterly report\nSales rose."
    assert pages[0].find("p").attrs["lang"] == "en"
    assert "open" in pages[0].attrs and "open" not in pages[1].attrs

    files = [a.attrs["href"] for a in page.section("Files").find_all("a")]
    assert "manifest.json" in files and "translations/fr.json" in files
    assert INDEX not in files
    back = page.find("nav").find("a")
    assert back.attrs["href"] == "../index.html"


def test_a_partial_document_says_why_each_language_is_missing(tmp_path: Path) -> None:
    folder = partial_document(tmp_path)
    write_report(tmp_path)
    page = parse(folder / INDEX)

    assert page.find("h1").words == "arabic.pdf partial"
    assert "no pictures found to tag" in page.section("Warnings").words
    translations = page.section("Translations and narration")
    cards = translations.find_all("article")
    assert len(cards) == 2
    for card in cards:
        assert "failed" in card.find("header").words
        assert "Apertium cannot translate from Arabic (ar)" in card.words
        assert "unsupported_language_pair" in card.words
    assert translations.find_all("audio") == []
    text = page.section("Text").find("p", class_="text")
    assert text.attrs["lang"] == "ar" and text.attrs["dir"] == "auto"
    assert page.find_all("section", class_="alert") == []  # partial is not a failure


def test_a_document_that_failed_before_anything_was_known(tmp_path: Path) -> None:
    folder = failed_at_inspect(tmp_path)
    write_report(tmp_path)
    page = parse(folder / INDEX)

    assert page.find("h1").words == "secret.pdf failed"
    failure = page.section("Failed at the inspect stage")
    assert "secret.pdf: the PDF is password-protected or encrypted" in failure.words
    assert "encrypted_document" in failure.words and "EncryptedDocument" in failure.words
    facts = {div.find("dt").words: div.find("dd").words for div in page.find("dl").find_all("div")}
    assert facts["Pages"] == "—" and facts["Language"] == "—" and facts["Cost"] == "—"
    headings = [h2.words for h2 in page.find_all("h2")]
    assert "Summary" not in headings and "Text" not in headings


def test_nested_keys_get_their_own_pages_with_relative_links(tmp_path: Path) -> None:
    succeeded_document(tmp_path, "team-a/q1/report.pdf")
    failed_at_inspect(tmp_path, "team-b/secret file #2.pdf")
    write_report(tmp_path)

    index = parse(tmp_path / INDEX)
    hrefs = [a.attrs["href"] for a in index.find("tbody").find_all("a")]
    assert hrefs == [
        "team-a/q1/report.pdf/index.html",
        "team-b/secret%20file%20%232.pdf/index.html",
    ]
    nested = parse(tmp_path / "team-a/q1/report.pdf" / INDEX)
    assert nested.find("nav").find("a").attrs["href"] == "../../../index.html"
    assert "team-a/q1/" in nested.find("nav").words
    assert (tmp_path / "team-b/secret file #2.pdf" / INDEX).is_file()


def test_every_link_is_relative_and_resolves_to_a_file_in_the_folder(tmp_path: Path) -> None:
    folder = succeeded_document(tmp_path, "team-a/report 1.pdf")
    write(folder, "text.txt", "Prices: see https://example.com/prices and http://example.org.")
    partial_document(tmp_path)
    failed_at_inspect(tmp_path)
    write_report(tmp_path)

    pages = sorted(tmp_path.rglob(INDEX))
    assert len(pages) == 4
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert str(tmp_path) not in html, page
        for element in parse(page).iter():
            for name in ("href", "src", "action", "poster", "srcset"):
                if name not in element.attrs:
                    continue
                link = element.attrs[name]
                parts = urlsplit(link)
                assert not parts.scheme and not parts.netloc, (page, link)
                assert not link.startswith("/"), (page, link)
                target = (page.parent / unquote(parts.path)).resolve()
                assert target.is_file(), (page, link)
                assert target.is_relative_to(tmp_path.resolve()), (page, link)
        # A URL appears only where the document's own text has one, as text.
        in_text = sum(
            text.count("http://") + text.count("https://")
            for element in parse(page).iter()
            for text in element.children
            if isinstance(text, str)
        )
        assert html.count("http://") + html.count("https://") == in_text, page
        # Nothing is fetched from elsewhere: no stylesheet, script or font from a URL.
        assert not re.search(r"<(link|script)\b", html), page
        assert not re.search(r"@import|url\(", html), page


def test_untrusted_text_is_escaped_everywhere(tmp_path: Path) -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    key = "evil <b>.pdf"
    folder = succeeded_document(tmp_path, key)
    write(folder, "text.txt", f"Before {attack} after")
    summary = json.loads((folder / "summary.json").read_text())
    summary["text"] = f"Summary {attack}"
    write(folder, "summary.json", json.dumps(summary))
    tags = json.loads((folder / "tags.json").read_text())
    tags["images"][0]["labels"][0]["name"] = attack
    tags["labels"][0]["name"] = attack
    write(folder, "tags.json", json.dumps(tags))
    translation = json.loads((folder / "translations/es.json").read_text())
    translation["text"] = f'Traducción {attack} "citada"'
    write(folder, "translations/es.json", json.dumps(translation))
    data = json.loads((folder / "manifest.json").read_text())
    data["warnings"] = [attack]
    write(folder, "manifest.json", json.dumps(data))

    write_report(tmp_path)

    for page in (tmp_path / INDEX, folder / INDEX):
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html and "<b>" not in html
        tree = parse(page)
        assert tree.find_all("script") == [] and tree.find_all("b") == []
        assert not any("onerror" in element.attrs for element in tree.iter())
        # Only the page's own pictures, never the one smuggled in the text.
        assert all(img.attrs["src"] != "x" for img in tree.find_all("img"))
    document = parse(folder / INDEX)
    # The text is shown as text, exactly as it came out of the document.
    assert document.section("Text").find("p", class_="text").text == f"Before {attack} after"
    assert document.section("Summary").find("p", class_="summary").text == f"Summary {attack}"
    assert document.find("p", lang="es").text == f'Traducción {attack} "citada"'
    assert attack in document.section("Warnings").text
    assert document.find("img").attrs["alt"].startswith(f"Picture 1 from page 2: {attack}")
    assert document.find("h1").words == "evil <b>.pdf succeeded"


def test_missing_and_unreadable_files_are_reported_not_fatal(tmp_path: Path) -> None:
    folder = succeeded_document(tmp_path)
    (folder / "summary.json").unlink()
    (folder / "images/001.jpg").unlink()
    (folder / "audio/fr.mp3").unlink()
    write(folder, "tags.json", "{not json")
    # A manifest.json that is not a scriba manifest, and an empty document.
    write(tmp_path, "other/manifest.json", '{"name": "something else"}')
    empty = tmp_path / "empty.pdf"
    write(empty, "text.txt", "")
    write(
        empty,
        "manifest.json",
        manifest(
            "empty.pdf",
            Status.SUCCEEDED,
            pages=0,
            artifacts=[Artifact(kind=ArtifactKind.PLAIN_TEXT, path="text.txt")],
        ).model_dump_json(),
    )
    # A document whose tags point outside its folder.
    escaping = succeeded_document(tmp_path, "escaping.pdf")
    tags = json.loads((escaping / "tags.json").read_text())
    tags["images"][0]["path"] = "../report.pdf/images/001.jpg"
    write(escaping, "tags.json", json.dumps(tags))

    write_report(tmp_path)

    page = parse(folder / INDEX)
    warnings = page.section("Warnings").words
    assert "summary.json is missing" in warnings
    assert "tags.json cannot be read" in warnings
    headings = [h2.words for h2 in page.find_all("h2")]
    assert "Summary" not in headings and "Pictures and tags" not in headings
    french = page.find("article", **{"aria-labelledby": "translation-fr"})
    assert french.find_all("audio") == []
    assert "audio/fr.mp3 is missing" in french.words
    assert page.find("p", lang="fr").words == "Les ventes ont augmenté."

    index = parse(tmp_path / INDEX)
    other = row_of(index, "other")
    assert cells(other)[1] == "unreadable"
    other_page = parse(tmp_path / "other" / INDEX)
    assert "The manifest cannot be read" in [h2.words for h2 in other_page.find_all("h2")]
    assert cells(row_of(index, "empty.pdf"))[1:3] == ["succeeded", "0"]
    assert "Text" not in [h2.words for h2 in parse(empty / INDEX).find_all("h2")]
    escaped = parse(escaping / INDEX).section("Pictures and tags")
    assert escaped.find_all("img") == []
    assert "file missing" in escaped.words


def test_a_long_document_keeps_a_page_per_page_and_a_bounded_size(tmp_path: Path) -> None:
    folder = tmp_path / "book.pdf"
    pages = [f"Seite {number}\n" + "Topologie ist schön. " * 300 for number in range(1, 118)]
    write(folder, "text.txt", "\f".join(pages))
    write(
        folder,
        "manifest.json",
        manifest(
            "book.pdf",
            Status.SUCCEEDED,
            pages=117,
            language="de",
            artifacts=[Artifact(kind=ArtifactKind.PLAIN_TEXT, path="text.txt", language="de")],
        ).model_dump_json(),
    )
    write_report(tmp_path)
    page = parse(folder / INDEX)
    details = page.section("Text").find_all("details")
    assert len(details) == 117
    assert details[116].find("summary").words == "Page 117 902 words"
    size = (folder / INDEX).stat().st_size
    assert size < 1.2 * (folder / "text.txt").stat().st_size + 50_000


def test_an_empty_folder_gets_an_index(tmp_path: Path) -> None:
    index = write_report(tmp_path / "nothing-yet")
    assert "No results in this folder yet" in parse(index).words


def test_a_document_named_index_html_is_a_clear_error(tmp_path: Path) -> None:
    failed_at_inspect(tmp_path, INDEX)
    with pytest.raises(ReportError, match=r"index\.html is a folder"):
        write_report(tmp_path)


def test_writing_again_replaces_the_pages(tmp_path: Path) -> None:
    folder = partial_document(tmp_path)
    write_report(tmp_path)
    succeeded_document(tmp_path, "arabic.pdf")  # the same document, processed again
    write_report(tmp_path)
    assert parse(folder / INDEX).find("h1").words == "arabic.pdf succeeded"
    assert cells(row_of(parse(tmp_path / INDEX), "arabic.pdf"))[1] == "succeeded"
    assert not list(tmp_path.rglob(".*.partial"))


def test_scriba_report_prints_the_index(tmp_path: Path) -> None:
    succeeded_document(tmp_path)
    result = CliRunner().invoke(cli.main, ["report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(tmp_path / INDEX)
    assert (tmp_path / "report.pdf" / INDEX).is_file()


def test_scriba_report_needs_a_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


@pytest.mark.parametrize("as_json", [False, True])
def test_scriba_run_ends_with_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    """The run command writes the pages after the last document and says where they are."""
    import scriba.local.run as local_run

    def run_documents(paths, out, *arguments, **options):
        succeeded_document(out, paths[0].name)
        return [local_run.DocumentRun(path=paths[0], key=paths[0].name, status=Status.SUCCEEDED)]

    monkeypatch.setattr(local_run, "run_documents", run_documents)
    source = tmp_path / "report.pdf"
    source.write_bytes(b"%PDF-1.7")
    out = tmp_path / "out"
    arguments = ["run", str(source), "--out", str(out)] + (["--json"] if as_json else [])
    result = CliRunner().invoke(cli.main, arguments)
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    if as_json:
        assert json.loads(last) == {"event": "report", "path": str(out / INDEX)}
    else:
        assert last == f"report: {out / INDEX}"
    assert (out / "report.pdf" / INDEX).is_file()


def test_figures_for_people() -> None:
    assert format_seconds(None) == "—"
    assert format_seconds(9.74) == "9.7 s"
    assert format_seconds(125) == "2 min 05 s"
    assert format_seconds(3 * 3600 + 120) == "3 h 02 min"
    assert format_bytes(999) == "999 bytes"
    assert format_bytes(74_061) == "74.1 KB"
    assert format_bytes(1_793_479) == "1.79 MB"
    assert format_usd(0) == "$0.00"
    assert format_usd(0.01834) == "$0.0183"
    assert format_usd(1234.5) == "$1,234.50"
