"""The size budget: a digest's HTML part stays under :data:`HTML_SIZE_LIMIT`.

Gmail clips a message at about 102 KB.  A digest that would exceed the limit
loses its lowest-ranked stories, whole, from the ends of their sections, as
few as the budget needs: sizes fall about linearly with each story dropped, so
the search interpolates, then bisects, compiling a handful of candidates
rather than one per story.  The personal values are not known while fitting
(the result is shared), so bytes are set aside for each of them.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from digest.mail.slots import Skeleton
from digest.records import Digest, DigestSection

HTML_SIZE_LIMIT = 100 * 1024  # bytes of the HTML part; Gmail clips at about 102 KB

# Bytes set aside for each personal value while fitting the size budget; a
# subscriber whose values are longer gets a fit of their own (rare).
RESERVE = {
    "name": 120,
    "email": 254,
    "unsubscribe_url": 400,
    "preferences_url": 400,
    "web_url": 400,
}
Reserve = tuple[tuple[str, int], ...]  # sorted (name, bytes) pairs: hashable, a cache key
RESERVE_KEY: Reserve = tuple(sorted(RESERVE.items()))
_SEARCH_STEPS = 32
_INTERPOLATED_STEPS = 3


def wider_reserve(lengths: Mapping[str, int]) -> Reserve | None:
    """A reserve that holds values of these *lengths* in bytes; None if the default does."""
    if all(lengths[name] <= RESERVE[name] for name in lengths):
        return None
    return tuple(sorted({name: max(RESERVE[name], n) for name, n in lengths.items()}.items()))


@dataclass(frozen=True, slots=True)
class Fit:
    """The compiled HTML that fits, the digest it was compiled from, and how many were dropped."""

    html: Skeleton
    digest: Digest
    dropped: int


def fit(
    digest: Digest,
    compile_html: Callable[[Digest, int], Skeleton],
    *,
    reserve: Mapping[str, int],
    limit: int,
) -> Fit:
    """Compile *digest*, dropping as few whole stories as the size budget needs.

    *compile_html* gets the trimmed digest and the number of stories dropped (the
    email says how many more are on the web version).  If even a digest with no
    section stories is too big, that is what is sent.
    """
    order = _drop_order(digest.sections)
    tried: dict[int, Fit] = {}

    def size(drop: int) -> int:
        if drop not in tried:
            trimmed = _trim(digest, order, drop)
            tried[drop] = Fit(compile_html(trimmed, drop), trimmed, drop)
        return tried[drop].html.estimate(reserve)

    return tried[_fewest_drops(size, len(order), limit)]


def _fewest_drops(size: Callable[[int], int], most: int, limit: int) -> int:
    """The fewest stories to drop for ``size(drop) <= limit``; *most* if none is enough."""
    fits, too_big = most, 0  # fewest drops known to fit, most known not to
    if size(0) <= limit:
        return 0
    if size(fits) > limit:
        return fits  # even without section stories it is too big: send what is left
    for step in range(_SEARCH_STEPS):
        if fits - too_big <= 1:
            break
        big, small = size(too_big), size(fits)
        if step < _INTERPOLATED_STEPS and big > small:
            guess = too_big + round((fits - too_big) * (big - limit) / (big - small))
        else:
            guess = (too_big + fits) // 2
        guess = min(max(guess, too_big + 1), fits - 1)
        if size(guess) <= limit:
            fits = guess
        else:
            too_big = guess
    return fits


def _drop_order(sections: Sequence[DigestSection]) -> list[int]:
    """Section index of each story in the order the size budget drops them.

    Always the last story still in some section, the lowest-ranked of those first
    (ties: the later section), so stories leave from the ends of their sections.
    """
    heap: list[tuple[float, int, int]] = []
    for s, section in enumerate(sections):
        if section.stories:
            heap.append((section.stories[-1].score, -s, len(section.stories) - 1))
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        _score, neg, index = heapq.heappop(heap)
        order.append(-neg)
        if index > 0:
            story = sections[-neg].stories[index - 1]
            heapq.heappush(heap, (story.score, neg, index - 1))
    return order


def _trim(digest: Digest, order: Sequence[int], drop: int) -> Digest:
    if not drop:
        return digest
    dropped = [0] * len(digest.sections)
    for s in order[:drop]:
        dropped[s] += 1
    sections = tuple(
        replace(sec, stories=sec.stories[: len(sec.stories) - d], more=sec.more + d)
        for sec, d in zip(digest.sections, dropped, strict=True)
    )
    return replace(digest, sections=sections)


__all__ = ["HTML_SIZE_LIMIT", "RESERVE_KEY", "Fit", "Reserve", "fit", "wider_reserve"]
