"""Story clustering: unit behaviour, the labelled pair set, and the bundled samples."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from digest.content import cluster as clustering
from digest.content import cluster_features
from digest.content.cluster import DEFAULT_THRESHOLD, Doc, cluster, similarity
from digest.gather.folder import article_files, read_article

FIXTURE = Path(__file__).parent / "fixtures" / "story_pairs.jsonl"
SAMPLES = Path(__file__).resolve().parents[1] / "digest" / "samples"
T0 = datetime(2024, 9, 10, 8, 0, tzinfo=UTC)

# Floors a little below what the pair set measured when they were set
# (precision 0.941, recall 0.889 over 158 pairs at the default threshold).
MIN_PRECISION = 0.90
MIN_RECALL = 0.85


@cache
def _pairs() -> tuple[dict[str, Any], ...]:
    with FIXTURE.open(encoding="utf-8") as handle:
        return tuple(json.loads(line) for line in handle if line.strip())


def _doc(fields: dict[str, Any], ident: int) -> Doc:
    return Doc(
        id=ident,
        title=fields["title"],
        text=fields["text"],
        published=datetime.fromisoformat(fields["published"]),
        source=fields["source"],
    )


def _article(title_start: str) -> dict[str, Any]:
    for pair in _pairs():
        for side in ("a", "b"):
            if pair[side]["title"].startswith(title_start):
                return dict(pair[side])
    raise LookupError(title_start)


def _at(fields: dict[str, Any], ident: int, when: datetime, source: str = "") -> Doc:
    return Doc(ident, fields["title"], fields["text"], when, source or fields["source"])


DANUBE = "Lower Danube reopens to shipping"
QUAKE = "Magnitude 6.1 earthquake kills"
WHEAT = "Drought-tolerant wheat line"


# ---- similarity ----------------------------------------------------------------------


def test_identical_docs_score_one_and_cluster() -> None:
    article = _article(DANUBE)
    a = _at(article, 1, T0, "Wire")
    b = _at(article, 2, T0 + timedelta(hours=3), "Paper")
    assert similarity(a, b) == pytest.approx(1.0)
    assert cluster([a, b]) == [[1, 2]]


def test_unrelated_docs_score_low_and_stay_apart() -> None:
    a = _at(_article(DANUBE), 1, T0)
    b = _at(_article(WHEAT), 2, T0 + timedelta(hours=1))
    assert similarity(a, b) < DEFAULT_THRESHOLD / 2
    assert cluster([a, b]) == [[1], [2]]


def test_similarity_is_symmetric_and_bounded() -> None:
    for number, pair in enumerate(_pairs()):
        a, b = _doc(pair["a"], 2 * number), _doc(pair["b"], 2 * number + 1)
        forward, backward = similarity(a, b), similarity(b, a)
        assert forward == backward
        assert 0.0 <= forward <= 1.0


def test_empty_and_wordless_docs() -> None:
    blank = Doc(1, "", "", T0, "x")
    punctuation = Doc(2, "—", "… !!", T0, "y")
    article = _at(_article(DANUBE), 3, T0)
    assert similarity(blank, punctuation) == 0.0
    assert similarity(blank, article) == 0.0
    assert cluster([blank, punctuation, article]) == [[1], [2], [3]]


def test_numbers_and_spelled_numbers_match() -> None:
    tokens = cluster_features._tokens(
        "Sixty-one per cent of 2,300 voters; Peru's 42.50 and 2-1", 50
    )
    terms = [term for term, *_ in tokens]
    assert terms[0] == "61"
    assert "2300" in terms and "42.5" in terms and "2-1" in terms and "peru" in terms


def test_accents_do_not_split_names() -> None:
    a = Doc(1, "Ekström speaks", "Maja Ekström of Nordvik apologised on Monday.", T0, "x")
    b = Doc(2, "Ekstrom speaks", "Maja Ekstrom of Nordvik apologised on Monday.", T0, "y")
    assert similarity(a, b) == pytest.approx(1.0)


def test_long_texts_are_read_only_at_the_start() -> None:
    article = _article(DANUBE)
    long_text = article["text"] + " More background follows." * 400
    other = _article(QUAKE)["text"]
    a = Doc(1, article["title"], long_text, T0, "x")
    b = Doc(2, article["title"], long_text + " " + other, T0, "y")
    assert similarity(a, b) == pytest.approx(1.0)


# ---- cluster -------------------------------------------------------------------------


def test_empty_input() -> None:
    assert cluster([]) == []


def test_single_doc() -> None:
    assert cluster([_at(_article(DANUBE), 42, T0)]) == [[42]]


def test_every_id_once_groups_ordered_by_earliest_member() -> None:
    pairs = _pairs()[:40]
    docs: list[Doc] = []
    for pair in pairs:
        for side in ("a", "b"):
            key = (pair[side]["title"], pair[side]["text"])
            if all((doc.title, doc.text) != key for doc in docs):
                docs.append(_doc(pair[side], 10_000 - 7 * len(docs)))  # ids unrelated to order
    random.Random(3).shuffle(docs)
    groups = cluster(docs)

    flat = [ident for group in groups for ident in group]
    assert sorted(flat) == sorted(doc.id for doc in docs)
    assert len(flat) == len(set(flat))
    assert any(len(group) > 1 for group in groups)

    position = {doc.id: index for index, doc in enumerate(docs)}
    published = {doc.id: doc.published for doc in docs}
    for group in groups:
        assert [position[ident] for ident in group] == sorted(position[ident] for ident in group)
    earliest = [min(published[ident] for ident in group) for group in groups]
    assert earliest == sorted(earliest)


def test_ties_in_time_keep_input_order() -> None:
    docs = [
        _at(_article(WHEAT), 5, T0),
        _at(_article(QUAKE), 3, T0),
        _at(_article(DANUBE), 9, T0),
    ]
    assert cluster(docs) == [[5], [3], [9]]


def test_window_keeps_distant_copies_apart() -> None:
    article = _article(DANUBE)
    a = _at(article, 1, T0)
    b = _at(article, 2, T0 + timedelta(days=4))
    assert cluster([a, b]) == [[1], [2]]
    assert cluster([a, b], window=timedelta(days=5)) == [[1, 2]]


def test_docs_beyond_the_window_are_not_joined_through_one_doc() -> None:
    article = _article(DANUBE)
    docs = [_at(article, ident, T0 + timedelta(days=2 * ident)) for ident in range(3)]
    # 0~1 and 1~2 are identical and within the window, 0 and 2 are four days apart.
    assert cluster(docs) == [[0, 1], [2]]


def test_chaining_guard() -> None:
    a_fields, c_fields = _article(DANUBE), _article(QUAKE)
    sentences_a = re.split(r"(?<=\.)\s+", a_fields["text"])
    sentences_c = re.split(r"(?<=\.)\s+", c_fields["text"])
    roundup = " ".join(
        part for both in zip(sentences_a, sentences_c, strict=False) for part in both
    )
    a = _at(a_fields, 1, T0)
    b = Doc(2, "Morning briefing: Danube reopens; deadly quake in Turkey", roundup, T0, "Digest")
    c = _at(c_fields, 3, T0 + timedelta(hours=1))
    assert similarity(a, b) >= DEFAULT_THRESHOLD
    assert similarity(b, c) >= DEFAULT_THRESHOLD
    assert similarity(a, c) < 0.1

    groups = cluster([a, b, c])
    together = next(group for group in groups if 2 in group)
    assert not {1, 3} <= set(together), "the roundup must not chain A and C together"
    assert len(together) == 2


def test_same_source_republish_clusters() -> None:
    first = _article(QUAKE)
    update = _article("UPDATE 2-Turkey quake")
    assert first["source"] == update["source"]
    a = _at(first, 1, datetime.fromisoformat(first["published"]))
    b = _at(update, 2, datetime.fromisoformat(update["published"]))
    assert cluster([a, b]) == [[1, 2]]


def test_threshold_parameter() -> None:
    a = _at(_article(DANUBE), 1, T0)
    b = _at(_article("Relief for grain shippers"), 2, T0)
    score = similarity(a, b)
    assert cluster([a, b], threshold=score) == [[1, 2]]
    assert cluster([a, b], threshold=min(1.0, score + 0.01)) == [[1], [2]]


def _perturbed_batch(count: int) -> list[Doc]:
    """*count* docs from the pair set, renamed per copy so copies read as new events."""
    rng = random.Random(11)
    originals: list[dict[str, Any]] = []
    seen: set[str] = set()
    for pair in _pairs():
        for side in ("a", "b"):
            if pair[side]["text"] not in seen:
                seen.add(pair[side]["text"])
                originals.append(pair[side])
    docs: list[Doc] = []
    copy = 0
    while len(docs) < count:
        suffix = "".join(rng.choice("aeiouklmnrst") for _ in range(3))
        for fields in originals:
            if len(docs) == count:
                break
            text = re.sub(r"\b([A-Z][a-z]{2,})\b", rf"\g<1>{suffix}", fields["text"])
            title = re.sub(r"\b([A-Z][a-z]{2,})\b", rf"\g<1>{suffix}", fields["title"])
            published = datetime.fromisoformat(fields["published"])
            published = T0 + timedelta(days=published.toordinal() % 10, hours=published.hour)
            docs.append(Doc(len(docs), title, text, published, fields["source"]))
        copy += 1
    return docs


def test_indexed_candidates_match_all_pairs() -> None:
    docs = _perturbed_batch(420)
    assert len(docs) >= clustering._EXHAUSTIVE_BELOW
    features = [clustering._doc_features(doc) for doc in docs]
    window = timedelta(days=3)

    def canonical(groups: Sequence[Sequence[int]]) -> list[list[int]]:
        return sorted(sorted(group) for group in groups)

    fast = clustering._cluster_features(features, threshold=DEFAULT_THRESHOLD, window=window)
    slow = clustering._cluster_features(
        features, threshold=DEFAULT_THRESHOLD, window=window, exhaustive=True
    )
    assert canonical(fast) == canonical(slow)
    assert canonical(cluster(docs)) == canonical(fast)


def test_a_story_carried_by_hundreds_of_outlets_stays_one_group() -> None:
    article = _article(DANUBE)
    sentences = re.split(r"(?<=\.)\s+", article["text"])
    rng = random.Random(5)
    docs = []
    for ident in range(clustering._EXHAUSTIVE_BELOW + 50):
        picked = sentences[:]
        rng.shuffle(picked)
        docs.append(
            Doc(
                ident,
                article["title"],
                " ".join(picked[: len(picked) - rng.randrange(2)]),
                T0 + timedelta(minutes=7 * ident),
                f"outlet {ident}",
            )
        )
    assert cluster(docs) == [[doc.id for doc in docs]]


# ---- the labelled pair set -----------------------------------------------------------


def test_pair_set_shape() -> None:
    pairs = _pairs()
    assert len(pairs) >= 120
    positives = sum(1 for pair in pairs if pair["same"])
    assert 0.35 <= positives / len(pairs) <= 0.65
    for pair in pairs:
        assert isinstance(pair["same"], bool) and pair["note"]
        for side in ("a", "b"):
            fields = pair[side]
            assert fields["title"] and fields["source"]
            assert 60 <= len(fields["text"].split()) <= 250
            assert datetime.fromisoformat(fields["published"]).tzinfo is not None


def test_pair_set_precision_and_recall() -> None:
    tp = fp = fn = 0
    window = timedelta(days=3)
    for number, pair in enumerate(_pairs()):
        a, b = _doc(pair["a"], 2 * number), _doc(pair["b"], 2 * number + 1)
        predicted = similarity(a, b) >= DEFAULT_THRESHOLD
        # cluster([a, b]) is the same decision, plus the time window.
        joined = len(cluster([a, b])) == 1
        assert joined == (predicted and abs(a.published - b.published) <= window)
        tp += predicted and pair["same"]
        fp += predicted and not pair["same"]
        fn += pair["same"] and not predicted
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= MIN_PRECISION, f"precision {precision:.3f}"
    assert recall >= MIN_RECALL, f"recall {recall:.3f}"


def test_pair_set_articles_cluster_into_their_events() -> None:
    keys: dict[tuple[str, str], int] = {}
    docs: list[Doc] = []
    for pair in _pairs():
        for side in ("a", "b"):
            key = (pair[side]["title"], pair[side]["text"])
            if key not in keys:
                keys[key] = len(docs)
                docs.append(_doc(pair[side], len(docs)))
    event = list(range(len(docs)))

    def root(index: int) -> int:
        while event[index] != index:
            index = event[index]
        return index

    for pair in _pairs():
        if pair["same"]:
            a = keys[(pair["a"]["title"], pair["a"]["text"])]
            b = keys[(pair["b"]["title"], pair["b"]["text"])]
            event[root(a)] = root(b)
    label = {ident: number for number, group in enumerate(cluster(docs)) for ident in group}
    tp = fp = fn = 0
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            together, same = label[i] == label[j], root(i) == root(j)
            tp += together and same
            fp += together and not same
            fn += same and not together
    # Measured: precision 0.929, recall 0.903 over 142 articles in 83 events.
    assert tp / (tp + fp) >= 0.88
    assert tp / (tp + fn) >= 0.85


# ---- the bundled samples -------------------------------------------------------------


def test_danube_samples_cluster_together_and_apart_from_the_rest() -> None:
    folder = SAMPLES.resolve()
    now = datetime(2024, 9, 11, tzinfo=UTC)
    docs = []
    for number, path in enumerate(article_files(folder)):
        article = read_article(path, folder=folder, now=now)
        docs.append(
            Doc(number, article.title, article.text, now - timedelta(hours=number), path.name)
        )
    assert len(docs) == 12
    danube = {doc.id for doc in docs if "danube" in doc.source}
    assert len(danube) == 2

    groups = cluster(docs)
    assert sorted(len(group) for group in groups) == [1] * 10 + [2]
    assert set(next(group for group in groups if len(group) == 2)) == danube


def test_held_out_pairs_precision_and_recall() -> None:
    """The pairs written after the weights were chosen: the honest measure."""
    held_out = [pair for pair in _pairs() if pair["note"].startswith("held-out:")]
    assert len(held_out) >= 20
    assert any(pair["same"] for pair in held_out) and not all(pair["same"] for pair in held_out)
    tp = fp = fn = 0
    for number, pair in enumerate(held_out):
        a, b = _doc(pair["a"], 2 * number), _doc(pair["b"], 2 * number + 1)
        predicted = similarity(a, b) >= DEFAULT_THRESHOLD
        tp += predicted and pair["same"]
        fp += predicted and not pair["same"]
        fn += pair["same"] and not predicted
    # Measured: precision 0.889, recall 0.889 over 24 held-out pairs.
    assert tp / (tp + fp) >= 0.85
    assert tp / (tp + fn) >= 0.85
