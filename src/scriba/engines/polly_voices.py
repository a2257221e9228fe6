"""Amazon Polly's voice for each language, and whether it has a neural engine.

Facts about the service, apart from its adapter: the Polly adapter speaks with these voices, and
the local speech engine reports what Polly would bill for the same narration (neural voices
cost four times the standard ones).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Voice:
    id: str
    neural: bool
    language_code: str | None = None  # for bilingual voices only: which language to speak


# One voice per language, neural where Polly has it ("Available voices" in the Polly developer
# guide). Keys are scriba's lower-case codes; "pt" is Brazilian Portuguese, as in Amazon
# Translate (which writes European Portuguese "pt-PT"). A table rather than DescribeVoices: no
# extra call and IAM permission per cold start, and the choice is reviewable. A voice set in
# ``settings.voices`` that is not here is tried with the neural engine, then the standard one.
DEFAULT_VOICES: dict[str, Voice] = {
    "en": Voice("Joanna", neural=True),
    "en-us": Voice("Joanna", neural=True),
    "en-gb": Voice("Amy", neural=True),
    "en-au": Voice("Olivia", neural=True),
    "en-in": Voice("Kajal", neural=True, language_code="en-IN"),
    "es": Voice("Lucia", neural=True),
    "es-mx": Voice("Mia", neural=True),
    "es-us": Voice("Lupe", neural=True),
    "fr": Voice("Lea", neural=True),
    "fr-ca": Voice("Gabrielle", neural=True),
    "de": Voice("Vicki", neural=True),
    "it": Voice("Bianca", neural=True),
    "pt": Voice("Camila", neural=True),
    "pt-br": Voice("Camila", neural=True),
    "pt-pt": Voice("Ines", neural=True),
    "nl": Voice("Laura", neural=True),
    "pl": Voice("Ola", neural=True),
    "sv": Voice("Elin", neural=True),
    "da": Voice("Sofie", neural=True),
    "no": Voice("Ida", neural=True),
    "nb": Voice("Ida", neural=True),
    "fi": Voice("Suvi", neural=True),
    "ca": Voice("Arlet", neural=True),
    "cs": Voice("Jitka", neural=True),
    "tr": Voice("Burcu", neural=True),
    "ja": Voice("Takumi", neural=True),
    "ko": Voice("Seoyeon", neural=True),
    "zh": Voice("Zhiyu", neural=True),
    "hi": Voice("Kajal", neural=True, language_code="hi-IN"),
    "ar": Voice("Zeina", neural=False),
    "ru": Voice("Tatyana", neural=False),
    "ro": Voice("Carmen", neural=False),
    "is": Voice("Dora", neural=False),
    "cy": Voice("Gwyneth", neural=False),
}
KNOWN_VOICES = {voice.id: voice for voice in DEFAULT_VOICES.values()}


def polly_neural(language: str) -> bool:
    """Whether Polly would narrate ``language`` with a neural voice (an unknown language: yes,
    as a voice set in the settings is tried with the neural engine first)."""
    code = language.strip().replace("_", "-").lower()
    voice = DEFAULT_VOICES.get(code) or DEFAULT_VOICES.get(code.split("-")[0])
    return voice is None or voice.neural
