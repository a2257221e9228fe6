"""The raw text of a PDF as pdfium gives it, pages separated by form feeds: the input the
sentence splitter, the summarizer and the language detector are tested on, read without scriba."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium


def pdf_text(path: Path) -> str:
    document = pdfium.PdfDocument(path)
    try:
        return "\f".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
