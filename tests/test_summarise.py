"""Tests of digest.content.summarise: extractive summaries, LEAD, standfirsts and boilerplate.

The articles are written for these tests (fictional content).  Each kind of page and feed
boilerplate is embedded in a realistic article, at the top (where LEAD would take it),
glued to the first sentence, and in the middle, and must never reach a summary.
"""

from __future__ import annotations

import pytest

from digest.content.summarise import Summary, clean_sentences, is_teaser, lead, summarise

TITLE = "Harbour council backs tidal energy pilot"

STORY = [
    "The harbour council of Port Wenlow has approved a two-year pilot of tidal turbines "
    "beside the old pier, ending a decade of argument over the site.",
    "Councillors voted nine to two in favour on Monday evening after a four-hour debate in "
    "which residents spoke both for and against the turbines.",
    "The start-up behind the scheme, Kelpwater Energy, said the three turbines would power "
    "about four hundred homes when the tide runs at full strength.",
    "Opponents warned that the turbines could disturb a colony of grey seals that breeds on "
    "the rocks below the pier every autumn.",
    "Kelpwater Energy has agreed to fund a survey of the seal colony by the regional "
    "wildlife trust before any turbine is installed.",
    "The harbour master, Colin Faraday, said fishing boats would still be able to use the "
    "eastern channel while the turbines are tested.",
    "The pilot will be reviewed by the council after twelve months, and the turbines will "
    "be removed if the survey finds harm to the seals.",
]
ARTICLE = "\n\n".join(STORY)

# (boilerplate line, a string that must not appear in any summary)
BOILERPLATE = [
    ("Source: AAP / Lukas Coch", "AAP"),
    ("Photo: Getty Images", "Getty"),
    ("Councillors gather in the chamber before the vote (Reuters)", "Councillors gather"),
    ("Picture: Harbour Trust", "Picture"),
    ("Image copyright Getty Images Image caption Councillors debated for four hours", "copyright"),
    ("By Jane Doe, Political Editor", "Jane Doe"),
    ("By Jane Doe and Tom Price for the Wenlow Herald", "Jane Doe"),
    ("Updated 10:32 GMT, 3 March 2026", "10:32"),
    ("PUBLISHED: 12:01 EST, 3 March 2026 | UPDATED: 12:45 EST, 3 March 2026", "EST"),
    ("Share", "Share"),
    ("Share this article", "Share"),
    ("Share on Facebook Share on Twitter Share by email", "Share"),
    ("Listen to this article", "Listen"),
    ("Listen to the Harbour Weekly podcast wherever you get your podcasts", "podcast"),
    ("Listen to our interview with the harbour master", "Listen"),
    ("Sign up now", "Sign up"),
    ("Sign up for our newsletter to get the latest news delivered to your inbox", "newsletter"),
    ("Download our apps", "apps"),
    ("Download the Herald app for iPhone and Android", "Herald app"),
    ("Subscribe to the Herald for just £1 a week", "Subscribe"),
    ("Already a subscriber? Log in to read on", "subscriber"),
    ("Support our journalism and become a member today", "journalism"),
    ("[MUSIC PLAYING]", "MUSIC"),
    ("TRANSCRIPT:", "TRANSCRIPT"),
    ("SPEAKER 1: Welcome back to the programme.", "SPEAKER"),
    ("Read more: Harbour council rejects pier plan", "Read more"),
    ("READ MORE: Seals return to Wenlow rocks", "READ MORE"),
    ("Advertisement", "Advertisement"),
    ("Last modified on Tue 3 Mar 2026 10.32 GMT", "modified"),
    (TITLE, "backs tidal energy pilot"),
    ("Harbour council backs tidal energy pilot scheme", "backs tidal energy pilot"),
    ("Turbines finally approved.", "finally approved"),
    ("THIS IS A DEVELOPING STORY AND WILL BE UPDATED", "DEVELOPING"),
    (
        "By . Daily Mail Reporter . PUBLISHED: 12:01 EST, 3 March 2014 | . UPDATED: "
        "12:45 EST, 3 March 2014 .",
        "Daily Mail",
    ),
    ("Scroll down for video", "Scroll"),
    (
        "Controversy: Councillor Ruth Abernethy, who led the campaign, outside the chamber",
        "Abernethy",
    ),
    ("Click on the photos above to see the turbines being tested", "photos above"),
    ("This article was amended on 4 March 2026 to correct the spelling of a name.", "amended"),
    ("By Jane Doe, political editor, in Port Wenlow", "Jane Doe"),
    ("We use cookies to give you the best experience on our website.", "cookies"),
    ("Reporting by Jane Doe; Editing by Tom Price", "Reporting by"),
    ("The Wenlow Herald Political Desk.", "Political Desk"),
]


def summaries_of(text: str) -> list[Summary]:
    """Summaries of *text* by every method at several budgets."""
    found = [lead(text), lead(text, sentences=1), lead(text, sentences=5)]
    for method in ("extractive", "lead"):
        for count in (1, 3, 5):
            found.append(summarise(text, title=TITLE, method=method, sentences=count))
        found.append(summarise(text, title=TITLE, method=method, max_words=1_000_000))
    return found


def assert_clean(text: str, marker: str) -> None:
    for summary in summaries_of(text):
        assert summary.sentences, summary
        assert marker not in summary.text, (summary.method, summary.sentences)
    assert not any(marker in sentence for sentence in clean_sentences(text, title=TITLE))


@pytest.mark.parametrize(("line", "marker"), BOILERPLATE, ids=[m for _, m in BOILERPLATE])
def test_boilerplate_paragraph_at_the_top_never_appears(line: str, marker: str) -> None:
    assert_clean(f"{line}\n\n{ARTICLE}", marker)


@pytest.mark.parametrize(("line", "marker"), BOILERPLATE, ids=[m for _, m in BOILERPLATE])
def test_boilerplate_paragraph_in_the_middle_never_appears(line: str, marker: str) -> None:
    text = "\n\n".join([*STORY[:2], line, *STORY[2:]])
    assert_clean(text, marker)


@pytest.mark.parametrize(("line", "marker"), BOILERPLATE, ids=[m for _, m in BOILERPLATE])
def test_boilerplate_line_above_the_lead_in_one_paragraph_never_appears(
    line: str, marker: str
) -> None:
    text = f"{line}\n{STORY[0]} {STORY[1]}\n\n" + "\n\n".join(STORY[2:])
    assert_clean(text, marker)
    assert clean_sentences(text)[-len(STORY) :] == STORY  # the story stays


# the boilerplate lines that hold nothing of their own ("SPEAKER 1: Welcome back..." does)
EMPTY_LINES = [line for line, _ in BOILERPLATE if not line.startswith("SPEAKER")]


def test_all_boilerplate_together_leaves_the_story() -> None:
    top = "\n\n".join(EMPTY_LINES)
    text = f"{top}\n\n{ARTICLE}\n\n{top}"
    assert clean_sentences(text, title=TITLE) == STORY
    assert lead(text).sentences == tuple(STORY[:3])


@pytest.mark.parametrize(
    ("prefix", "marker"),
    [
        ("LONDON (Reuters) - ", "Reuters"),
        ("PORT WENLOW, March 3 (Reuters) - ", "Reuters"),
        ("(CNN) -- ", "CNN"),
        ("(CNN)", "CNN"),
        ("Wenlow (CNN)", "CNN"),
        ("WASHINGTON \u2014 ", "WASHINGTON"),
        ("PUBLISHED: 12:01 EST, 3 March 2014 | . UPDATED: 12:45 EST, 3 March 2014 . ", "EST"),
        ("Share this article ", "Share"),
        ("Advertisement ", "Advertisement"),
        ("Listen to this article ", "Listen"),
        ("[MUSIC PLAYING] ", "MUSIC"),
        ("SPEAKER 1: ", "SPEAKER"),
        ("TRANSCRIPT: ", "TRANSCRIPT"),
    ],
)
def test_prefixes_are_stripped_from_the_first_sentence(prefix: str, marker: str) -> None:
    text = prefix + ARTICLE
    cleaned = clean_sentences(text)
    assert cleaned[0] == STORY[0]
    assert lead(text).sentences[0] == STORY[0]
    assert_clean(text, marker)


def test_picture_references_and_stage_directions_are_removed_inside_sentences() -> None:
    text = (
        "The harbour master (pictured) said boats could still use the channel. "
        "Councillors applauded [APPLAUSE] when the vote was read out on Monday."
    )
    assert clean_sentences(text) == [
        "The harbour master said boats could still use the channel.",
        "Councillors applauded when the vote was read out on Monday.",
    ]


def test_scroll_down_for_video_and_what_follows_it_are_dropped() -> None:
    text = f"{STORY[0]} Scroll down for video {STORY[1]}\n\n{STORY[2]} Scroll down for video"
    assert clean_sentences(text) == [STORY[0], STORY[2]]


def test_caption_glued_to_the_lead_is_dropped() -> None:
    text = (
        "A turbine is lowered into the water beside the old pier in a trial last year "
        + STORY[0]
        + " Scroll down for video Harbour master Colin Faraday (left) with the council "
        + STORY[1]
    )
    assert clean_sentences(text) == [STORY[0]]
    assert lead(text).sentences == (STORY[0],)


@pytest.mark.parametrize(
    "caption",
    [
        "Seals on the rocks below the pier. Photo: Harbour Trust/AAP",
        "Seals on the rocks below the pier Photo: Harbour Trust/AAP",
        "Seals bask on the rocks below the pier. (Reuters)",
        "Seals bask on the rocks below the pier (AP Photo/Jane Doe)",
        "Seals bask on the rocks below the pier. Picture: Jane Doe",
    ],
)
def test_caption_with_a_credit_is_dropped(caption: str) -> None:
    text = f"{STORY[0]}\n\n{caption}\n\n{STORY[1]}"
    assert clean_sentences(text) == [STORY[0], STORY[1]]
    text = f"{caption}\n\n{STORY[0]} {STORY[1]}"
    assert lead(text, sentences=1).sentences == (STORY[0],)


def test_table_rows_and_bullets() -> None:
    text = (
        "| Turbine | Output | Depth |\n\n| North | 120 kW | 14 m |\n\n"
        f"- {STORY[0]}\n\n\u2022 {STORY[1]}"
    )
    assert clean_sentences(text) == [STORY[0], STORY[1]]
    row = "| North turbine | 120 kW at full tide | 14 metres deep | Installed in September. |"
    assert clean_sentences(f"{STORY[0]}\n\n{row}") == [STORY[0]]


def test_unspaced_scripts_are_counted_by_characters() -> None:
    from digest.content.summarise import count_words

    text = "男性が逮捕されました。報道によると「脱獄」したiPhone。もちろん、Apple社は認めません。"
    assert count_words("男性が逮捕されました。") == 5
    assert count_words(STORY[0]) == len(STORY[0].split())
    summary = summarise(text, sentences=2)
    assert summary.sentences == ("男性が逮捕されました。", "報道によると「脱獄」したiPhone。")


def test_real_sentences_mentioning_boilerplate_words_stay() -> None:
    kept = [
        "Share prices in Kelpwater Energy rose by a fifth after the council's decision.",
        "By Tuesday, the council had received more than two hundred letters about the plan.",
        "The council said it would publish the survey and a photo of every turbine.",
        "Residents can sign the petition at the library until the end of the month.",
    ]
    assert clean_sentences(" ".join(kept)) == kept


# --- budget ----------------------------------------------------------------------------------


def words(summary: Summary) -> int:
    return sum(len(sentence.split()) for sentence in summary.sentences)


@pytest.mark.parametrize("method", ["extractive", "lead"])
@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 10])
def test_sentence_budget(method: str, count: int) -> None:
    summary = summarise(ARTICLE, method=method, sentences=count, max_words=10_000)
    assert len(summary.sentences) == min(count, len(STORY))


@pytest.mark.parametrize("method", ["extractive", "lead"])
@pytest.mark.parametrize("max_words", [30, 45, 60, 90])
def test_word_budget_whole_sentences_in_article_order(method: str, max_words: int) -> None:
    summary = summarise(ARTICLE, method=method, sentences=5, max_words=max_words)
    assert summary.sentences
    assert words(summary) <= max_words
    positions = [STORY.index(sentence) for sentence in summary.sentences]  # whole sentences
    assert positions == sorted(positions)


def test_lead_skips_a_sentence_that_would_overflow_and_takes_a_shorter_one() -> None:
    first = "The council approved the pilot of tidal turbines on Monday evening."  # 11 words
    long = (
        "Councillors voted nine to two after a long debate in which residents, fishermen "
        "and the wildlife trust spoke."
    )  # 19 words
    short = "The turbines will be tested for a year."  # 8 words
    text = f"{first} {long} {short}"
    assert lead(text, max_words=20).sentences == (first, short)
    assert lead(text, max_words=30).sentences == (first, long)
    assert lead(text).sentences == (first, long, short)
    assert summarise(text, method="lead", max_words=20).sentences == (first, short)


def test_extractive_never_exceeds_the_word_budget_by_adding() -> None:
    summary = summarise(ARTICLE, sentences=3, max_words=50)
    assert words(summary) <= 50
    assert len(summary.sentences) == 2  # every story sentence has 20 to 25 words


def test_a_single_sentence_longer_than_the_budget_is_returned_whole() -> None:
    sentence = " ".join(["The council approved the plan"] * 30) + "."  # 150 words
    for summary in (
        summarise(sentence),
        summarise(sentence, method="lead"),
        lead(sentence, max_words=90),
    ):
        assert summary.sentences == (sentence,)


def test_a_first_sentence_longer_than_the_budget_is_returned_alone_by_lead() -> None:
    first = " ".join(["The council approved the plan"] * 20) + "."  # 100 words
    text = f"{first} {STORY[1]} {STORY[2]}"
    assert lead(text, max_words=90).sentences == (first,)


def test_extractive_takes_the_best_sentences_that_fit() -> None:
    long = " ".join(["Councillors in Port Wenlow approved tidal turbines beside the old pier"] * 5)
    text = "\n\n".join([long + ".", *STORY[1:]])  # 56 words, then sentences of 20-25
    summary = summarise(text, max_words=50)
    assert summary.sentences == (STORY[1], STORY[3])
    assert summarise(text, max_words=60).sentences == (long + ".",)


def test_extractive_prefers_sentences_that_fit_over_a_long_one() -> None:
    first = " ".join(["The council approved the tidal turbine plan"] * 15) + "."  # 105 words
    text = f"{first} {STORY[1]} {STORY[2]}"
    summary = summarise(text, max_words=90)
    assert summary.sentences == (STORY[1], STORY[2])


def test_invalid_budgets_and_methods() -> None:
    with pytest.raises(ValueError, match="sentences"):
        summarise(ARTICLE, sentences=0)
    with pytest.raises(ValueError, match="max_words"):
        summarise(ARTICLE, max_words=0)
    with pytest.raises(ValueError, match="method"):
        summarise(ARTICLE, method="abstractive")
    with pytest.raises(ValueError, match="sentences"):
        lead(ARTICLE, sentences=0)


# --- the extractive scorer -------------------------------------------------------------------


def test_extractive_keeps_the_lead_sentence() -> None:
    summary = summarise(ARTICLE)
    assert summary.method == "extractive"
    assert summary.sentences[0] == STORY[0]
    assert len(summary.sentences) == 3


def test_extractive_skips_a_near_repeat_of_a_chosen_sentence() -> None:
    repeat = (
        "The harbour council of Port Wenlow approved a two-year pilot of tidal turbines "
        "beside the old pier on Monday, ending a decade of argument."
    )
    text = "\n\n".join([STORY[0], repeat, *STORY[1:]])
    summary = summarise(text, sentences=3, max_words=1000)
    assert STORY[0] in summary.sentences
    assert repeat not in summary.sentences
    assert lead(text, max_words=1000).sentences[1] == repeat  # LEAD has no such check


def test_extractive_avoids_questions_and_quotations_near_the_top() -> None:
    question = "Will the turbines really power four hundred homes when the tide is at its peak?"
    quote = (
        '"We have argued about this pier for a decade and it is time to act," said '
        "councillor Ruth Abernethy."
    )
    text = "\n\n".join([STORY[0], question, quote, *STORY[1:]])
    summary = summarise(text, sentences=3, max_words=1000)
    assert question not in summary.sentences
    assert quote not in summary.sentences
    assert lead(text, max_words=1000).sentences == (STORY[0], question, quote)


def test_extractive_avoids_a_quotation_right_after_the_lead() -> None:
    quote = (
        '"We have argued about this pier for a decade and it is time to act," said '
        "councillor Ruth Abernethy."
    )
    text = "\n\n".join([STORY[0], quote, *STORY[1:]])
    summary = summarise(text, sentences=3, max_words=1000)
    assert summary.sentences == (STORY[0], STORY[1], STORY[3])
    unmarked = (
        "We have argued about this pier for a decade and it is time to act, councillor Ruth "
        "Abernethy said on Monday."
    )
    text = "\n\n".join([STORY[0], unmarked, *STORY[1:]])
    assert unmarked not in summarise(text, sentences=3, max_words=1000).sentences


def test_extractive_avoids_a_fragment_that_starts_in_lower_case() -> None:
    fragment = "to the harbour office, where the plans for the turbines can be seen on weekdays."
    text = "\n\n".join([STORY[0], fragment, *STORY[1:]])
    summary = summarise(text, sentences=3, max_words=1000)
    assert fragment not in summary.sentences
    assert summary.sentences[:2] == (STORY[0], STORY[1])


def test_chosen_sentences_come_back_in_article_order() -> None:
    from digest.content.extractive import fit as _fit

    sentences = ["First one here.", "Second one here.", "Third one here.", "Fourth one here."]
    assert _fit(sentences, [3, 0, 2], 3, None) == (sentences[0], sentences[2], sentences[3])
    assert _fit(sentences, [3, 0, 2], 2, 6) == (sentences[0], sentences[3])


def test_extractive_prefers_central_sentences_over_an_aside() -> None:
    aside = (
        "The old pier itself was built in 1887 by a Victorian railway company that later "
        "went bankrupt in a famous scandal."
    )
    text = "\n\n".join([STORY[0], aside, *STORY[1:]])
    assert aside not in summarise(text, sentences=3, max_words=1000).sentences


def test_determinism() -> None:
    first = summarise(ARTICLE, title=TITLE)
    summarise("Something else entirely was discussed at the meeting on Tuesday night.")
    assert summarise(ARTICLE, title=TITLE) == first
    assert [summarise(ARTICLE, title=TITLE).sentences for _ in range(5)] == [first.sentences] * 5


def test_summary_text_joins_sentences_with_single_spaces() -> None:
    summary = Summary(("One sentence here.", "Another one."), "lead")
    assert summary.text == "One sentence here. Another one."
    assert Summary((), "extractive").text == ""


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"])
def test_empty_input(text: str) -> None:
    for summary in (
        summarise(text),
        summarise(text, method="lead"),
        summarise(text, description=" ".join(STORY[:2])),
        lead(text),
    ):
        assert summary.sentences == ()
        assert summary.text == ""
    assert clean_sentences(text) == []


def test_text_of_only_boilerplate_gives_an_empty_summary() -> None:
    text = "\n\n".join(EMPTY_LINES)
    assert summarise(text, title=TITLE).sentences == ()
    assert summarise(text, title=TITLE, method="lead").sentences == ()
    # without the title, its repetitions are headings, kept only when nothing else is left
    assert lead(text).sentences == (TITLE, "Harbour council backs tidal energy pilot scheme")
    assert lead(f"{text}\n\n{STORY[0]}").sentences == (STORY[0],)


# --- method selection and standfirst ---------------------------------------------------------

STANDFIRST = (
    "Port Wenlow's harbour council has approved a two-year pilot of tidal turbines beside "
    "the old pier. A survey of the grey seal colony will come first."
)


def test_lead_method_is_the_lead_baseline() -> None:
    summary = summarise(ARTICLE, method="lead")
    assert summary == Summary(tuple(STORY[:3]), "lead")
    assert lead(ARTICLE) == summary
    assert lead(ARTICLE, sentences=2).sentences == tuple(STORY[:2])


def test_real_standfirst_is_used() -> None:
    for method in ("extractive", "lead"):
        summary = summarise(ARTICLE, title=TITLE, description=STANDFIRST, method=method)
        assert summary.method == "standfirst"
        assert summary.sentences == (
            "Port Wenlow's harbour council has approved a two-year pilot of tidal turbines "
            "beside the old pier.",
            "A survey of the grey seal colony will come first.",
        )


def test_standfirst_without_a_final_full_stop_is_used() -> None:
    description = "Councillors vote nine to two for a pilot of tidal turbines beside the old pier"
    summary = summarise(ARTICLE, title=TITLE, description=description)
    assert summary == Summary((description,), "standfirst")


def test_standfirst_respects_the_budget() -> None:
    summary = summarise(ARTICLE, description=STANDFIRST, sentences=1)
    assert summary.method == "standfirst"
    assert len(summary.sentences) == 1
    summary = summarise(ARTICLE, description=STANDFIRST, max_words=20)
    assert summary.sentences == (STANDFIRST.split(". ")[0] + ".",)


@pytest.mark.parametrize(
    "description",
    [
        STANDFIRST[:-1] + "\u2026",
        STANDFIRST[:-1] + "...",
        STANDFIRST + " [\u2026]",
        STANDFIRST + " Read more",
        STANDFIRST + " Continue reading\u2026",
        STANDFIRST + " Click here to find out more.",
        STANDFIRST + " The post Harbour council backs pilot appeared first on Wenlow Herald.",
        "Port Wenlow's harbour council has approved a two-year pilot of tidal turbines beside the",
        "What will tidal turbines beside the old pier mean for Port Wenlow's grey seal colony?",
    ],
)
def test_teaser_descriptions_are_not_used(description: str) -> None:
    assert is_teaser(description)
    summary = summarise(ARTICLE, title=TITLE, description=description)
    assert summary.method == "extractive"
    assert summary == summarise(ARTICLE, title=TITLE)


@pytest.mark.parametrize(
    "description",
    [
        "Photo: the harbour council of Port Wenlow approved a pilot of tidal turbines beside "
        "the old pier.",
        "Tidal turbines approved for the old pier.",  # too short
        "Harbour council backs tidal energy pilot beside the old pier at Port Wenlow in vote.",
        "Harbour council backs tidal energy pilot beside the old pier at Port Wenlow. The vote "
        "was nine to two.",  # the title, then a sentence
        "The harbour council of Port Wenlow has approved a two-year pilot of tidal turbines pi",
        "The harbour council of Port Wenlow has approved a two-year pilot of tidal turbines (the "
        "first",  # cut at a length limit
        '"The harbour council has approved a two-year pilot of tidal turbines beside the old '
        'pier," the council said.',  # a pull quote
        "The Wenlow Herald brings you the latest news, sport and weather from Port Wenlow and "
        "the surrounding villages every day.",  # a site description
        "A new bakery has opened on the high street, selling sourdough loaves and cakes made "
        "with flour from the mill.",  # another story
        "Sign up for our newsletter to get the latest harbour news and tidal turbine updates "
        "delivered to your inbox.",
    ],
)
def test_descriptions_that_are_not_a_summary_are_not_used(description: str) -> None:
    title = "Harbour council backs tidal energy pilot beside the old pier at Port Wenlow"
    summary = summarise(ARTICLE, title=title, description=description)
    assert summary.method == "extractive"


@pytest.mark.parametrize(
    ("description", "teaser"),
    [
        ("", False),
        (STANDFIRST, False),
        ("Councillors approved the plan.", False),
        ("Councillors approved the plan \u2026", True),
        ("Councillors approved the plan [...]", True),
        ("Councillors approved the plan. Read more \u00bb", True),
        ("Councillors approved the plan. Continue reading", True),
        ("Councillors approved the plan. Click here", True),
        ("Find out what the council decided about the old pier.", True),
        ("Councillors approved the plan and", True),
        ("Councillors approved the plan despite concerns over the seal colony", False),
        ("Will the council approve the plan?", True),
    ],
)
def test_is_teaser(description: str, teaser: bool) -> None:
    assert is_teaser(description) is teaser


# --- audit of issue 3: more real-world wordings of each kind of boilerplate --------------

# (kind, line, a string that must not appear in any summary)
BOILERPLATE_VARIANTS = [
    ("caption", "Seals on the rocks below the pier (Getty Images)", "Seals on the rocks"),
    ("credit", "Source: AAP/Lukas Coch", "AAP"),
    ("credit", "Image: Supplied", "Supplied"),
    ("credit", "Credit: Jane Doe for The Herald", "Credit"),
    ("credit", "Photograph: Jane Doe/The Wenlow Herald", "Photograph"),
    ("byline", "By JANE DOE", "JANE DOE"),
    ("byline", "By Jane Doe | The Wenlow Herald", "Jane Doe"),
    ("dateline", "Tue 3 Mar 2026 10.32 GMT", "GMT"),
    ("dateline", "Published 3 March 2026", "Published"),
    ("share", "Share via Email", "Share"),
    ("share", "Share this with Facebook Twitter Email", "Share"),
    ("listen", "Listen \u00b7 4 min", "Listen"),
    ("listen", "Listen to this story. 4 min", "Listen"),
    ("sign-up", "Sign up now for our free morning newsletter.", "Sign up"),
    ("sign-up", "Sign up to our free newsletter.", "Sign up"),
    ("apps", "Download our app for the latest news.", "Download"),
    ("apps", "Download the app", "Download"),
    ("subscription", "Subscribe for unlimited access to the Herald.", "Subscribe"),
    ("subscription", "Become a subscriber today and get 50% off.", "subscriber"),
    ("subscription", "Start your free trial today.", "trial"),
    ("subscription", "You have reached your limit of free articles this month.", "limit"),
    ("podcast", "Subscribe to our podcast on Apple Podcasts or Spotify.", "podcast"),
    (
        "podcast",
        "Listen to our podcast, Harbour Weekly, on Apple Podcasts, Spotify or wherever you listen.",
        "Harbour Weekly",
    ),
    ("transcript", "(SOUNDBITE OF MUSIC)", "SOUNDBITE"),
    ("transcript", "[Music]", "Music"),
    ("transcript", "HOST: Welcome back to the programme.", "HOST"),
    ("transcript", "Transcript", "Transcript"),
    ("title", "HARBOUR COUNCIL BACKS TIDAL ENERGY PILOT", "HARBOUR"),
    ("title", "Harbour Council Backs Tidal Energy Pilot", "Backs"),
]


@pytest.mark.parametrize(
    ("kind", "line", "marker"),
    BOILERPLATE_VARIANTS,
    ids=[f"{kind}-{marker}" for kind, _, marker in BOILERPLATE_VARIANTS],
)
def test_boilerplate_variants_never_appear(kind: str, line: str, marker: str) -> None:
    assert_clean(f"{line}\n\n{ARTICLE}", marker)  # a paragraph at the top
    assert_clean("\n\n".join([*STORY[:2], line, *STORY[2:]]), marker)  # in the middle
    above = f"{line}\n{STORY[0]} {STORY[1]}\n\n" + "\n\n".join(STORY[2:])
    assert_clean(above, marker)  # a line of the lead's paragraph
    assert clean_sentences(above)[-len(STORY) :] == STORY


def test_caption_sentence_before_its_credit_never_appears() -> None:
    caption = (
        "Harbour master Colin Faraday on the old pier on Monday. "
        "Photograph: Jane Doe/The Wenlow Herald"
    )
    for text in (f"{caption}\n\n{ARTICLE}", "\n\n".join([*STORY[:2], caption, *STORY[2:]])):
        assert_clean(text, "Colin Faraday on the old pier")
        assert_clean(text, "Photograph")


def test_standfirst_is_used_whole_and_only_when_it_is_no_teaser() -> None:
    real = summarise(ARTICLE, title=TITLE, description=STANDFIRST, sentences=3, max_words=90)
    assert real.method == "standfirst" and real.text == STANDFIRST
    for ending in ("\u2026", "...", " Read more", " Read more \u00bb", " [Read more]"):
        teaser = STANDFIRST[:-1] + ending
        summary = summarise(ARTICLE, title=TITLE, description=teaser)
        assert summary.method == "extractive", ending
        assert "Read more" not in summary.text and not summary.text.endswith("\u2026")


# --- the junk patterns' keyword pre-check (a speed-up) must not change what they find ----


@pytest.mark.parametrize(
    "sentence",
    [
        "Scroll down to see the photos above.",
        "Sign up to our newsletter for the latest news, delivered to your inbox.",
        "Tap the gallery to see more images.",
        "Video above: the turbines at work.",
        "Read the full interview at the top of this story.",
        "Photo: Kelpwater Energy",
        "Seals on the rocks below the pier (Getty Images).",
        "This story originally appeared on the Wenlow Herald website.",
        "Please s\u0131gn up now to get the app.",  # dotless i: IGNORECASE matches it as "i"
        "Listen to the \u017fhow wherever you get your podcasts.",  # long s
        "The council voted nine to two in favour of the tidal turbines on Monday.",
        "\u201cWe are delighted,\u201d said the chief executive of Kelpwater Energy.",
    ],
)
def test_junk_keyword_precheck_agrees_with_the_patterns(sentence: str) -> None:
    from digest.content.junk import _JUNK_RULES, _matches_junk

    expected = any(rule.pattern.search(sentence) for rule in _JUNK_RULES)
    assert _matches_junk(sentence) is expected


def test_junk_precheck_falls_back_for_letters_that_ignorecase_equates() -> None:
    from digest.content.junk import _matches_junk

    assert _matches_junk("Please s\u0131gn up now to get the app.")


@pytest.mark.parametrize(
    ("sentence", "shouting"),
    [
        ("BREAKING NEWS: COUNCIL BACKS TIDAL PILOT", True),
        ("\u00c9NORME SUCC\u00c8S POUR LA VILLE", True),
        ("NHS and BBC staff met the MP in Port Wenlow on Monday.", False),
        ("ABC DEF", False),  # fewer than eight letters
        ("The council met.", False),
        ("", False),
    ],
)
def test_shouting(sentence: str, shouting: bool) -> None:
    from digest.content.junk import _is_shouting

    assert _is_shouting(sentence) is shouting


# --- audit of issue 5: boilerplate that still slipped through ----------------------------

REST = "\n\n".join(STORY[2:])


@pytest.mark.parametrize(
    ("label", "marker"),
    [
        ("STEVE INSKEEP, HOST: ", "INSKEEP"),
        ("A MARTINEZ, BYLINE: ", "MARTINEZ"),
        ("UNIDENTIFIED PERSON #1: ", "UNIDENTIFIED"),
    ],
)
def test_transcript_speaker_labels_with_a_role_or_number_are_stripped(
    label: str, marker: str
) -> None:
    text = label + ARTICLE
    assert clean_sentences(text) == STORY  # the label goes, what was said stays
    assert lead(text).sentences[0] == STORY[0]
    assert_clean(text, marker)
    middle = "\n\n".join([*STORY[:2], label + STORY[2], *STORY[3:]])
    assert clean_sentences(middle, title=TITLE) == STORY


def test_transcript_of_several_speakers_keeps_what_they_said() -> None:
    labels = ["STEVE INSKEEP, HOST: ", "A MARTINEZ, BYLINE: ", "UNIDENTIFIED PERSON #1: "]
    text = "\n\n".join(label + sentence for label, sentence in zip(labels, STORY, strict=False))
    assert clean_sentences(text) == STORY[:3]


@pytest.mark.parametrize(
    "credit",
    ["Source: AAP / Lukas Coch", "Photo: Harbour Trust/AAP", "(AP Photo/Jane Doe)"],
)
def test_long_caption_line_ending_in_a_credit_does_not_swallow_the_lead(credit: str) -> None:
    caption = "A grey seal on the rocks below the old pier."  # with the credit, over 12 words
    text = f"{caption} {credit}\n{STORY[0]} {STORY[1]}\n\n{REST}"
    assert len(f"{caption} {credit}".split()) > 12
    assert clean_sentences(text, title=TITLE) == STORY
    assert lead(text, sentences=1).sentences == (STORY[0],)
    assert_clean(text, "A grey seal")
    assert_clean(text, credit[:6])


@pytest.mark.parametrize(
    ("line", "marker"),
    [
        ("Don't miss out - subscribe to the Herald today.", "subscribe"),
        ("Don't miss out \u2014 subscribe to the Herald today.", "subscribe"),
        ("To keep reading, subscribe to the Herald.", "subscribe"),
        ("This is a transcript of the Harbour Weekly podcast.", "transcript"),
        ("This is a rush transcript.", "transcript"),
        ("Want more stories like this?\nSign up for our newsletter.", "Want more"),
        ("Want more stories like this? Sign up for our newsletter.", "Want more"),
        ("Enjoyed this article?\nSubscribe to the Herald for just \u00a31 a week.", "Enjoyed"),
    ],
)
def test_more_promotions_never_appear(line: str, marker: str) -> None:
    assert_clean(f"{line}\n\n{ARTICLE}", marker)  # a paragraph at the top
    middle = "\n\n".join([*STORY[:2], line, *STORY[2:]])
    assert_clean(middle, marker)
    assert clean_sentences(middle, title=TITLE) == STORY
    above = f"{line}\n{STORY[0]} {STORY[1]}\n\n{REST}"
    assert_clean(above, marker)  # lines of the lead's paragraph
    assert clean_sentences(above, title=TITLE) == STORY


def test_teaser_question_in_its_own_paragraph_goes_with_the_promotion() -> None:
    for promotion in ("Sign up for our newsletter.", "Subscribe to the Herald today."):
        text = "\n\n".join([*STORY[:2], "Want more stories like this?", promotion, *STORY[2:]])
        assert clean_sentences(text, title=TITLE) == STORY
        assert_clean(text, "Want more")


def test_real_sentences_about_subscribers_transcripts_and_questions_stay() -> None:
    kept = [
        "The streaming service said 2 million people subscribe to its premium tier.",
        "Readers who subscribe to the print edition will get the survey free.",
        "A transcript of the council meeting shows that the vote was nine to two.",
        "Who will pay for the turbines if the pilot fails?",
        "The council said it would decide on Monday.",
    ]
    assert clean_sentences(" ".join(kept)) == kept
    assert clean_sentences("\n\n".join(kept)) == kept
    # a question stays when no promotion follows it, and a promotion after other text
    # takes only itself
    text = f"{STORY[0]} Who will pay for the turbines?\n\n{STORY[1]}\n\nSign up now."
    assert clean_sentences(text) == [STORY[0], "Who will pay for the turbines?", STORY[1]]


@pytest.mark.parametrize(
    "line",
    [
        "By Jane Doe | 3 March 2026",
        "3 March 2026 \u2022 4 min read",
        "Tuesday 3 March 2026",
        "Jane Doe, Political Editor",
    ],
)
def test_short_unpunctuated_line_ending_a_paragraph_is_dropped(line: str) -> None:
    text = f"{STORY[0]}\n{line}\n\n" + "\n\n".join(STORY[1:])
    assert clean_sentences(text, title=TITLE) == STORY
    assert lead(text, sentences=2).sentences == tuple(STORY[:2])
    assert_clean(text, line[:6])
    text = f"{STORY[0]} {STORY[1]}\n{line}\n\n{REST}"
    assert clean_sentences(text) == STORY


def test_unpunctuated_end_of_a_paragraph_that_is_a_sentence_stays() -> None:
    wrapped = "The council met on Monday evening and after a long debate\nvoted to approve it"
    text = f"{STORY[0]} {wrapped}\n\n{STORY[1]}"
    assert clean_sentences(text) == [STORY[0], " ".join(wrapped.split()), STORY[1]]
    long = "Councillors will meet again in the spring to hear the wildlife trust report"
    text = f"{STORY[0]}\n{long}\n\n{STORY[1]}"
    assert clean_sentences(text) == [STORY[0], long, STORY[1]]  # longer than a label
    # on the same line as the sentence before it, an unpunctuated end stays too
    text = f"{STORY[0]} Councillors will meet again in the spring\n\n{STORY[1]}"
    assert clean_sentences(text)[1] == "Councillors will meet again in the spring"


@pytest.mark.parametrize("separator", [" - ", " | ", " \u2014 ", " \u2013 "])
def test_title_with_the_site_name_is_dropped(separator: str) -> None:
    line = f"{TITLE}{separator}The Wenlow Herald"
    below = f"{STORY[0]}\n{line}\n\n" + "\n\n".join(STORY[1:])
    same_line = f"{STORY[0]} {line}\n\n" + "\n\n".join(STORY[1:])
    punctuated = "\n\n".join([*STORY[:2], f"{line}.", *STORY[2:]])
    site_first = "\n\n".join([*STORY[:2], f"The Wenlow Herald{separator}{TITLE}.", *STORY[2:]])
    for text in (below, same_line, punctuated, site_first):
        assert clean_sentences(text, title=TITLE) == STORY, text
        for count in (1, 3, 5):
            summary = summarise(text, title=TITLE, sentences=count, max_words=1000)
            assert "Wenlow Herald" not in summary.text


def test_sentence_that_starts_like_the_title_stays() -> None:
    sentence = (
        "Harbour council backs tidal energy pilot - but the fishermen of Port Wenlow say "
        "the turbines will scare away the fish."
    )
    text = "\n\n".join([*STORY[:2], sentence, *STORY[2:]])
    assert sentence in clean_sentences(text, title=TITLE)


@pytest.mark.parametrize(
    "sentence",
    [
        "Don't miss out - subscribe to the Herald today.",
        "To keep reading, subscribe now.",
        "Please subscribe to support local journalism.",
        "The streaming service said 2 million people subscribe to its premium tier.",
        "Don't miss out - SUBSCR\u0130BE today.",  # dotted capital I
        "Don't miss out - subscr\u0131be today.",  # dotless i
        "This is a transcript of the Harbour Weekly podcast.",
        "The following is a lightly edited transcript of the interview.",
        "This transcript has been edited for length and clarity.",
        "This \u017fhow has a tran\u017fcript.",  # long s
        "A transcript of the council meeting shows that the vote was nine to two.",
    ],
)
def test_junk_keyword_precheck_agrees_with_the_new_patterns(sentence: str) -> None:
    from digest.content.junk import _JUNK_RULES, _matches_junk

    expected = any(rule.pattern.search(sentence) for rule in _JUNK_RULES)
    assert _matches_junk(sentence) is expected


def test_every_junk_rule_keyword_precheck_holds_on_its_matches() -> None:
    from digest.content.junk import _JUNK_RULES

    samples = [
        "Don't miss out - subscribe to the Herald today.",
        "To keep reading, subscribe now.",
        "Please subscribe to support local journalism.",
        "Subscribe for unlimited access to the Herald.",
        "This is a transcript of the Harbour Weekly podcast.",
        "This is a rush transcript.",
        "The following is a lightly edited transcript of the interview.",
        "This transcript has been edited for length and clarity.",
        *(line for line, _ in BOILERPLATE),
        *(line for _, line, _ in BOILERPLATE_VARIANTS),
    ]
    for sentence in samples:
        for rule in _JUNK_RULES:
            match = rule.pattern.search(sentence)
            if match and rule.keywords:
                found = match.group(0).lower()
                assert any(keyword in found for keyword in rule.keywords), (sentence, rule)


# -- a plain text that opens with a photo's caption and credit ------------------------------

SHORT_CAPTION = "Colin Faraday sits in front of a microphone at the harbour office."
LONG_CAPTION = (
    "Colin Faraday, the harbour master of Port Wenlow, sits in front of a microphone at the "
    "harbour office on Monday as councillors, residents and fishermen wait to hear what the "
    "tidal pilot will mean for the eastern channel."
)  # one sentence of more than 30 words
CAPTION_CREDITS = [
    "Photograph: Jane Doe/The Wenlow Herald",
    "Photograph: J. Scott Doe/AP",
    "Source: AAP",
    "Image: Reuters/Getty Images",
    "(AAP Image/Lukas Coch)",
    "Picture: Supplied",
]


@pytest.mark.parametrize("credit", CAPTION_CREDITS)
@pytest.mark.parametrize("caption", [SHORT_CAPTION, LONG_CAPTION], ids=["short", "long"])
@pytest.mark.parametrize("layout", ["one paragraph", "credit below"])
def test_a_caption_and_credit_opening_a_plain_text_never_appear(
    layout: str, caption: str, credit: str
) -> None:
    assert len(LONG_CAPTION.split()) > 30
    separator = " " if layout == "one paragraph" else "\n\n"
    text = f"{caption}{separator}{credit}\n\n{ARTICLE}"
    assert clean_sentences(text, title=TITLE) == STORY
    assert lead(text, sentences=1).sentences == (STORY[0],)
    assert_clean(text, "sits in front of a microphone")
    assert_clean(text, credit[:7])


@pytest.mark.parametrize("credit", ["Photograph: Jane Doe/The Wenlow Herald", "Source: AAP"])
def test_a_caption_and_credit_below_a_title_line_and_byline_never_appear(credit: str) -> None:
    # What a folder's .txt holds after its title line, or a page flattened to text.
    text = f"Harbour Council Backs Tidal Pilot\n\nBy Jane Doe\n\n{SHORT_CAPTION}\n\n{credit}\n\n"
    text += ARTICLE
    assert clean_sentences(text, title=TITLE) == STORY


def test_the_lead_stays_when_only_its_last_sentence_is_a_caption() -> None:
    # A credit glued to the opening paragraph takes the one sentence before it, not the lead.
    text = f"{STORY[0]} {SHORT_CAPTION} Photograph: Jane Doe/AAP\n\n{REST}"
    assert clean_sentences(text, title=TITLE) == [STORY[0], *STORY[2:]]


def test_an_opening_paragraph_too_long_for_a_caption_stays_above_a_credit() -> None:
    # Four sentences, or more than 60 words, are a story, not a caption.
    opening = " ".join(STORY[:4])
    text = f"{opening}\n\nPhotograph: Jane Doe/AAP\n\n{REST}"
    assert clean_sentences(text, title=TITLE)[:4] == STORY[:4]
    text = f"{STORY[0]} {STORY[1]} {STORY[2]}\n\nSource: AAP\n\n{REST}"
    assert len(f"{STORY[0]} {STORY[1]} {STORY[2]}".split()) > 60
    assert clean_sentences(text, title=TITLE)[:3] == STORY[:3]


def test_a_short_paragraph_in_the_middle_stays_above_a_credit() -> None:
    # Only the opening is taken for a caption by its layout alone.
    text = "\n\n".join([STORY[0], STORY[1], "Source: AAP", *STORY[2:]])
    assert clean_sentences(text, title=TITLE) == STORY
