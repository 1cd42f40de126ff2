"""Benchmark story clustering: accuracy on the labelled pairs, and speed on 2,000 docs.

Usage, from the repository root::

    python bench/clustering.py [--docs 2000] [--seed 7] [--no-baseline]

Accuracy: every pair in ``tests/fixtures/story_pairs.jsonl`` is scored with
``digest.cluster.similarity``; a pair is predicted "same event" when the score
reaches the threshold.  Precision, recall and F1 are printed at the default
threshold, for the whole set and for the held-out pairs (notes starting with
``held-out:``, written after the weights were chosen), then for a few other
thresholds.  The distinct articles of the pair set are also clustered together,
and the groups are compared with the events implied by the "same" pairs.

Speed: synthetic docs are made by perturbing the pair-set articles (names and
numbers changed per copy, sentences dropped, words swapped, each copy moved to
its own stretch of time) and clustered twice, once by ``cluster`` (which
proposes candidate pairs from an inverted index) and once by a naive baseline
that scores every pair; both use the same features and the same linkage, so
their groups must be identical.  The copies keep most of their wording, so some
of them join across copies: the group count is not a quality measure.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from digest.content import cluster as clustering  # noqa: E402
from digest.content import cluster_features  # noqa: E402
from digest.content.cluster import DEFAULT_THRESHOLD, Doc, cluster, similarity  # noqa: E402

PAIRS = REPO_ROOT / "tests" / "fixtures" / "story_pairs.jsonl"
THRESHOLDS = (0.20, 0.25, 0.28, 0.30, 0.33, 0.36, 0.40, 0.45)
HELD_OUT = "held-out:"

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'“])")
_CAPITALISED = re.compile(r"\b([A-Z][a-z]{2,})\b")
_NUMBER = re.compile(r"\b(\d+)(?:\.(\d+))?\b")
_SWAPS = {
    "said": "stated",
    "people": "residents",
    "about": "around",
    "after": "following",
    "on Monday": "early in the week",
    "officials": "authorities",
    "began": "started",
    "more than": "over",
    "told": "informed",
    "city": "town",
}


def _doc(fields: dict[str, Any], ident: int) -> Doc:
    return Doc(
        id=ident,
        title=fields["title"],
        text=fields["text"],
        published=datetime.fromisoformat(fields["published"]),
        source=fields["source"],
    )


def load_pairs(path: Path = PAIRS) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def scores(pairs: Sequence[dict[str, Any]]) -> list[tuple[float, bool]]:
    return [
        (similarity(_doc(pair["a"], 0), _doc(pair["b"], 1)), bool(pair["same"])) for pair in pairs
    ]


def prf(scored: Sequence[tuple[float, bool]], threshold: float) -> tuple[float, float, float]:
    tp = sum(1 for score, same in scored if same and score >= threshold)
    fp = sum(1 for score, same in scored if not same and score >= threshold)
    fn = sum(1 for score, same in scored if same and score < threshold)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def events(pairs: Sequence[dict[str, Any]]) -> tuple[list[Doc], list[int]]:
    """The distinct articles of the pair set and an event label for each."""
    keys: dict[tuple[str, str], int] = {}
    fields: list[dict[str, Any]] = []
    for pair in pairs:
        for side in ("a", "b"):
            key = (pair[side]["title"], pair[side]["text"])
            if key not in keys:
                keys[key] = len(fields)
                fields.append(pair[side])
    parent = list(range(len(fields)))

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for pair in pairs:
        if pair["same"]:
            a = keys[(pair["a"]["title"], pair["a"]["text"])]
            b = keys[(pair["b"]["title"], pair["b"]["text"])]
            parent[find(a)] = find(b)
    docs = [_doc(item, index) for index, item in enumerate(fields)]
    return docs, [find(index) for index in range(len(fields))]


def pairwise_agreement(
    groups: Sequence[Sequence[int]], truth: Sequence[int]
) -> tuple[float, float]:
    """Precision and recall over doc pairs placed together, against the true events."""
    label = {ident: number for number, group in enumerate(groups) for ident in group}
    tp = fp = fn = 0
    for i in range(len(truth)):
        for j in range(i + 1, len(truth)):
            together, same = label[i] == label[j], truth[i] == truth[j]
            tp += together and same
            fp += together and not same
            fn += same and not together
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def synthetic(docs: Sequence[Doc], truth: Sequence[int], count: int, seed: int) -> list[Doc]:
    """*count* docs made by perturbing *docs*, all published within a fortnight.

    Each copy of the pair set renames its people and places and shifts its numbers,
    so it reads as a new set of events; each event keeps the spacing of its reports
    but is moved to a random moment of the fortnight.
    """
    rng = random.Random(seed)
    base = datetime(2025, 1, 1, tzinfo=docs[0].published.tzinfo)
    first: dict[int, datetime] = {}
    for doc, event in zip(docs, truth, strict=True):
        first[event] = min(first.get(event, doc.published), doc.published)
    out: list[Doc] = []
    copy = 0
    while len(out) < count:
        suffix = "".join(rng.choice("aeiouklmnrst") for _ in range(3))
        offsets = {event: timedelta(days=rng.uniform(0.0, 14.0)) for event in first}

        def rename(match: re.Match[str], suffix: str = suffix) -> str:
            return match.group(1) + suffix

        def renumber(match: re.Match[str], copy: int = copy) -> str:
            whole, decimals = match.group(1), match.group(2)
            if decimals is None:
                return str(int(whole) + 7 * copy) if len(whole) > 1 else whole
            return f"{float(match.group()) + 0.3 * copy:.{len(decimals)}f}"

        for doc, event in zip(docs, truth, strict=True):
            if len(out) == count:
                break
            sentences = _SENTENCE.split(doc.text)
            if len(sentences) > 3:
                del sentences[rng.randrange(1, len(sentences))]
            text = " ".join(sentences)
            for old, new in _SWAPS.items():
                if rng.random() < 0.5:
                    text = text.replace(old, new)
            published = base + offsets[event] + (doc.published - first[event])
            out.append(
                Doc(
                    id=len(out),
                    title=_NUMBER.sub(renumber, _CAPITALISED.sub(rename, doc.title)),
                    text=_NUMBER.sub(renumber, _CAPITALISED.sub(rename, text)),
                    published=published,
                    source=doc.source,
                )
            )
        copy += 1
    return out


def timed_cluster(docs: Sequence[Doc], *, exhaustive: bool) -> tuple[float, list[list[int]]]:
    cluster_features.features_of.cache_clear()
    began = time.perf_counter()
    if exhaustive:
        features = [clustering._doc_features(doc) for doc in docs]
        groups = clustering._cluster_features(
            features, threshold=DEFAULT_THRESHOLD, window=timedelta(days=3), exhaustive=True
        )
        result = sorted(sorted(docs[index].id for index in group) for group in groups)
    else:
        result = sorted(sorted(group) for group in cluster(docs))
    return time.perf_counter() - began, result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000, help="synthetic docs to cluster")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-baseline", action="store_true", help="skip the all-pairs run")
    args = parser.parse_args(argv)

    pairs = load_pairs()
    held_out = [pair for pair in pairs if str(pair.get("note", "")).startswith(HELD_OUT)]
    scored_all = scores(pairs)
    scored_held = scores(held_out)
    positives = sum(1 for pair in pairs if pair["same"])
    print(f"pair set: {len(pairs)} pairs ({positives} same, {len(pairs) - positives} different)")
    print(f"default threshold {DEFAULT_THRESHOLD:.2f}")
    for name, scored in (("all pairs", scored_all), ("held-out", scored_held)):
        precision, recall, f1 = prf(scored, DEFAULT_THRESHOLD)
        print(
            f"  {name:<10} n={len(scored):<4} precision {precision:.3f}  "
            f"recall {recall:.3f}  F1 {f1:.3f}"
        )
    print("\nthreshold  precision  recall  F1     (all pairs)")
    for threshold in sorted({*THRESHOLDS, DEFAULT_THRESHOLD}):
        precision, recall, f1 = prf(scored_all, threshold)
        mark = "  <- default" if threshold == DEFAULT_THRESHOLD else ""
        print(f"  {threshold:.2f}     {precision:.3f}      {recall:.3f}   {f1:.3f}{mark}")

    docs, truth = events(pairs)
    groups = cluster(docs)
    precision, recall = pairwise_agreement(groups, truth)
    print(
        f"\nclustering the {len(docs)} distinct articles ({len(set(truth))} events): "
        f"{len(groups)} groups, pairwise precision {precision:.3f}, recall {recall:.3f}"
    )

    batch = synthetic(docs, truth, args.docs, args.seed)
    fast, fast_groups = timed_cluster(batch, exhaustive=False)
    print(f"\n{len(batch)} synthetic docs: cluster() {fast:.3f} s, {len(fast_groups)} groups")
    if not args.no_baseline:
        slow, slow_groups = timed_cluster(batch, exhaustive=True)
        print(f"  naive all-pairs baseline {slow:.3f} s, {len(slow_groups)} groups")
        ratio = fast / slow
        print(f"  cluster() takes {ratio:.3f} of the baseline's time ({1 / ratio:.1f}x faster)")
        print(f"  same groups as the baseline: {'yes' if fast_groups == slow_groups else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
