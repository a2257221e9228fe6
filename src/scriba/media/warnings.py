"""Warnings about pages, merged: one line per kind of problem, with the pages it hit.

A document's warnings travel in the workflow's state, which Step Functions limits to 256 KiB:
2,000 unreadable pages must not be 2,000 lines. Warnings that differ only in their page number
("page 7 cannot be read: ...") become one ("pages 7-9, 12 (4 pages) cannot be read: ..."); past
``MAX_WARNINGS`` lines, the rest are counted in a last line, so the total stays bounded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_WARNINGS = 40
_PAGE = re.compile(r"\bpage (\d+)\b")


def page_ranges(numbers: Sequence[int]) -> str:
    """``[1, 2, 3, 7, 9, 10]`` as ``"1-3, 7, 9-10"``."""
    ordered = sorted(set(numbers))
    runs: list[str] = []
    start = previous = ordered[0] if ordered else 0
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        runs.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(runs) if ordered else ""


def merged_warnings(warnings: Sequence[str], most: int = MAX_WARNINGS) -> list[str]:
    """``warnings`` in their first order, those differing only in one page number merged."""
    groups: dict[str, list[int]] = {}
    for warning in warnings:
        found = list(_PAGE.finditer(warning))
        if len(found) == 1:
            key = warning[: found[0].start()] + "\0" + warning[found[0].end() :]
            groups.setdefault(key, []).append(int(found[0].group(1)))
        else:
            groups.setdefault(warning, [])
    lines = []
    for key, pages in groups.items():
        if len(pages) <= 1:
            lines.append(key.replace("\0", f"page {pages[0]}") if pages else key)
        else:
            lines.append(key.replace("\0", f"pages {page_ranges(pages)} ({len(pages)} pages)"))
    if len(lines) <= most:
        return lines
    rest = len(lines) - (most - 1)
    return [*lines[: most - 1], f"and {rest} more warning(s), not listed"]
