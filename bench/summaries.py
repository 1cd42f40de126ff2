"""Benchmark summaries: digest's extractive summariser against LEAD-3 and LexRank.

Usage, from the repository root::

    python bench/summaries.py [--data FILE] [--sentences 3]

The data (default ``../shared/eval/summaries-dev.jsonl`` next to the repository, or
``$DIGEST_EVAL_DIR/summaries-dev.jsonl``) holds one JSON object a line with ``article``
(plain text) and ``reference`` (the human-written highlights).  Each method is scored
with ROUGE-1, ROUGE-2 and ROUGE-L F-measure (``rouge_score`` with the Porter stemmer),
averaged over the articles.  ROUGE-Lsum (summary-level LCS over sentences, one a line)
is printed too: published CNN/DailyMail "ROUGE-L" figures such as LEAD-3's 36.6 are that
variant.  Speed is articles per second of summarising alone (not scoring), the median of
three passes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import pysbd  # noqa: E402

from digest.content.sentences import split_sentences  # noqa: E402
from digest.content.summarise import lead, summarise  # noqa: E402

DATA_NAME = "summaries-dev.jsonl"
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "eval" / DATA_NAME
PASSES = 3
UNLIMITED = sys.maxsize

Summariser = Callable[[str], list[str]]  # article text -> summary sentences


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    text: str
    reference: str


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    rouge1: float
    rouge2: float
    rouge_l: float
    rouge_lsum: float
    words: float  # mean summary length in words
    per_second: float


def data_path(argument: str | None) -> Path:
    if argument:
        return Path(argument)
    folder = os.environ.get("DIGEST_EVAL_DIR")
    return Path(folder) / DATA_NAME if folder else DEFAULT_DATA


def load(path: Path) -> list[Article]:
    articles = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                articles.append(Article(str(row.get("id", "")), row["article"], row["reference"]))
    return articles


# --- the methods -----------------------------------------------------------------------------


def ours(sentences: int, max_words: int) -> Summariser:
    return lambda text: list(summarise(text, sentences=sentences, max_words=max_words).sentences)


def our_lead(sentences: int) -> Summariser:
    return lambda text: list(lead(text, sentences=sentences).sentences)


def naive_lead(sentences: int) -> Summariser:
    """LEAD-N with plain pysbd and no cleaning."""
    segmenter = pysbd.Segmenter(language="en", clean=False)

    def run(text: str) -> list[str]:
        found = [s.strip() for s in segmenter.segment(text) if s.strip()]
        return found[:sentences]

    return run


class _Tokenizer:
    """sumy's tokenizer interface without NLTK data: pysbd sentences, regex words."""

    _WORDS = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")

    def __init__(self) -> None:
        self._segmenter = pysbd.Segmenter(language="en", clean=False)
        self.language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(s.strip() for s in self._segmenter.segment(paragraph) if s.strip())

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(self._WORDS.findall(sentence))


def lexrank(sentences: int) -> Summariser:
    from sumy.nlp.stemmers import Stemmer, null_stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    try:  # the Snowball stemmer ships with NLTK's code, no download needed
        stemmer: Any = Stemmer("english")
        stemmer("testing")
    except (LookupError, ImportError, ValueError):
        stemmer = null_stemmer
    summariser = LexRankSummarizer(stemmer)
    summariser.stop_words = get_stop_words("english")
    tokenizer = _Tokenizer()

    def run(text: str) -> list[str]:
        parser = PlaintextParser.from_string(text, tokenizer)
        return [str(s) for s in summariser(parser.document, sentences)]

    return run


# --- scoring ---------------------------------------------------------------------------------


def evaluate(name: str, method: Summariser, articles: list[Article]) -> Result:
    from rouge_score import rouge_scorer

    timings = []
    summaries: list[list[str]] = []
    for _ in range(PASSES):
        started = time.perf_counter()
        summaries = [method(article.text) for article in articles]
        timings.append(time.perf_counter() - started)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    lsum = rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=True)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0, "rougeLsum": 0.0}
    for article, summary in zip(articles, summaries, strict=True):
        scores = scorer.score(article.reference, " ".join(summary))
        for key in ("rouge1", "rouge2", "rougeL"):
            totals[key] += scores[key].fmeasure
        reference = "\n".join(split_sentences(article.reference))
        totals["rougeLsum"] += lsum.score(reference, "\n".join(summary))["rougeLsum"].fmeasure
    count = len(articles)
    return Result(
        name=name,
        rouge1=100 * totals["rouge1"] / count,
        rouge2=100 * totals["rouge2"] / count,
        rouge_l=100 * totals["rougeL"] / count,
        rouge_lsum=100 * totals["rougeLsum"] / count,
        words=sum(len(" ".join(s).split()) for s in summaries) / count,
        per_second=count / statistics.median(timings),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help=f"JSONL file (default {DEFAULT_DATA})")
    parser.add_argument("--sentences", type=int, default=3, help="sentences per summary")
    args = parser.parse_args(argv)
    path = data_path(args.data)
    if not path.is_file():
        print(f"error: evaluation data not found: {path}", file=sys.stderr)
        return 2
    articles = load(path)
    if not articles:
        print(f"error: no articles in {path}", file=sys.stderr)
        return 2
    n = args.sentences
    methods: list[tuple[str, Summariser]] = [
        (f"digest extractive-{n}, max_words=90 (default)", ours(n, 90)),
        (f"digest extractive-{n}, max_words unlimited", ours(n, UNLIMITED)),
        (f"digest lead-{n} (cleaned)", our_lead(n)),
        (f"naive LEAD-{n} (plain pysbd)", naive_lead(n)),
        (f"sumy LexRank-{n}", lexrank(n)),
    ]
    print(f"{len(articles)} articles from {path}; ROUGE F-measure x100, Porter stemmer\n")
    header = (
        f"{'method':<46} {'R-1':>6} {'R-2':>6} {'R-L':>6} {'R-Lsum':>6} {'words':>6} {'art/s':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, method in methods:
        r = evaluate(name, method, articles)
        print(
            f"{r.name:<46} {r.rouge1:6.2f} {r.rouge2:6.2f} {r.rouge_l:6.2f} {r.rouge_lsum:6.2f} "
            f"{r.words:6.1f} {r.per_second:6.0f}",
            flush=True,
        )
    print(
        "\nR-L is rouge_score's rougeL (the README's metric); R-Lsum is the summary-level"
        "\nvariant that published CNN/DailyMail tables call ROUGE-L.  Published LEAD-3 on the"
        "\nfull CNN/DailyMail test set: R-1 40.3, R-2 17.7, R-Lsum 36.6.  words: mean summary"
        "\nlength; art/s: articles summarised per second (one core, median of 3 passes)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
