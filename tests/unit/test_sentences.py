"""The sentence splitter: abbreviations in our languages, PDF layout, and real corpus text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scriba.media.sentences import normalize_text, split_sentences
from tests.pdf_text import pdf_text


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "en",
            "Dr. Smith arrived at 10 a.m. on Monday. He paid $3.50 for coffee, i.e. too much.",
            [
                "Dr. Smith arrived at 10 a.m. on Monday.",
                "He paid $3.50 for coffee, i.e. too much.",
            ],
        ),
        (
            "en",
            "J. R. R. Tolkien wrote it. The U.S. economy grew by 2.5 % in 2020. It was fine.",
            [
                "J. R. R. Tolkien wrote it.",
                "The U.S. economy grew by 2.5 % in 2020.",
                "It was fine.",
            ],
        ),
        (
            "en",
            "See e.g. chapter 3 for details. Prices rose, etc. The end.",
            ["See e.g. chapter 3 for details.", "Prices rose, etc.", "The end."],
        ),
        (
            "en",
            "It is listed as No. 5 in Fig. 3 on p. 12. Read it.",
            ["It is listed as No. 5 in Fig. 3 on p. 12.", "Read it."],
        ),
        (
            "de",
            "Es gibt z. B. offene Mengen. Das gilt d. h. immer. Prof. Dr. Herrlich hat es gezeigt.",
            [
                "Es gibt z. B. offene Mengen.",
                "Das gilt d. h. immer.",
                "Prof. Dr. Herrlich hat es gezeigt.",
            ],
        ),
        (
            "de",
            "Am 3. Oktober 1990 kam die Einheit. Sie kostete ca. 2,5 Mrd. Euro usw. und mehr.",
            ["Am 3. Oktober 1990 kam die Einheit.", "Sie kostete ca. 2,5 Mrd. Euro usw. und mehr."],
        ),
        (
            "de",
            "Siehe S. 12 bzw. Abb. 3. Das ist alles.",
            ["Siehe S. 12 bzw. Abb. 3.", "Das ist alles."],
        ),
        (
            "de",
            "Es beginnt im 19. Jahrhundert. Vgl. Kap. 2 für Details.",
            ["Es beginnt im 19. Jahrhundert.", "Vgl. Kap. 2 für Details."],
        ),
        (
            "fr",
            "M. Dupont est arrivé. Il a vu Mme Durand, etc. et ils sont partis. C'est fini.",
            [
                "M. Dupont est arrivé.",
                "Il a vu Mme Durand, etc. et ils sont partis.",
                "C'est fini.",
            ],
        ),
        (
            "fr",
            "Le prix est de 3,50 €. « Vraiment ? » dit-il. Oui !",
            ["Le prix est de 3,50 €.", "« Vraiment ? » dit-il.", "Oui !"],
        ),
        (
            "es",
            "El Sr. García llegó a las 10 a. m. del lunes. Pagó 3,50 €. ¿Qué pasó? ¡Nada!",
            [
                "El Sr. García llegó a las 10 a. m. del lunes.",
                "Pagó 3,50 €.",
                "¿Qué pasó?",
                "¡Nada!",
            ],
        ),
        (
            "es",
            "La Dra. López vive en EE. UU. desde 2010. Trabaja allí.",
            ["La Dra. López vive en EE. UU. desde 2010.", "Trabaja allí."],
        ),
        (
            "pt",
            "O Sr. Silva chegou. A Dra. Costa saiu às 10h. Fim.",
            ["O Sr. Silva chegou.", "A Dra. Costa saiu às 10h.", "Fim."],
        ),
        (
            "it",
            "Il sig. Rossi è arrivato. Il dott. Bianchi no. Fine.",
            ["Il sig. Rossi è arrivato.", "Il dott. Bianchi no.", "Fine."],
        ),
        (
            "ca",
            "El Sr. Puig va arribar. La Sra. Vila no, etc. i va marxar. Vegeu la pàg. 3. Fi.",
            [
                "El Sr. Puig va arribar.",
                "La Sra. Vila no, etc. i va marxar.",
                "Vegeu la pàg. 3.",
                "Fi.",
            ],
        ),
        (
            "ar",
            "مرحبا بكم. كيف حالك؟ أنا بخير.",
            ["مرحبا بكم.", "كيف حالك؟", "أنا بخير."],
        ),
    ],
)
def test_abbreviations_numbers_and_punctuation(language, text, expected):
    assert split_sentences(text, language) == expected


def test_without_a_language_every_languages_abbreviations_hold():
    text = "Prof. Dr. Herrlich sah z. B. Mme Durand. Der sig. Rossi kam."
    assert split_sentences(text) == [
        "Prof. Dr. Herrlich sah z. B. Mme Durand.",
        "Der sig. Rossi kam.",
    ]


def test_regional_language_tags_use_the_language():
    assert split_sentences("La Dra. López llegó. Fin.", "es-MX") == ["La Dra. López llegó.", "Fin."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wait... what happened? Nobody knows!", ["Wait... what happened?", "Nobody knows!"]),
        ("I don't know… Maybe tomorrow.", ["I don't know…", "Maybe tomorrow."]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ('"Really?" she asked. He nodded.', ['"Really?" she asked.', "He nodded."]),
        (
            "Pi is 3.14159 and e is 2.718. Both are irrational.",
            ["Pi is 3.14159 and e is 2.718.", "Both are irrational."],
        ),
        ("(See the appendix.) Then continue.", ["(See the appendix.)", "Then continue."]),
        ("今日は晴れです。明日は雨です。", ["今日は晴れです。", "明日は雨です。"]),
    ],
)
def test_ellipses_quotes_decimals_and_other_scripts(text, expected):
    assert split_sentences(text, "en") == expected


def test_hard_line_breaks_inside_sentences_are_joined():
    text = "The results of the experiment\nwere confirmed by a second\nteam. It took a year."
    assert split_sentences(text, "en") == [
        "The results of the experiment were confirmed by a second team.",
        "It took a year.",
    ]


def test_hyphenated_line_ends_are_joined():
    text = (
        "The docu-\nment was re-\nviewed by the E-\nMail team; it is a well-known and well-\nknown"
        " fact."
    )
    assert split_sentences(text, "en") == [
        "The document was reviewed by the E-Mail team; it is a well-known and well-known fact."
    ]


def test_a_word_hyphenated_over_three_lines_is_joined_whole():
    assert normalize_text("inter-\nnatio-\nnal law, 3-\nD and ab-\n12") == (
        "international law, 3-\nD and ab-\n12"
    )


def test_a_huge_word_is_read_once():
    # One 300,000-letter "word" (a hostile PDF): a pattern that backtracks over the word at each
    # of its letters took 10 s at 20,000 letters and would take hours here (the suite's timeout
    # ends it); read once from each hyphen it takes milliseconds.
    word = "a" * 300_000
    assert normalize_text(f"{word}-\n{word} end") == f"{word}{word} end"


def test_pdfium_hyphen_markers_and_soft_hyphens_are_removed():
    assert split_sentences("Lorem adip\ufffeiscing elit. Docu\u00ad\nment here.", "en") == [
        "Lorem adipiscing elit.",
        "Document here.",
    ]


def test_a_heading_before_a_blank_line_or_a_page_break_is_its_own_unit():
    text = "Introduction\n\nThe text starts here. It goes on.\fMethods\fWe measured it."
    assert split_sentences(text, "en") == [
        "Introduction",
        "The text starts here.",
        "It goes on.",
        "Methods",
        "We measured it.",
    ]


def test_a_short_unpunctuated_line_before_a_capital_is_a_heading():
    text = (
        "Danksagungen\n"
        "An dieser Stelle möchte ich Herrn Prof. Dr. Herrlich für einige Korrekturvorschläge und\n"
        "einen gut strukturierten Tafelanschrieb danken, der als Vorlage für dieses Skript diente."
    )
    assert split_sentences(text, "de") == [
        "Danksagungen",
        "An dieser Stelle möchte ich Herrn Prof. Dr. Herrlich für einige Korrekturvorschläge und "
        "einen gut strukturierten Tafelanschrieb danken, der als Vorlage für dieses Skript diente.",
    ]


def test_a_sentence_continues_across_a_page_break():
    text = "The results of the long and careful experiment were\fconfirmed by the second team."
    assert split_sentences(text, "en") == [
        "The results of the long and careful experiment were confirmed by the second team."
    ]


def test_bullets_and_numbered_items_are_units_without_their_bullet():
    text = (
        "You need the following things for the recipe:\n"
        "• flour\n• sugar\n• two eggs\n"
        "Then follow these steps in order:\n"
        "1) mix everything\n2) bake it for an hour\n"
        "a) eat it warm\nb) share it"
    )
    assert split_sentences(text, "en") == [
        "You need the following things for the recipe:",
        "flour",
        "sugar",
        "two eggs",
        "Then follow these steps in order:",
        "1) mix everything",
        "2) bake it for an hour",
        "a) eat it warm",
        "b) share it",
    ]


def test_a_dash_that_wraps_to_a_new_line_is_not_a_bullet():
    text = (
        "A blind text like this gives you information about the selected font, Kjift\n– not at all!"
    )
    assert split_sentences(text, "en") == [
        "A blind text like this gives you information about the selected font, Kjift – not at all!"
    ]


def test_dated_ordinals_wrapped_to_a_new_line_are_not_list_items():
    text = "Die Mauer fiel 1989 und die Wiedervereinigung kam dann am\n3. Oktober 1990 zustande."
    assert split_sentences(text, "de") == [
        "Die Mauer fiel 1989 und die Wiedervereinigung kam dann am 3. Oktober 1990 zustande."
    ]


def test_table_of_contents_lines_stay_apart():
    text = (
        "Inhaltsverzeichnis\n"
        "1 Topologische Grundbegriffe 2\n"
        "1.1 Topologische Räume . . . . . . . . . . . . . . . 2\n"
        "1.2 Metrische Räume . . . . . . . . . . . . . . . . . 6"
    )
    assert split_sentences(text, "de") == [
        "Inhaltsverzeichnis",
        "1 Topologische Grundbegriffe 2",
        "1.1 Topologische Räume . . . . . . . . . . . . . . . 2",
        "1.2 Metrische Räume . . . . . . . . . . . . . . . . . 6",
    ]


def test_numbered_headings_keep_their_number():
    assert split_sentences("1. Introduction\n\n2.1. Results are good. Fine.", "en") == [
        "1. Introduction",
        "2.1. Results are good.",
        "Fine.",
    ]


def test_empty_and_blank_text_have_no_sentences():
    assert split_sentences("") == []
    assert split_sentences(" \n\f\n\t ") == []


def test_normalize_text_repairs_extraction_artifacts():
    raw = "Line one\r\nﬁne\u00a0words\u200b here  and\tthere \r\nnext-\nline\fpage two"
    assert normalize_text(raw) == "Line one\nfine words here and there\nnextline\fpage two"


# -- text from the sample documents ---------------------------------------------------------


def test_crazy_ones(corpus):
    sentences = split_sentences(pdf_text(corpus / "crazyones-pdfa.pdf"), "en")
    assert sentences[:8] == [
        "The Crazy Ones",
        "October 14, 1998",
        "Heres to the crazy ones.",
        "The misfits.",
        "The rebels.",
        "The troublemakers.",
        "The round pegs in the square holes.",
        "The ones who see things differently.",
    ]
    assert sentences[-1] == (
        "Because the people who are crazy enough to think they can change the world, "
        "are the ones who do."
    )
    assert len(sentences) == 27


def test_two_column_paper_with_pdfium_hyphen_markers(corpus):
    sentences = split_sentences(pdf_text(corpus / "multicolumn.pdf"), "en")
    assert sentences[:6] == [
        "Two-Column Document with Lorem Ipsum",
        "Your Name",
        "January 3, 2024",
        "Abstract",
        "This is a sample document with two columns filled with Lorem Ipsum text.",
        "Lorem ipsum dolor sit amet, consectetuer adipiscing elit.",
    ]
    assert (
        "Pellentesque habitant morbi tristique senectus et netus et malesuada fames ac turpis "
        "egestas."
    ) in sentences
    assert not any("\ufffe" in sentence or "\n" in sentence for sentence in sentences)


def test_german_book_preface(corpus):
    sentences = split_sentences(pdf_text(corpus / "GeoTopo-komprimiert.pdf"), "de")
    start = sentences.index("Vorwort")
    assert sentences[start : start + 6] == [
        "Vorwort",
        "Dieses Skript wurde im Wintersemester 2013/2014 von Martin Thoma geschrieben.",
        "Es beinhaltet die Mitschriften aus der Vorlesung von Prof. Dr. Herrlich sowie die "
        "Mitschriften einiger Übungen und Tutorien.",
        "Das Skript ist kostenlos über martin-thoma.com/geotopo verfügbar.",
        "Wer es gerne in A5 (SchwarzWeiß, Ringbindung) für 10 Euro hätte, kann mir eine E-Mail "
        "schicken (info@martin-thoma.de).",
        "Danksagungen",
    ]
    assert (
        "Tatsächlich basiert die Struktur dieses Skripts auf der Vorlesung von Herrn Prof. Dr. "
        "Herrlich und ganze Abschnitte konnten direkt mit LATEX umgesetzt werden."
    ) in sentences
    assert (
        "Es gibt auch Mengen, die weder abgeschlossen, noch offen sind wie z. B. [0, 1)."
        in sentences
    )


# -- properties -----------------------------------------------------------------------------

_PIECES = [*'abcdeXYZäßé019 .,!?()"\n\f', "Dr", "z. B", "  ", "...", ". ", "\n\n", "etc"]
_PLAIN = st.lists(st.sampled_from(_PIECES), max_size=120).map("".join)


@given(_PLAIN, st.sampled_from([None, "en", "de", "fr", "es", "pt", "it", "ca", "ar"]))
def test_no_word_is_lost_or_reordered(text, language):
    sentences = split_sentences(text, language)
    assert " ".join(sentences).split() == text.split()
    assert all(sentence and sentence == sentence.strip() for sentence in sentences)
    assert not any(char in sentence for sentence in sentences for char in "\n\f")


def test_a_line_break_inside_a_chinese_sentence_adds_no_space() -> None:
    text = "城市议会昨天批准了明\n年的预算。新预算增加了公共\n交通的投入！\nThe end of a\nline."
    assert split_sentences(text, "zh") == [
        "城市议会昨天批准了明年的预算。",
        "新预算增加了公共交通的投入！",
        "The end of a line.",
    ]
