"""Tests of digest.content.sentences: sentence segmentation of news text."""

from __future__ import annotations

import pytest

from digest.content import sentences as sentences_module
from digest.content.sentences import split_sentences


def test_empty_and_blank_text() -> None:
    assert split_sentences("") == []
    assert split_sentences("   \n\n \t ") == []


def test_plain_sentences_are_split_and_stripped() -> None:
    assert split_sentences("  The council met.  It voted to approve the plan.  ") == [
        "The council met.",
        "It voted to approve the plan.",
    ]


def test_text_without_final_punctuation_is_one_sentence() -> None:
    assert split_sentences("Text with no final punctuation") == ["Text with no final punctuation"]
    assert split_sentences("The vote passed. The rest is history") == [
        "The vote passed.",
        "The rest is history",
    ]


@pytest.mark.parametrize(
    "title", ["Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "Sen.", "Rep.", "Gov.", "Gen.", "Capt."]
)
def test_titles_before_names(title: str) -> None:
    text = f"The report was written by {title} Hale and colleagues. It was published today."
    assert split_sentences(text) == [
        f"The report was written by {title} Hale and colleagues.",
        "It was published today.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Acme Inc. said profits rose. Widgets Ltd. disagreed. Smith & Co. declined to comment.",
            ["Acme Inc. said profits rose.", "Widgets Ltd. disagreed.",
             "Smith & Co. declined to comment."],
        ),
        (
            "Martin Luther King Jr. spoke in 1963. The crowd listened.",
            ["Martin Luther King Jr. spoke in 1963.", "The crowd listened."],
        ),
        (
            "They met at St. Paul's Cathedral on Sunday. It was full.",
            ["They met at St. Paul's Cathedral on Sunday.", "It was full."],
        ),
        (
            "It was Apple vs. Samsung in court. Apple won.",
            ["It was Apple vs. Samsung in court.", "Apple won."],
        ),
        (
            "Some fruits, e.g. apples, are red. Others, i.e. bananas, are not.",
            ["Some fruits, e.g. apples, are red.", "Others, i.e. bananas, are not."],
        ),
        (
            "Fruit, e.g. Apples and pears, is cheaper. Vegetables are not.",
            ["Fruit, e.g. Apples and pears, is cheaper.", "Vegetables are not."],
        ),
        (
            "The U.S. economy grew. The U.K. economy did not. The U.N. met on Monday.",
            ["The U.S. economy grew.", "The U.K. economy did not.", "The U.N. met on Monday."],
        ),
        (
            "She was born in the U.S. She moved to France in 1990.",
            ["She was born in the U.S.", "She moved to France in 1990."],
        ),
    ],
)  # fmt: skip
def test_abbreviations(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_initials() -> None:
    assert split_sentences("J. R. Hale wrote the book. It sold well.") == [
        "J. R. Hale wrote the book.",
        "It sold well.",
    ]
    assert split_sentences("Former President George W. Bush spoke. He was brief.") == [
        "Former President George W. Bush spoke.",
        "He was brief.",
    ]


def test_decimals_and_money() -> None:
    text = "Prices rose 3.5 per cent to $3.5bn last year. Analysts were surprised. It cost £1.2m."
    assert split_sentences(text) == [
        "Prices rose 3.5 per cent to $3.5bn last year.",
        "Analysts were surprised.",
        "It cost £1.2m.",
    ]


def test_times() -> None:
    assert split_sentences("The meeting starts at 6.00 a.m. on Monday. Staff will attend.") == [
        "The meeting starts at 6.00 a.m. on Monday.",
        "Staff will attend.",
    ]
    assert split_sentences("The plane left at 10.30pm. It landed safely.") == [
        "The plane left at 10.30pm.",
        "It landed safely.",
    ]


def test_time_before_a_date() -> None:
    text = "They were on duty from 4 p.m. Aug. 9 to 6:30 a.m. the next day. Then they left."
    assert split_sentences(text) == [
        "They were on duty from 4 p.m. Aug. 9 to 6:30 a.m. the next day.",
        "Then they left.",
    ]


RUSSIAN = ["Эта диета пришла к нам с запада.", "В отличие от других, она работает."]  # noqa: RUF001
JAPANESE = [
    "男性が逮捕されました。",
    "報道によると「脱獄」したiPhone。",
    "本当ですか\uff1f",  # full-width question mark
    "はい\uff01",  # full-width exclamation mark
]


def test_other_alphabets_and_full_width_stops() -> None:
    assert split_sentences(" ".join(RUSSIAN)) == RUSSIAN
    assert split_sentences("Die Regierung hat entschieden. Über die Pläne wird gestritten.") == [
        "Die Regierung hat entschieden.",
        "Über die Pläne wird gestritten.",
    ]
    assert split_sentences("".join(JAPANESE)) == JAPANESE


def test_quotes_ending_in_punctuation() -> None:
    assert split_sentences('"We will win," he said. The crowd cheered.') == [
        '"We will win," he said.',
        "The crowd cheered.",
    ]
    assert split_sentences('He said: "It is over." Then he left.') == [
        'He said: "It is over."',
        "Then he left.",
    ]
    assert split_sentences("\u201cWe will win,\u201d he said. The crowd cheered.") == [
        "\u201cWe will win,\u201d he said.",
        "The crowd cheered.",
    ]
    assert split_sentences('"Is it over?" she asked. Nobody answered.') == [
        '"Is it over?" she asked.',
        "Nobody answered.",
    ]


def test_quotation_of_several_sentences_with_attribution_stays_whole() -> None:
    text = '"We know where to look. We know how to look," she said. Then she left.'
    assert split_sentences(text) == [
        '"We know where to look. We know how to look," she said.',
        "Then she left.",
    ]
    text = "\u2018It isn\u2019t fair. We\u2019ll appeal,\u2019 said Mr Smith. The club agreed."
    assert split_sentences(text) == [
        "\u2018It isn\u2019t fair. We\u2019ll appeal,\u2019 said Mr Smith.",
        "The club agreed.",
    ]


def test_question_and_exclamation_marks() -> None:
    assert split_sentences("What a day! Nobody expected it. Really? Yes.") == [
        "What a day!",
        "Nobody expected it.",
        "Really?",
        "Yes.",
    ]


def test_ellipsis_inside_a_sentence() -> None:
    assert split_sentences("The score was 2-1... and then it was 2-2. Amazing.") == [
        "The score was 2-1... and then it was 2-2.",
        "Amazing.",
    ]
    assert split_sentences("Nobody knows\u2026 yet. Then silence.") == [
        "Nobody knows\u2026 yet.",
        "Then silence.",
    ]


def test_pysbd_ellipsis_mistakes_are_repaired() -> None:
    # "U.S. Army" makes pysbd decide this piece; it splits "2-1... and" into three pieces
    assert split_sentences("The U.S. Army team led 2-1... and then it was 2-2. Amazing.") == [
        "The U.S. Army team led 2-1... and then it was 2-2.",
        "Amazing.",
    ]


def test_ellipsis_before_a_new_sentence() -> None:
    assert split_sentences("He waited... Nobody came.") == ["He waited...", "Nobody came."]


def test_never_crosses_a_paragraph_break() -> None:
    text = "The council met on Monday and\n\nvoted to approve the plan. It was late.\n \nA new day"
    assert split_sentences(text) == [
        "The council met on Monday and",
        "voted to approve the plan.",
        "It was late.",
        "A new day",
    ]


def test_wrapped_lines_are_joined_but_label_lines_are_not() -> None:
    wrapped = "The council met on Monday evening and after a long debate\nvoted to approve it."
    assert split_sentences(wrapped) == [
        "The council met on Monday evening and after a long debate voted to approve it."
    ]
    labelled = "Share\nBy Jane Doe, Political Editor\nThe minister resigned on Tuesday."
    assert split_sentences(labelled) == [
        "Share",
        "By Jane Doe, Political Editor",
        "The minister resigned on Tuesday.",
    ]


def test_full_stop_without_space() -> None:
    assert split_sentences("A court has heard.Shocking details emerged.") == [
        "A court has heard.",
        "Shocking details emerged.",
    ]


def test_caption_glued_to_a_sentence_is_split() -> None:
    text = (
        "His signature has been redacted for privacy reasons The former Labour MP, 86, "
        "claimed expenses. He told The Times he would stay."
    )
    assert split_sentences(text) == [
        "His signature has been redacted for privacy reasons",
        "The former Labour MP, 86, claimed expenses.",
        "He told The Times he would stay.",
    ]


def test_stray_full_stops_of_daily_mail_blocks() -> None:
    text = "By . Jane Doe . PUBLISHED: 12:01 EST, 3 March 2014 | . A man was arrested."
    assert split_sentences(text) == [
        "By .",
        "Jane Doe .",
        "PUBLISHED: 12:01 EST, 3 March 2014 | .",
        "A man was arrested.",
    ]


def test_sentences_are_substrings_in_order() -> None:
    text = (
        "Dr. Ann Lee, 54, of Portland, Ore., said the U.S. plan was \u201cbold.\u201d "
        "Critics disagreed! Will it pass? Nobody knows... The vote is at 9 a.m. Tuesday."
    )
    found = split_sentences(text)
    assert len(found) >= 4
    position = 0
    for sentence in found:
        position = text.index(sentence, position) + len(sentence)
    assert " ".join(found) == text


def test_pysbd_is_only_asked_about_ambiguous_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = sentences_module._pysbd

    def spy(piece: str) -> list[str]:
        calls.append(piece)
        return real(piece)

    monkeypatch.setattr(sentences_module, "_pysbd", spy)
    split_sentences("The council met on Monday. It voted. Mr. Smith left. Councillors cheered.")
    split_sentences("J. R. Hale spoke. Fruit, e.g. Apples, is cheap. He waited... Nobody came.")
    split_sentences("By . Jane Doe . The vote passed at 6.00 p.m. on Tuesday.")
    assert calls == []
    assert split_sentences("He moved to the U.S. It was 1990.") == [
        "He moved to the U.S.",
        "It was 1990.",
    ]
    assert calls == ["He moved to the U.S. It was 1990."]


def test_segmenter_is_cached() -> None:
    assert sentences_module._segmenter() is sentences_module._segmenter()


def test_language_argument_is_accepted() -> None:
    assert split_sentences("One sentence here. Another one.", language="en") == [
        "One sentence here.",
        "Another one.",
    ]


# --- audit of issue 3: news abbreviations together, and quotes ending in punctuation ------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "U.S. Sen. Elizabeth Warren spoke on Tuesday. She was brief.",
            ["U.S. Sen. Elizabeth Warren spoke on Tuesday.", "She was brief."],
        ),
        (
            "The U.S. Senate voted 51-49. Sen. John Doe, R-Texas, objected.",
            ["The U.S. Senate voted 51-49.", "Sen. John Doe, R-Texas, objected."],
        ),
        (
            "Officials in the U.S. said no. Others agreed.",
            ["Officials in the U.S. said no.", "Others agreed."],
        ),
        (
            "Lt. Gen. H.R. McMaster spoke. J.K. Rowling listened.",
            ["Lt. Gen. H.R. McMaster spoke.", "J.K. Rowling listened."],
        ),
        (
            "Mr Smith and Mrs. Jones met. They talked.",  # British "Mr" has no full stop
            ["Mr Smith and Mrs. Jones met.", "They talked."],
        ),
        (
            "Gov. Gavin Newsom of Calif. said so. He left.",
            ["Gov. Gavin Newsom of Calif. said so.", "He left."],
        ),
        (
            "The rate rose to 4.25%. Markets fell 1.5 per cent. No. 10 declined to comment.",
            ["The rate rose to 4.25%.", "Markets fell 1.5 per cent.",
             "No. 10 declined to comment."],
        ),
        (
            '"Is this it?" he asked. "Yes!" she replied. They left.',
            ['"Is this it?" he asked.', '"Yes!" she replied.', "They left."],
        ),
        (
            "\u201cWe won!\u201d she shouted. The crowd cheered.",
            ["\u201cWe won!\u201d she shouted.", "The crowd cheered."],
        ),
        (
            '"It\'s over," said Sen. Smith. "We lost." The end.',
            ['"It\'s over," said Sen. Smith.', '"We lost."', "The end."],
        ),
        (
            "He said: \u2018It is done.\u2019 Then silence.",
            ["He said: \u2018It is done.\u2019", "Then silence."],
        ),
    ],
)  # fmt: skip
def test_news_abbreviations_combined_and_quotes(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


# --- attributed quotations: the fast scan must find exactly what the pattern finds -------


def _pattern_spans(block: str) -> list[tuple[int, int]]:
    return [match.span() for match in sentences_module._ATTRIBUTED_QUOTE.finditer(block)]


@pytest.mark.parametrize(
    "block",
    [
        '"We lost. It is over," she said. "We go on." Then he left.',
        "\u201cWe lost. It is over,\u201d she said. \u2018Fine. Go,\u2019 he said.",
        "'We lost. It's over,' she said. 'Really? Yes!' he asked.",
        '"Unclosed. Quote, she said. "Another. One," he said.',
        '"' + "Word. " * 120 + 'End," she said.',  # longer than the 600-character reach
        '"' + "Word. " * 95 + 'End," she said.',
        "He said 'No. Never,' and 'Yes. Always,' she replied.",
        "No quotations here at all.",
    ],
)
def test_attributed_quote_spans(block: str) -> None:
    assert sentences_module._attributed_quotes(block) == _pattern_spans(block)


def test_attributed_quote_spans_on_random_text() -> None:
    import random

    rng = random.Random(7)
    pieces = ["a", "W", " ", " ", ",", "!", "?", ".", '"', "'", "\u201c", "\u201d", "\u2018"]
    pieces += ["\u2019", " he said", "We ", "it's "]
    for _ in range(3000):
        block = "".join(rng.choice(pieces) for _ in range(rng.choice([8, 30, 120, 700])))
        assert sentences_module._attributed_quotes(block) == _pattern_spans(block), block


# --- a line that ends in a picture credit is judged by its last sentence -----------------


@pytest.mark.parametrize(
    ("line", "units"),
    [
        (
            "A seal on the rocks below the pier. Source: AAP / Lukas Coch",
            ["A seal on the rocks below the pier.", "Source: AAP / Lukas Coch"],
        ),
        (
            "A seal rests on the rocks below the old pier Photo: Harbour Trust/AAP",
            ["A seal rests on the rocks below the old pier Photo: Harbour Trust/AAP"],
        ),
        (
            "A seal rests on the rocks below the old pier at Port Wenlow (AP Photo/Jane Doe)",
            ["A seal rests on the rocks below the old pier at Port Wenlow (AP Photo/Jane Doe)"],
        ),
    ],
)
def test_line_ending_in_a_credit_is_not_glued_to_the_next(line: str, units: list[str]) -> None:
    assert len(line.split()) > 12  # over the limit of a label line
    text = f"{line}\nThe harbour council met on Monday. It voted for the pilot."
    assert split_sentences(text) == [
        *units,
        "The harbour council met on Monday.",
        "It voted for the pilot.",
    ]


def test_long_wrapped_line_before_a_capital_stays_joined() -> None:
    text = (
        "The council met on Monday evening and after a long debate in the old\n"
        "Town Hall it voted for the pilot. Source: the minutes show it was close."
    )
    assert split_sentences(text) == [
        "The council met on Monday evening and after a long debate in the old Town Hall it "
        "voted for the pilot.",
        "Source: the minutes show it was close.",
    ]
