"""Benchmark main-text extraction: digest's extract_article against plain trafilatura.

Usage, from the repository root::

    python bench/extraction.py [--data DIR] [--verbose]

The data folder (default ``../shared/eval/extraction-dev`` next to the repository,
or ``$DIGEST_EVAL_DIR``) holds gzip'd pages ``<sha256>.html.gz`` and
``ground-truth.json`` mapping each sha256 to ``{"url", "articleBody"}``.

Scoring follows the public article-extraction benchmark: both texts are split into
``\\w+`` tokens, overlapping 4-token shingles are counted as multisets, true and
false positives and false negatives are taken per page and normalised by their sum,
precision and recall are averaged over the pages, and F1 is computed from those two
averages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import trafilatura  # noqa: E402

from digest.gather.extract import extract_article  # noqa: E402

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "eval" / "extraction-dev"
_TOKEN = re.compile(r"\w+")

Shingles = Counter[tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Page:
    key: str
    url: str
    html: bytes
    truth: Shingles


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float
    pages_per_second: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def shingles(text: str, size: int = 4) -> Shingles:
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def page_scores(truth: Shingles, predicted: Shingles) -> tuple[float, float]:
    """Precision and recall of one page from its normalised tp/fp/fn."""
    tp = float(sum((truth & predicted).values()))
    fp = float(sum((predicted - truth).values()))
    fn = float(sum((truth - predicted).values()))
    total = tp + fp + fn
    if total:
        tp, fp, fn = tp / total, fp / total, fn / total
    precision = 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))
    recall = 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))
    return precision, recall


def load_pages(folder: Path) -> list[Page]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key, item in sorted(truth.items()):
        path = folder / f"{key}.html.gz"
        if path.exists():
            html = gzip.decompress(path.read_bytes())
            pages.append(Page(key, item.get("url", ""), html, shingles(item["articleBody"])))
    return pages


def ours(page: Page) -> str:
    extracted = extract_article(page.html, url=page.url)
    return extracted.text if extracted else ""


def plain(page: Page) -> str:
    return trafilatura.extract(page.html, url=page.url) or ""


def run(
    pages: list[Page], extractor: Callable[[Page], str], repeat: int = 2, verbose: bool = False
) -> Score:
    """Score *extractor*; speed is the best of *repeat* timed passes over all pages.

    The first pass also warms lazily built tables (stop lists, date patterns) that would
    otherwise be charged to whichever extractor happens to run first.
    """
    outputs: list[str] = []
    best = float("inf")
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        outputs = [extractor(page) for page in pages]
        best = min(best, time.perf_counter() - start)
    precision = recall = 0.0
    for page, text in zip(pages, outputs, strict=True):
        p, r = page_scores(page.truth, shingles(text))
        precision += p
        recall += r
        if verbose and (p < 0.9 or r < 0.9):
            print(f"  {page.key[:12]}  P={p:.3f}  R={r:.3f}  {page.url[:70]}")
    count = len(pages)
    return Score(precision / count, recall / count, count / best if best else 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("DIGEST_EVAL_DIR") or DEFAULT_DATA),
        help="folder holding <sha256>.html.gz pages and ground-truth.json",
    )
    parser.add_argument("--repeat", type=int, default=2, help="timed passes (best counts)")
    parser.add_argument("--verbose", action="store_true", help="list pages scoring under 0.9")
    args = parser.parse_args(argv)
    folder: Path = args.data
    if not (folder / "ground-truth.json").is_file():
        print(f"error: no extraction data at {folder} (ground-truth.json missing)", file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)  # trafilatura logs every discarded page
    pages = load_pages(folder)
    if not pages:
        print(f"error: no pages (*.html.gz) found in {folder}", file=sys.stderr)
        return 2

    results = {}
    for name, extractor in (("digest extract_article", ours), ("plain trafilatura", plain)):
        if args.verbose:
            print(f"{name}: pages under 0.9")
        results[name] = run(pages, extractor, args.repeat, args.verbose)

    print(f"{len(pages)} pages from {folder}")
    print(f"{'extractor':<24} {'precision':>9} {'recall':>7} {'F1':>7} {'pages/s':>8}")
    for name, score in results.items():
        print(
            f"{name:<24} {score.precision:>9.4f} {score.recall:>7.4f} {score.f1:>7.4f}"
            f" {score.pages_per_second:>8.1f}"
        )
    baseline = results["plain trafilatura"].f1
    ratio = results["digest extract_article"].f1 / baseline if baseline else float("inf")
    print(f"F1 ratio (ours / plain): {ratio:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
