"""Figures for people: money, sizes, durations, moments and confidences as the pages show them.

Pure functions of their argument, so the pages of the same results read the same on every
machine; the templates use them as Jinja2 filters (``site.py``) and the view models call them.
"""

from __future__ import annotations

from datetime import UTC, datetime


def format_usd(amount: float) -> str:
    """Dollars, with four decimals under a dollar: documents often cost fractions of a cent."""
    if amount == 0:
        return "$0.00"
    return f"${amount:.4f}" if amount < 1 else f"${amount:,.2f}"


def format_bytes(size: int) -> str:
    """Decimal units, three significant digits: 74.1 KB, 157 KB, 1.79 MB."""
    if size < 1000:
        return f"{size} bytes"
    amount, unit = size / 1000, "KB"
    for larger in ("MB", "GB"):
        if amount < 1000:
            break
        amount, unit = amount / 1000, larger
    return f"{amount:.3g} {unit}" if amount < 100 else f"{amount:.0f} {unit}"


def format_seconds(seconds: float | None) -> str:
    """A duration at the precision people care about: tenths of seconds, then minutes, hours."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_timestamp(moment: datetime) -> str:
    """A moment in UTC, to the minute: the same text wherever the pages are written or read."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_percent(value: float) -> str:
    """A confidence (0 to 100) as a whole percentage: 97%."""
    return f"{value:.0f}%"
