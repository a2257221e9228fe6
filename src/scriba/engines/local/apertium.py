"""Offline translation with Apertium (the Debian ``apertium`` package and its language pairs).

The installed pairs are discovered at run time (``apertium -l``) and form a directed graph of
ISO 639-1 codes. A request with no direct pair is routed through pivot languages along a shortest
path; every hop is one ``apertium`` process with the text on stdin, never on the command line.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import pycountry

from scriba.cost.units import Billed, translate_characters
from scriba.engines.local.programs import run_program
from scriba.engines.ports import TranslatedText
from scriba.errors import EngineFailed, UnsupportedLanguagePair

if TYPE_CHECKING:
    from scriba.config import Settings

APERTIUM = "apertium"

# Among routes of equal length, pivot through these first. Measured on the sample corpus
# (19 kB of English): English→French via Catalan (eng-cat, fra-cat) left 645 unknown-word marks
# against 762 via Spanish (eng-spa, es-fr), and read better ("pluvieux" where the Spanish route
# left "*lluvioso", "S'il vous plaît" where it gave "Complaire").
PIVOT_PREFERENCE: tuple[str, ...] = ("ca", "es", "en")

# "eng-spa" or "fr-es". Variants ("eng-cat_valencia", "es-pt_BR") and special modes such as
# "eco-es-fr" are left out: a route uses each language's standard variety.
_DIRECTION = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")
# Apertium's transfer rules can leave two spaces where they drop a word (a subject pronoun).
_SPACE_RUN = re.compile(r"(?<=\S) {2,}(?=\S)")


@dataclass(frozen=True)
class ApertiumPair:
    """One installed translation direction."""

    source: str  # ISO 639-1 where the language has one
    target: str
    mode: str  # Apertium's name for the direction, e.g. "eng-spa"


def iso_639_1(code: str) -> str:
    """The ISO 639-1 code for an ISO 639-1/639-3 code (``"eng"`` → ``"en"``).

    Codes with no two-letter form are kept as given.
    """
    code = code.strip().lower()
    field = "alpha_2" if len(code) == 2 else "alpha_3"
    language = pycountry.languages.get(**{field: code})
    alpha_2 = getattr(language, "alpha_2", None) if language is not None else None
    return alpha_2 if isinstance(alpha_2, str) else code


def language_name(code: str) -> str:
    """``"fr"`` → ``"French (fr)"``; the bare code when the language is unknown."""
    field = "alpha_2" if len(code) == 2 else "alpha_3"
    language = pycountry.languages.get(**{field: code})
    name = getattr(language, "name", None) if language is not None else None
    return f"{name} ({code})" if isinstance(name, str) else code


def parse_directions(listing: str) -> list[ApertiumPair]:
    """The pairs in the output of ``apertium -l`` (one direction per line)."""
    pairs: dict[tuple[str, str], ApertiumPair] = {}
    for mode in sorted(line.strip() for line in listing.splitlines()):
        match = _DIRECTION.match(mode)
        if match is None:
            continue
        source, target = iso_639_1(match[1]), iso_639_1(match[2])
        if source != target:
            # Two modes for one direction ("eng-spa" and "en-es"): the first by name, stably.
            pairs.setdefault((source, target), ApertiumPair(source, target, mode))
    return list(pairs.values())


def _pivot_order(code: str) -> tuple[int, str]:
    rank = PIVOT_PREFERENCE.index(code) if code in PIVOT_PREFERENCE else len(PIVOT_PREFERENCE)
    return rank, code


def _neighbours(pairs: Iterable[ApertiumPair]) -> dict[str, list[ApertiumPair]]:
    graph: dict[str, list[ApertiumPair]] = {}
    for pair in pairs:
        graph.setdefault(pair.source, []).append(pair)
    for edges in graph.values():
        edges.sort(key=lambda pair: _pivot_order(pair.target))
    return graph


def _search(
    graph: Mapping[str, Sequence[ApertiumPair]], source: str
) -> dict[str, ApertiumPair | None]:
    """Breadth-first search: for every reachable language, the pair that first reached it.

    Neighbours are visited in ``PIVOT_PREFERENCE`` order, so among shortest routes the one
    through the preferred pivots wins, deterministically.
    """
    reached: dict[str, ApertiumPair | None] = {source: None}
    queue = deque([source])
    while queue:
        language = queue.popleft()
        for pair in graph.get(language, ()):
            if pair.target not in reached:
                reached[pair.target] = pair
                queue.append(pair.target)
    return reached


def find_route(pairs: Iterable[ApertiumPair], source: str, target: str) -> list[ApertiumPair]:
    """The hops of a shortest route from ``source`` to ``target``; empty when there is none."""
    reached = _search(_neighbours(pairs), source)
    if target not in reached or source == target:
        return []
    hops: list[ApertiumPair] = []
    language = target
    while (pair := reached[language]) is not None:
        hops.append(pair)
        language = pair.source
    return hops[::-1]


def reachable_targets(pairs: Iterable[ApertiumPair], source: str) -> list[str]:
    """Every language some route leads to from ``source``, sorted."""
    return sorted(set(_search(_neighbours(pairs), source)) - {source})


class ApertiumTranslator:
    """The ``Translator`` port on Apertium. Gist quality; about 60,000 characters/s per hop."""

    name = "apertium"
    # Apertium has no request limit; this bounds one call to about a second per hop.
    max_request_bytes = 50_000

    def __init__(
        self,
        settings: Settings,
        *,
        executable: str = APERTIUM,
        timeout_seconds: float = 120.0,
    ) -> None:
        self.settings = settings
        self.executable = executable
        self.timeout_seconds = timeout_seconds

    @cached_property
    def pairs(self) -> list[ApertiumPair]:
        """The installed pairs (``apertium -l``, read once)."""
        return parse_directions(self._run(["-l"], "", purpose="list the installed pairs"))

    def supported_targets(self, source: str) -> list[str]:
        return reachable_targets(self.pairs, _normalise(source))

    def billed(self, characters: int) -> Billed:
        """What Amazon Translate would bill for the same characters."""
        return translate_characters(characters)

    def translate(self, text: str, source: str, target: str) -> TranslatedText:
        source, target = _normalise(source), _normalise(target)
        if source == target:
            return TranslatedText(text=text, route=[source])
        hops = find_route(self.pairs, source, target)
        if not hops:
            raise UnsupportedLanguagePair(self._no_route(source, target))
        route = [source, *(hop.target for hop in hops)]
        if not text.strip():
            return TranslatedText(text=text, route=route)
        for hop in hops:
            # -u: no marks on unknown (*), untranslated (@) or ungenerated (#) words.
            # -f txt: plain text; line breaks and blank lines come back where they were.
            text = self._run(
                ["-u", "-f", "txt", hop.mode], text, purpose=f"translate with {hop.mode}"
            )
        return TranslatedText(text=_SPACE_RUN.sub(" ", text), route=route)

    def _no_route(self, source: str, target: str) -> str:
        sources = sorted({pair.source for pair in self.pairs})
        if not sources:
            return (
                "no Apertium language pair is installed "
                "(Debian packages such as apertium-eng-spa, apertium-fr-es)"
            )
        if source not in sources:
            return (
                f"Apertium cannot translate from {language_name(source)}: no installed pair "
                f"has it as its source language. Source languages with pairs: "
                f"{', '.join(sources)}"
            )
        targets = self.supported_targets(source)
        return (
            f"Apertium cannot translate {language_name(source)} to {language_name(target)}: "
            f"no route through the installed pairs. Targets reachable from {source}: "
            f"{', '.join(targets)}"
        )

    def _run(self, arguments: list[str], text: str, *, purpose: str) -> str:
        output = run_program(
            self.executable,
            arguments,
            text.encode("utf-8"),
            program="apertium",
            package="apertium",
            purpose=purpose,
            timeout_seconds=self.timeout_seconds,
            detail=f" ({len(text)} characters)",
        )
        try:
            return output.decode("utf-8")
        except UnicodeDecodeError as error:
            raise EngineFailed(f"apertium returned text that is not UTF-8 ({purpose})") from error


def _normalise(code: str) -> str:
    # "EN", "eng" and "en" name one language. A regional tag ("pt-BR") stays as it is and so
    # has no route: the pairs are for each language's standard variety.
    return iso_639_1(code)
