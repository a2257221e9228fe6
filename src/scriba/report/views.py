"""The view models of the results pages, and reading a results folder into them.

A results folder is written by runs that may have failed, been interrupted or come from another
version, so everything here reads defensively: a missing or unreadable file becomes a
``Problem`` shown on the page, never an exception, and a path from a manifest is only followed
if it stays inside the document's folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pycountry
from pydantic import BaseModel, ValidationError

from scriba import layout
from scriba.models.manifest import Artifact, ArtifactKind, Failure, Manifest, Status
from scriba.models.summary import Summary
from scriba.models.tables import DocumentTables, FormField, Table
from scriba.models.tags import Label, TaggedImage, Tags
from scriba.models.text import DocumentText
from scriba.models.translation import Translation
from scriba.report.formatting import format_seconds, format_timestamp, format_usd

# The page of a folder. Defined here, not in site.py, because a document view knows its own
# page (``DocumentView.href``) and leaves the pages out of its raw files.
INDEX = "index.html"
UNREADABLE = "unreadable"  # status shown for a manifest.json that is not a valid manifest
# A page stays readable in a browser: beyond this much text, the rest is left to text.txt.
MAX_TEXT_CHARACTERS = 1_000_000
# A table on the page shows its first rows; the CSV has them all.
MAX_TABLE_ROWS = 12

_Loaded = TypeVar("_Loaded", bound=BaseModel)


@dataclass(frozen=True)
class Language:
    code: str
    name: str

    @staticmethod
    def of(code: str | None) -> Language | None:
        if not code:
            return None
        found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
        if found is None and len(code) == 3:
            found = pycountry.languages.get(alpha_3=code)
        return Language(code=code, name=found.name if found is not None else code)


@dataclass(frozen=True)
class Problem:
    """Something that went wrong or was left out, for people."""

    what: str
    stage: str | None = None
    reason: str | None = None
    message: str | None = None

    @staticmethod
    def of(what: str, failure: Failure) -> Problem:
        return Problem(
            what=what, stage=failure.stage.value, reason=failure.reason, message=failure.message
        )


@dataclass(frozen=True)
class TranslationView:
    language: Language
    status: str
    text: str | None = None
    route: list[Language] = field(default_factory=list)
    engine: str | None = None
    audio: str | None = None  # href, relative to the document page
    audio_seconds: float | None = None
    voice: str | None = None
    audio_engine: str | None = None
    audio_problem: str | None = None
    problem: Problem | None = None


@dataclass(frozen=True)
class Picture:
    index: int
    page: int | None
    src: str | None  # href, relative to the document page; None when the file is missing
    alt: str
    width: int
    height: int
    labels: list[Label]
    people: bool
    faces: int


@dataclass(frozen=True)
class TextPage:
    number: int
    text: str
    words: int


@dataclass(frozen=True)
class TableCell:
    text: str
    row_span: int = 1
    column_span: int = 1
    header: bool = False


@dataclass(frozen=True)
class TableView:
    """A table as the page shows it: where it is, its size, its first rows, its CSV."""

    index: int
    page: int
    rows: int
    columns: int
    engine: str
    csv: str | None
    preview: list[list[TableCell]]
    continues: bool = False
    continued: bool = False

    @property
    def more_rows(self) -> int:
        return max(self.rows - len(self.preview), 0)

    @staticmethod
    def of(table: Table, folder: Path) -> TableView:
        shown = min(table.rows, MAX_TABLE_ROWS)
        preview: list[list[TableCell]] = [[] for _ in range(shown)]
        for cell in sorted(table.cells, key=lambda c: (c.row, c.column)):
            if cell.row < shown:
                preview[cell.row].append(
                    TableCell(
                        text=cell.text,
                        row_span=min(cell.row_span, shown - cell.row),
                        column_span=cell.column_span,
                        header=cell.header,
                    )
                )
        csv = table.csv if table.csv and _inside(folder, table.csv) is not None else None
        return TableView(
            index=table.index,
            page=table.page,
            rows=table.rows,
            columns=table.columns,
            engine=table.engine,
            csv=_quote_path(csv) if csv else None,
            preview=preview,
            continues=table.continues_on_next_page,
            continued=table.continued_from_previous_page,
        )


@dataclass(frozen=True)
class FileLink:
    name: str
    href: str
    size: int


@dataclass
class DocumentView:
    """Everything one page shows of one document, read defensively from its results folder."""

    key: str
    folder: Path
    status: str
    manifest: Manifest | None = None
    unreadable: str | None = None
    pages: int | None = None
    language: Language | None = None
    languages: list[TranslationView] = field(default_factory=list)
    cost: str = "—"
    cost_note: str | None = None
    cost_usd: float | None = None
    seconds: float | None = None
    failure: Failure | None = None
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    summary: Summary | None = None
    tags: Tags | None = None
    pictures: list[Picture] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    text_pages: list[TextPage] = field(default_factory=list)
    text_truncated: bool = False
    tables: list[TableView] = field(default_factory=list)
    form_fields: list[FormField] = field(default_factory=list)
    table_notes: list[str] = field(default_factory=list)
    files: list[FileLink] = field(default_factory=list)

    @property
    def href(self) -> str:
        """The document page, relative to the index."""
        return f"{_quote_path(self.key)}/{INDEX}"

    @property
    def root(self) -> str:
        """The results folder, relative to the document page."""
        return "../" * len(self.key.split("/"))

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def parent(self) -> str:
        return self.key.rsplit("/", 1)[0] + "/" if "/" in self.key else ""

    @property
    def time(self) -> str:
        return format_seconds(self.seconds)

    @property
    def finished_at(self) -> str:
        if self.manifest is None:
            return "—"
        return format_timestamp(self.manifest.finished_at)


def find_documents(results: Path) -> list[str]:
    """The source keys of the documents in ``results``: every folder holding a manifest.json."""
    keys = []
    for manifest in results.rglob(layout.MANIFEST):
        relative = manifest.parent.relative_to(results)
        if manifest.is_file() and relative.parts and not _hidden(relative):
            keys.append(relative.as_posix())
    return sorted(keys)


def read_document(results: Path, key: str) -> DocumentView:
    """What the page of one document shows; never raises on missing or unreadable files."""
    folder = results / key
    try:
        manifest = Manifest.model_validate_json((folder / layout.MANIFEST).read_bytes())
    except (OSError, ValidationError) as error:
        return DocumentView(
            key=key,
            folder=folder,
            status=UNREADABLE,
            unreadable=_first_line(error),
            files=_files(folder),
        )
    document = DocumentView(
        key=key,
        folder=folder,
        status=manifest.status.value,
        manifest=manifest,
        pages=manifest.pages,
        language=Language.of(manifest.language),
        failure=manifest.failure,
        warnings=list(manifest.warnings),
        files=_files(folder),
    )
    if manifest.started_at is not None:
        document.seconds = max((manifest.finished_at - manifest.started_at).total_seconds(), 0.0)
    if manifest.cost is not None:
        document.cost_usd = manifest.cost.total_usd
        document.cost = format_usd(manifest.cost.total_usd)
        kind = "AWS estimate" if manifest.cost.estimated else "AWS"
        document.cost_note = f"{kind}, {manifest.cost.region} prices of {manifest.cost.prices}"
    for artifact in manifest.artifacts:
        if artifact.failure is not None and artifact.kind not in (
            ArtifactKind.TRANSLATION,
            ArtifactKind.AUDIO,
        ):
            document.problems.append(Problem.of(artifact.kind.value, artifact.failure))
    document.summary = _load(document, manifest, ArtifactKind.SUMMARY, layout.SUMMARY, Summary)
    document.tags = _load(document, manifest, ArtifactKind.TAGS, layout.TAGS, Tags)
    if document.tags is not None:
        document.pictures = [_picture(folder, image) for image in document.tags.images]
        document.labels = document.tags.labels
    document.languages = [
        _translation(document, manifest, code) for code in _target_languages(manifest)
    ]
    _read_text(document, manifest)
    found = _load(document, manifest, ArtifactKind.TABLES, layout.TABLES, DocumentTables)
    if found is not None:
        document.tables = [TableView.of(table, folder) for table in found.tables]
        document.form_fields = list(found.fields)
        document.table_notes = list(found.notes)
    return document


def _target_languages(manifest: Manifest) -> list[str]:
    codes = list(manifest.languages)
    for artifact in manifest.artifacts:
        per_language = artifact.kind in (ArtifactKind.TRANSLATION, ArtifactKind.AUDIO)
        if per_language and artifact.language and artifact.language not in codes:
            codes.append(artifact.language)
    return codes


def _load(
    document: DocumentView,
    manifest: Manifest,
    kind: ArtifactKind,
    default_path: str,
    model: type[_Loaded],
    language: str | None = None,
) -> _Loaded | None:
    """An artifact the manifest says was made, or None (and a problem if it cannot be read)."""
    artifact = _artifact(manifest, kind, language)
    if artifact is None or artifact.status is not Status.SUCCEEDED:
        return None
    relative = artifact.path or default_path
    path = _inside(document.folder, relative)
    if path is None:
        document.problems.append(Problem(what=kind.value, message=f"{relative} is missing"))
        return None
    try:
        return model.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as error:
        document.problems.append(
            Problem(what=kind.value, message=f"{relative} cannot be read: {_first_line(error)}")
        )
        return None


def _artifact(
    manifest: Manifest, kind: ArtifactKind, language: str | None = None
) -> Artifact | None:
    """The artifact of this kind; of this language for per-language kinds (translation, audio).

    ``Manifest.artifact`` matches the language exactly, but the text and summary artifacts carry
    the detected language, which the report does not know before reading them.
    """
    if language is not None:
        return manifest.artifact(kind, language)
    return next((item for item in manifest.artifacts if item.kind is kind), None)


def _translation(document: DocumentView, manifest: Manifest, code: str) -> TranslationView:
    """The translation into ``code`` and its narration, or why there is none."""
    language = Language.of(code) or Language(code=code, name=code)
    artifact = manifest.artifact(ArtifactKind.TRANSLATION, code)
    if artifact is None:
        return TranslationView(
            language=language,
            status="missing",
            problem=Problem(what="translation", message="no translation was recorded"),
        )
    if artifact.status is not Status.SUCCEEDED:
        return TranslationView(
            language=language, status=artifact.status.value, problem=_artifact_problem(artifact)
        )
    translation = _load(
        document,
        manifest,
        ArtifactKind.TRANSLATION,
        layout.translation_path(code),
        Translation,
        code,
    )
    if translation is None:
        return TranslationView(
            language=language,
            status="missing",
            problem=Problem(what="translation", message="the translation file cannot be read"),
        )
    view = TranslationView(
        language=language,
        status=artifact.status.value,
        text=translation.text,
        route=[Language.of(step) or Language(step, step) for step in translation.route],
        engine=translation.engine,
    )
    return _with_audio(view, document.folder, manifest.artifact(ArtifactKind.AUDIO, code), code)


def _with_audio(
    view: TranslationView, folder: Path, audio: Artifact | None, code: str
) -> TranslationView:
    """A read translation with its narration, or with why it has none (a missing file too)."""
    if audio is None:
        return replace(view, audio_problem="no narration was recorded")
    if audio.status is not Status.SUCCEEDED:
        return replace(view, audio_problem=_artifact_problem(audio).message)
    relative = audio.path or layout.audio_path(code)
    if _inside(folder, relative) is None:
        return replace(view, audio_problem=f"{relative} is missing")
    seconds = audio.details.get("duration_seconds")
    return replace(
        view,
        audio=_quote_path(relative),
        audio_seconds=float(seconds) if isinstance(seconds, int | float) else None,
        voice=_text_detail(audio, "voice"),
        audio_engine=_text_detail(audio, "engine"),
    )


def _artifact_problem(artifact: Artifact) -> Problem:
    if artifact.failure is not None:
        return Problem.of(artifact.kind.value, artifact.failure)
    why = artifact.details.get("why")
    return Problem(
        what=artifact.kind.value,
        message=str(why) if why else f"{artifact.kind.value} {artifact.status.value}",
    )


def _text_detail(artifact: Artifact, name: str) -> str | None:
    value = artifact.details.get(name)
    return value if isinstance(value, str) else None


def _picture(folder: Path, image: TaggedImage) -> Picture:
    labels = image.labels
    where = f" from page {image.page}" if image.page is not None else ""
    described = ", ".join(f"{label.name} ({label.confidence:.0f}%)" for label in labels)
    alt = f"Picture {image.index}{where}: {described or 'no label'}"
    src = _quote_path(image.path) if _inside(folder, image.path) is not None else None
    return Picture(
        index=image.index,
        page=image.page,
        src=src,
        alt=alt,
        width=image.width,
        height=image.height,
        labels=labels,
        people=image.people,
        faces=image.faces,
    )


def _read_text(document: DocumentView, manifest: Manifest) -> None:
    """The text page by page, from text.txt (pages split by form feeds), else from text.json."""
    plain = _artifact(manifest, ArtifactKind.PLAIN_TEXT)
    words: list[int] | None = None
    pages: list[str] | None = None
    path = _inside(document.folder, (plain.path if plain else None) or layout.PLAIN_TEXT)
    if path is not None:
        try:
            with path.open(encoding="utf-8", errors="replace") as file:
                content = file.read(MAX_TEXT_CHARACTERS + 1)
        except OSError as error:
            document.problems.append(Problem(what="text", message=_first_line(error)))
            return
        document.text_truncated = len(content) > MAX_TEXT_CHARACTERS
        pages = content[:MAX_TEXT_CHARACTERS].split("\f")
    else:
        text = _load(document, manifest, ArtifactKind.TEXT, layout.TEXT, DocumentText)
        if text is None:
            return
        pages = [page.text for page in text.pages]
        words = [page.word_count for page in text.pages]
    if pages == [""]:
        pages = []
    document.text_pages = [
        TextPage(
            number=number,
            text=content,
            words=words[number - 1] if words is not None else len(content.split()),
        )
        for number, content in enumerate(pages, start=1)
    ]


def _files(folder: Path) -> list[FileLink]:
    """The raw results, for people who want the JSON: every file but the pages themselves."""
    links = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if (
            not path.is_file()
            or _hidden(relative)
            or path.name == INDEX
            # A nested document's files belong to its own page.
            or any(
                (folder / parent / layout.MANIFEST).is_file()
                for parent in relative.parents
                if parent != Path()
            )
        ):
            continue
        links.append(
            FileLink(
                name=relative.as_posix(),
                href=_quote_path(relative.as_posix()),
                size=path.stat().st_size,
            )
        )
    return links


def _inside(folder: Path, relative: str) -> Path | None:
    """The file at ``relative`` in ``folder``, if it exists and the path stays inside."""
    if layout.safe_key(relative) != relative:
        return None
    path = folder / relative
    return path if path.is_file() else None


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _quote_path(relative: str) -> str:
    """A relative URL for a relative path: every segment percent-encoded (spaces, #, ?, %)."""
    return "/".join(quote(part, safe="") for part in relative.split("/"))


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
