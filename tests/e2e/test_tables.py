"""Tables through the whole local stack: a born-digital document with a table on each of two
pages (the first running over the page break) and prose around them gives ``tables.json``
(valid against its published schema), one CSV per table with the generating data in it, both
listed in the manifest, and the words of every cell still in ``text.txt``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from scriba.local.cloud import LocalCloud
from scriba.local.run import DocumentRun, run_documents
from scriba.models.manifest import ArtifactKind, Status
from scriba.models.summary import Summary, SummaryMethod
from scriba.models.tables import DocumentTables
from tests.tablemakers import Grid, table_pdf
from tests.unit.test_tables import BUDGET, PEOPLE

pytestmark = [pytest.mark.local_engines]

ROOT = Path(__file__).resolve().parents[2]
FIRST = Grid(cells=PEOPLE.cells, top=792 - 72 - 5 * 18)  # ends near the bottom margin
SECOND = Grid(cells=[["Grace Hopper", "1906", "Computing", "USA"]] * 3, top=60)
PROSE = [
    [(90, ["Scientists, by year of birth, and what the year cost us."]), (770, ["Page 1"])],
    [(400, ["The budget of the year follows."]), (770, ["Page 2"])],
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentRun]:
    inbox = tmp_path_factory.mktemp("inbox")
    (inbox / "register.pdf").write_bytes(
        table_pdf(
            [[FIRST], [SECOND, Grid(cells=BUDGET.cells, merges=BUDGET.merges, top=440)]], text=PROSE
        )
    )
    # A register with no prose at all: its summary describes its tables.
    (inbox / "people.pdf").write_bytes(table_pdf([[PEOPLE]]))
    out = tmp_path_factory.mktemp("out")
    with LocalCloud(workers=2, parameters={"TargetLanguages": "es"}) as cloud:
        results = {run.key: run for run in run_documents([inbox], out, cloud=cloud)}
    RUNS.update(results)
    yield results["register.pdf"]


RUNS: dict[str, DocumentRun] = {}


def _tables(run: DocumentRun) -> DocumentTables:
    assert run.output is not None
    return DocumentTables.model_validate_json((run.output / "tables.json").read_bytes())


def test_the_tables_json_is_published_valid_and_listed(run: DocumentRun) -> None:
    assert run.status is Status.SUCCEEDED and run.manifest is not None and run.output is not None
    schema = json.loads((ROOT / "schemas" / "tables.schema.json").read_text())
    jsonschema.validate(json.loads((run.output / "tables.json").read_bytes()), schema)
    listed = run.manifest.artifact(ArtifactKind.TABLES)
    assert listed is not None and listed.details["tables"] == 3
    csvs = [a for a in run.manifest.artifacts if a.kind is ArtifactKind.TABLE_CSV]
    assert [a.details["page"] for a in csvs] == [1, 2, 2]


def test_each_csv_holds_the_generating_data(run: DocumentRun) -> None:
    assert run.output is not None
    found = _tables(run)
    assert [t.page for t in found.tables] == [1, 2, 2]
    expected = [FIRST.cells, SECOND.cells, BUDGET.cells]
    for table, cells in zip(found.tables, expected, strict=True):
        assert table.csv is not None
        rows = list(csv.reader(io.StringIO((run.output / table.csv).read_text(encoding="utf-8"))))
        assert rows == cells
    assert found.pages_searched == [1, 2]


def test_the_table_over_the_page_break_is_linked(run: DocumentRun) -> None:
    first, second, budget = _tables(run).tables
    assert first.continues_on_next_page and second.continued_from_previous_page
    assert not budget.continued_from_previous_page and not budget.continues_on_next_page


def test_the_words_of_the_cells_are_still_text(run: DocumentRun) -> None:
    assert run.output is not None
    text = (run.output / "text.txt").read_text(encoding="utf-8")
    for word in ("Lovelace", "Noether", "Hopper", "Travel", "Fewer"):
        assert word in text


def test_a_document_of_tables_only_is_summarised_by_its_tables(run: DocumentRun) -> None:
    people = RUNS["people.pdf"]
    assert people.status is Status.SUCCEEDED and people.output is not None
    summary = Summary.model_validate_json((people.output / "summary.json").read_bytes())
    assert summary.method is SummaryMethod.TABLES and summary.language == "en"
    assert summary.sentences[1] == "It has 5 lines and 4 columns: Name, Born, Field and Country."
    assert people.manifest is not None
    assert "no prose in the text: the summary describes its tables" in people.manifest.warnings
    spanish = json.loads((people.output / "translations" / "es.json").read_bytes())
    assert "columnas" in spanish["text"] and "mesa" not in spanish["text"]


def test_the_summary_of_prose_and_tables_quotes_the_prose_only(run: DocumentRun) -> None:
    assert run.output is not None
    summary = Summary.model_validate_json((run.output / "summary.json").read_bytes())
    assert summary.method is SummaryMethod.EXTRACTIVE
    assert "Scientists, by year of birth, and what the year cost us." in summary.sentences
    for word in ("Lovelace", "Hopper", "Travel", "Employer"):
        assert word not in summary.text
