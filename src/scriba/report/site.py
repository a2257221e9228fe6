"""Writing the results pages: ``index.html`` and one page per document, from the templates.

The pages use relative links only and load nothing from elsewhere, so they work from
``file://``, from a copied folder, or from any static web server. Document text is untrusted (a
PDF may contain markup): every value goes through Jinja2's autoescaping.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from scriba.errors import ScribaError
from scriba.local.files import write_atomically
from scriba.models.manifest import Status
from scriba.report.formatting import (
    format_bytes,
    format_percent,
    format_seconds,
    format_timestamp,
    format_usd,
)
from scriba.report.views import INDEX, UNREADABLE, find_documents, read_document


class ReportError(ScribaError):
    """The results pages cannot be written into this folder."""

    reason = "report_failed"


def write_report(results: Path) -> Path:
    """Writes ``index.html`` and one page per document into ``results``; returns the index."""
    results.mkdir(parents=True, exist_ok=True)
    index = results / INDEX
    if index.is_dir():
        raise ReportError(
            f"{index} is a folder (the results of a document named {INDEX}); "
            "the index of the results pages cannot be written there"
        )
    documents = [read_document(results, key) for key in find_documents(results)]
    environment = _environment()
    document_template = environment.get_template("document.html")
    for document in documents:
        page = document_template.render(document=document, generated=_now())
        write_atomically(document.folder / INDEX, page.encode("utf-8"))
    counts = dict.fromkeys((*(status.value for status in Status), UNREADABLE), 0)
    for document in documents:
        counts[document.status] += 1
    costs = [d.cost_usd for d in documents if d.cost_usd is not None]
    page = environment.get_template("index.html").render(
        documents=documents,
        counts={status: count for status, count in counts.items() if count},
        total_cost=format_usd(sum(costs)) if costs else None,
        generated=_now(),
    )
    write_atomically(index, page.encode("utf-8"))
    return index


def _now() -> str:
    return format_timestamp(datetime.now(UTC))


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("scriba.report", "templates"),
        autoescape=True,  # document text, labels and file names are untrusted
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["percent"] = format_percent
    environment.filters["seconds"] = format_seconds
    environment.filters["bytes"] = format_bytes
    return environment
