"""Apertium, for real: the installed Debian pairs translate, route and keep the text safe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from scriba.config import Settings
from scriba.engines.local.apertium import ApertiumTranslator
from scriba.errors import UnsupportedLanguagePair

pytestmark = pytest.mark.local_engines

ENGLISH = (
    "The committee will meet next week to discuss the budget for the new school. "
    "The weather was cold and rainy, so the children stayed inside and read books. "
    "Scientists have discovered a new species of bird in the mountains of Peru."
)
SPANISH = (
    "El comité se reunirá la semana próxima para discutir el presupuesto de la nueva escuela. "
    "Hacía frío y llovía, así que los niños se quedaron en casa y leyeron libros."
)
FRENCH = (
    "Le comité se réunira la semaine prochaine pour discuter du budget de la nouvelle école. "
    "Il faisait froid et il pleuvait, alors les enfants sont restés à la maison et ont lu "
    "des livres."
)


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


@pytest.fixture(scope="module")
def translator() -> ApertiumTranslator:
    return ApertiumTranslator(Settings())


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(
        Language.ENGLISH,
        Language.SPANISH,
        Language.FRENCH,
        Language.CATALAN,
        Language.PORTUGUESE,
        Language.ITALIAN,
    ).build()


def test_english_to_spanish(translator: ApertiumTranslator, detector: LanguageDetector) -> None:
    result = translator.translate(ENGLISH, "en", "es")
    assert result.route == ["en", "es"]
    assert detector.detect_language_of(result.text) == Language.SPANISH
    assert {"comité", "presupuesto", "escuela", "libros"} <= words(result.text)


def test_english_to_french_pivots_through_catalan(
    translator: ApertiumTranslator, detector: LanguageDetector
) -> None:
    result = translator.translate(ENGLISH, "en", "fr")
    assert result.route == ["en", "ca", "fr"]
    assert detector.detect_language_of(result.text) == Language.FRENCH
    assert {"comité", "budget", "école", "enfants", "livres"} <= words(result.text)


def test_spanish_to_english(translator: ApertiumTranslator, detector: LanguageDetector) -> None:
    result = translator.translate(SPANISH, "es", "en")
    assert result.route == ["es", "en"]
    assert detector.detect_language_of(result.text) == Language.ENGLISH
    assert {"committee", "week", "school", "books"} <= words(result.text)


def test_french_to_spanish(translator: ApertiumTranslator, detector: LanguageDetector) -> None:
    result = translator.translate(FRENCH, "fr", "es")
    assert result.route == ["fr", "es"]
    assert detector.detect_language_of(result.text) == Language.SPANISH
    assert {"comité", "escuela", "libros"} <= words(result.text)


def test_supported_targets_come_from_the_installed_pairs(translator: ApertiumTranslator) -> None:
    assert {"ca", "es", "fr", "gl", "it", "pt"} <= set(translator.supported_targets("en"))
    assert {"en", "fr"} <= set(translator.supported_targets("es"))
    assert translator.supported_targets("de") == []
    assert translator.supported_targets("ar") == []


def test_german_source_is_refused_with_what_is_supported(
    translator: ApertiumTranslator,
) -> None:
    with pytest.raises(UnsupportedLanguagePair) as raised:
        translator.translate("Das Wetter war kalt.", "de", "en")
    message = str(raised.value)
    assert "German (de)" in message
    assert "no installed pair" in message
    assert "ca, en, es, fr, gl, it, pt" in message


def test_arabic_target_is_refused_with_the_reachable_targets(
    translator: ApertiumTranslator,
) -> None:
    with pytest.raises(UnsupportedLanguagePair) as raised:
        translator.translate("Hello.", "en", "ar")
    assert "Arabic (ar)" in str(raised.value)
    assert "es, fr" in str(raised.value)


def test_shell_text_and_layout_pass_through_safely(
    translator: ApertiumTranslator, tmp_path: Path
) -> None:
    marker = tmp_path / "executed"
    text = (
        '-n is the first word. The "red" cat & the <blue> dog.\n'
        "\n"
        f"Second paragraph: $(touch {marker}) and `touch {marker}`; rm -rf / || true\n"
        "Third line with 'single quotes' and a backslash \\ here."
    )
    for target in ("es", "fr"):
        result = translator.translate(text, "en", target).text
        assert not marker.exists()
        assert result.startswith("-n ")
        assert result.count("\n") == text.count("\n")
        assert "\n\n" in result
        # Apertium translates words even inside a command, but every metacharacter stays text.
        assert "$(" in result
        assert result.count("`") == 2
        assert "rm -rf / ||" in result
        assert "&" in result or " et " in result  # via Catalan "&" is read as "and"
        assert "<" in result
        assert '"' in result
        assert "\\" in result
        assert "*" not in result  # no unknown-word marks


def test_same_language_is_returned_unchanged(translator: ApertiumTranslator) -> None:
    result = translator.translate(FRENCH, "fr", "fr")
    assert result.text == FRENCH
    assert result.route == ["fr"]
