"""Apertium pair discovery and route finding, on pair lists written here (no apertium needed)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from scriba.config import Settings
from scriba.engines.local.apertium import (
    ApertiumPair,
    ApertiumTranslator,
    find_route,
    iso_639_1,
    parse_directions,
    reachable_targets,
)
from scriba.errors import EngineFailed, UnsupportedLanguagePair

# The shape of `apertium -l` on a Debian machine: 2- and 3-letter codes, variants, odd modes.
LISTING = """\
  cat-eng
  cat-eng_US
  cat-fra
  eco-es-fr
  eng-cat
  eng-cat_valencia
  eng-spa
  es-fr
  es-pt_BR
  fr-es
  fra-cat
  gl-en
  spa-eng
"""


def pairs(*edges: str) -> list[ApertiumPair]:
    found = []
    for edge in edges:
        source, target = edge.split(">")
        found.append(ApertiumPair(source, target, mode=edge))
    return found


def test_iso_639_1_maps_apertium_codes() -> None:
    assert [iso_639_1(code) for code in ["eng", "spa", "fra", "cat", "glg", "por", "ita"]] == [
        "en",
        "es",
        "fr",
        "ca",
        "gl",
        "pt",
        "it",
    ]
    assert iso_639_1("FR") == "fr"
    assert iso_639_1("xyz") == "xyz"  # no two-letter code: kept


def test_parse_directions_keeps_standard_varieties_as_iso_codes() -> None:
    found = {(pair.source, pair.target): pair.mode for pair in parse_directions(LISTING)}
    assert found == {
        ("ca", "en"): "cat-eng",
        ("ca", "fr"): "cat-fra",
        ("en", "ca"): "eng-cat",
        ("en", "es"): "eng-spa",
        ("es", "fr"): "es-fr",
        ("fr", "es"): "fr-es",
        ("fr", "ca"): "fra-cat",
        ("gl", "en"): "gl-en",
        ("es", "en"): "spa-eng",
    }


def test_parse_directions_picks_one_mode_per_direction() -> None:
    found = parse_directions("  eng-spa\n  en-es\n")
    assert [(pair.source, pair.target, pair.mode) for pair in found] == [("en", "es", "en-es")]


def test_direct_pair_is_one_hop() -> None:
    route = find_route(parse_directions(LISTING), "en", "es")
    assert [pair.mode for pair in route] == ["eng-spa"]


def test_english_to_french_pivots_through_catalan() -> None:
    route = find_route(parse_directions(LISTING), "en", "fr")
    assert [pair.mode for pair in route] == ["eng-cat", "cat-fra"]


def test_pivot_preference_does_not_depend_on_listing_order() -> None:
    edges = ["en>es", "es>fr", "en>ca", "ca>fr"]
    for ordering in (edges, edges[::-1]):
        route = find_route(pairs(*ordering), "en", "fr")
        assert [pair.target for pair in route] == ["ca", "fr"]


def test_shortest_route_wins_over_preferred_pivot() -> None:
    # en→ca→es→fr is through the preferred pivot but longer than en→it→fr.
    graph = pairs("en>ca", "ca>es", "es>fr", "en>it", "it>fr")
    assert [pair.target for pair in find_route(graph, "en", "fr")] == ["it", "fr"]


def test_three_hop_route() -> None:
    route = find_route(parse_directions(LISTING), "gl", "fr")
    assert [pair.mode for pair in route] == ["gl-en", "eng-cat", "cat-fra"]


def test_no_route() -> None:
    graph = parse_directions(LISTING)
    assert find_route(graph, "de", "en") == []
    assert find_route(graph, "en", "gl") == []  # only gl→en is installed here
    assert find_route(graph, "en", "en") == []


def test_reachable_targets() -> None:
    graph = parse_directions(LISTING)
    assert reachable_targets(graph, "en") == ["ca", "es", "fr"]
    assert reachable_targets(graph, "gl") == ["ca", "en", "es", "fr"]
    assert reachable_targets(graph, "de") == []


@pytest.fixture
def translator() -> ApertiumTranslator:
    # A missing executable: any attempt to run apertium fails loudly.
    translator = ApertiumTranslator(Settings(), executable="/nonexistent/apertium")
    translator.pairs = parse_directions(LISTING)
    return translator


def test_same_language_comes_back_unchanged(translator: ApertiumTranslator) -> None:
    result = translator.translate("Hello,\n\nworld & <friends>", "en", "EN")
    assert result.text == "Hello,\n\nworld & <friends>"
    assert result.route == ["en"]


def test_unsupported_source_names_the_sources_with_pairs(translator: ApertiumTranslator) -> None:
    with pytest.raises(UnsupportedLanguagePair) as raised:
        translator.translate("Guten Tag", "de", "en")
    message = str(raised.value)
    assert "German (de)" in message
    assert "no installed pair" in message
    assert "ca, en, es, fr, gl" in message


def test_unreachable_target_names_the_reachable_ones(translator: ApertiumTranslator) -> None:
    with pytest.raises(UnsupportedLanguagePair) as raised:
        translator.translate("Hello", "en", "ar")
    message = str(raised.value)
    assert "English (en) to Arabic (ar)" in message
    assert "ca, es, fr" in message


def test_no_pairs_installed() -> None:
    translator = ApertiumTranslator(Settings(), executable="/nonexistent/apertium")
    translator.pairs = []
    with pytest.raises(UnsupportedLanguagePair, match="no Apertium language pair is installed"):
        translator.translate("Hello", "en", "es")


def test_missing_apertium_is_an_engine_failure() -> None:
    translator = ApertiumTranslator(Settings(), executable="/nonexistent/apertium")
    with pytest.raises(EngineFailed, match="not installed"):
        translator.supported_targets("en")


def fake_apertium(tmp_path: Path, body: str) -> str:
    script = tmp_path / "apertium"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_failing_apertium_reports_its_stderr(tmp_path: Path) -> None:
    executable = fake_apertium(
        tmp_path,
        'if [ "$1" = "-l" ]; then echo "  eng-spa"; exit 0; fi\n'
        'echo "Error: Mode eng-spa does not exist" >&2; exit 3',
    )
    translator = ApertiumTranslator(Settings(), executable=executable)
    with pytest.raises(EngineFailed) as raised:
        translator.translate("Hello", "en", "es")
    assert "exit status 3" in str(raised.value)
    assert "Mode eng-spa does not exist" in str(raised.value)


def test_hung_apertium_times_out(tmp_path: Path) -> None:
    executable = fake_apertium(
        tmp_path, 'if [ "$1" = "-l" ]; then echo "  eng-spa"; exit 0; fi\nexec sleep 30'
    )
    translator = ApertiumTranslator(Settings(), executable=executable, timeout_seconds=0.5)
    with pytest.raises(EngineFailed, match=r"within 0\.5 s"):
        translator.translate("Hello", "en", "es")


def test_hops_run_in_order_with_text_on_stdin(tmp_path: Path) -> None:
    # Each fake hop appends its mode, so the output shows which modes ran, in which order,
    # and that the text arrived on stdin rather than as an argument.
    executable = fake_apertium(
        tmp_path,
        'if [ "$1" = "-l" ]; then printf "  eng-cat\\n  cat-fra\\n"; exit 0; fi\n'
        'cat; printf " [%s %s %s %s]" "$@"',
    )
    translator = ApertiumTranslator(Settings(), executable=executable)
    result = translator.translate("-n $(x)", "en", "fr")
    assert result.route == ["en", "ca", "fr"]
    assert result.text == "-n $(x) [-u -f txt eng-cat] [-u -f txt cat-fra]"
