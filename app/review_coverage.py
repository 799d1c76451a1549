"""Which parts of an event the reviews on file cover, and the status that follows.

A review records the span the reviewer saw. At another threshold the events merge or split, so
an event's status is read off the reviews lying over its span: the latest review (by ``order``)
wins where reviews overlap, and a reset (``unreviewed``) uncovers what lay below it. An event
is confirmed / rejected only when reviews with that one verdict cover it (up to the slack of a
threshold change moving its edges by a window or two); when they cover part of it, or give its
parts different verdicts, it is *partly reviewed*, never confirmed. No Qt here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

from widgets.display_data import PARTLY_REVIEWED, UNREVIEWED

# Slack for an event's edges moving with the threshold: this many seconds in all, at most this
# fraction of the event, may lie outside the reviews and the status still holds.
EDGE_SLACK_S = 2.0
EDGE_SLACK_FRACTION = 0.25


class ReviewLike(Protocol):
    start_s: float
    end_s: float
    status: str
    order: int


@dataclass(frozen=True)
class ReviewedPart:
    """A stretch ``start_s``..``end_s`` of an event that reviews say ``status`` about."""

    start_s: float
    end_s: float
    status: str

    @property
    def length_s(self) -> float:
        return self.end_s - self.start_s


def reviewed_parts(reviews: Iterable[ReviewLike], start_s: float, end_s: float) -> list[ReviewedPart]:
    """The parts of ``start_s..end_s`` covered by a verdict, in time order (resets uncover)."""
    over = sorted((r for r in reviews if r.end_s > start_s and r.start_s < end_s), key=lambda r: r.order)
    if not over or end_s <= start_s:
        return []
    cuts = sorted({start_s, end_s, *(min(max(t, start_s), end_s) for r in over for t in (r.start_s, r.end_s))})
    parts: list[ReviewedPart] = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        mid = 0.5 * (a + b)
        top = None
        for r in over:  # in order: the last one covering ``mid`` is the latest
            if r.start_s <= mid < r.end_s:
                top = r
        if top is None or top.status == UNREVIEWED:
            continue
        if parts and parts[-1].status == top.status and abs(parts[-1].end_s - a) < 1e-9:
            parts[-1] = ReviewedPart(parts[-1].start_s, b, top.status)
        else:
            parts.append(ReviewedPart(a, b, top.status))
    return parts


def coverage_status(parts: Iterable[ReviewedPart], start_s: float, end_s: float) -> str:
    """``confirmed`` / ``rejected`` when one verdict covers the event (within the edge slack),
    ``unreviewed`` when verdicts cover no more than that slack, else ``partly reviewed``."""
    length = max(end_s - start_s, 0.0)
    slack = min(EDGE_SLACK_S, EDGE_SLACK_FRACTION * length) + 1e-9
    covered: dict[str, float] = {}
    for p in parts:
        covered[p.status] = covered.get(p.status, 0.0) + p.length_s
    if not covered or sum(covered.values()) <= slack:
        return UNREVIEWED
    if len(covered) == 1:
        (status, seconds), = covered.items()
        if length - seconds <= slack:
            return status
    return PARTLY_REVIEWED


__all__ = ["ReviewedPart", "reviewed_parts", "coverage_status", "EDGE_SLACK_S", "EDGE_SLACK_FRACTION"]
