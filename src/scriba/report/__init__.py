"""The results pages: a static HTML site written into a results folder.

``write_report(folder)`` reads every ``manifest.json`` under the folder and writes ``index.html``
(one line per document) and ``<source key>/index.html`` (one page per document), from the
templates in ``templates/``. The package is split by concern:

- ``views``: the view models (``DocumentView`` and its parts) and reading a document's results
  folder into them, defensively: a missing or unreadable file is a problem on the page, not an
  error;
- ``formatting``: pure functions that turn figures into text for people (money, sizes,
  durations, moments), also used as the templates' filters;
- ``site``: writing the pages, with the Jinja2 environment (autoescaping every value, since
  document text is untrusted) and ``ReportError`` when they cannot be written.

The names below are what the rest of scriba uses; import anything else from its module.
"""

from __future__ import annotations

from scriba.report.formatting import format_bytes, format_seconds, format_usd
from scriba.report.site import ReportError, write_report
from scriba.report.views import INDEX

__all__ = [
    "INDEX",
    "ReportError",
    "format_bytes",
    "format_seconds",
    "format_usd",
    "write_report",
]
