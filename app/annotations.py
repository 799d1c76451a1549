"""The annotation store: an append-only edit history from which the current labels derive.

Every change is an :class:`Edit` (who, when, source ``human``/``machine``, what); the current
state (seizure labels with a source per time, event reviews, the detection threshold) is the
replay of that history (``app.annotation_state``), so nothing is ever overwritten in place:
undo appends the inverse edits. Machine detections and human labels are kept apart: a machine
event gets a *review* of the span the reviewer saw; confirming it opens a seizure whose times are
marked as the detector's proposal until a person sets or accepts them.

An edit that would break the label rules (``app.label_rules``: marks in clinical order, no
overlapping seizures) is refused with :class:`LabelRuleError` before anything is recorded.

File (``<video>.semioscope-annotations.json``), written atomically after every change::

    {"format": "semioscope.annotations", "version": 3, "revision": 12,
     "video": {"path": "rec.mp4", "fingerprint": "..."},
     "edits": [{"seq": 1, "time_utc": "...", "author": "dr a", "source": "human",
                "op": "add_seizure", "data": {...}}, ...]}

Version 2 added per-time ``sources``, review ``threshold``/``order`` and the ops
``remove_review`` and ``set_threshold``; version 3 the semiology (``ilae_type``, ``awareness``,
the ops ``add_sign`` and ``delete_sign``); older files are read as they are.

Concurrent writers: the store remembers the revision and sha256 of the bytes it last loaded or
saved. Before each save it re-reads the file; if it changed on disk, the save goes to a side
file (``<name>.conflict-<author>-<utc>.json``) instead and ``conflict`` is set: nothing is
silently overwritten and nothing of ours is lost. No Qt here, so it is testable headless.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from inference.core.atomic import atomic_write_bytes
from inference.core.errors import InputFileError
from inference.core.versioned_json import parse_format_json
from inference.dataset.manifest import SEIZURE_TYPES
from widgets.display_data import (  # Qt-free: the statuses and mark names the widgets draw
    CLINICAL_ONSET,
    CONFIRMED,
    EEG_ONSET,
    PARTLY_REVIEWED,
    REJECTED,
    REVIEW_STATUSES,
    SEIZURE_END,
    UNREVIEWED,
)

from .annotation_state import (
    HUMAN,
    MACHINE,
    MARK_FIELDS,
    MARK_LABELS,
    OPS,
    SEIZURE_FIELDS,
    Edit,
    EventReview,
    Op,
    SeizureLabel,
    State,
    ThresholdSetting,
    apply_edit,
    inverse_op,
)
from .label_rules import LabelRuleError, Problem, edit_problems, new_problems
from .review_coverage import ReviewedPart, coverage_status, reviewed_parts

ANNOTATION_FORMAT = "semioscope.annotations"
ANNOTATION_VERSION = 3  # 3: semiology (ILAE type, awareness, signs)
ANNOTATION_SUFFIX = ".semioscope-annotations.json"


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def annotations_path_for(video: str | Path) -> Path:
    """``/x/rec.mp4`` -> ``/x/rec.mp4.semioscope-annotations.json``."""
    video = Path(video)
    return video.with_name(video.name + ANNOTATION_SUFFIX)


def event_key(start_s: float, end_s: float) -> str:
    """Stable identity of a machine event (its span to the millisecond)."""
    return f"{start_s:.3f}-{end_s:.3f}"


@dataclass(frozen=True)
class Conflict:
    """The file changed on disk under us; our version went to ``side_file``."""

    path: Path
    side_file: Path
    reason: str

    def message(self) -> str:
        return (f"{self.path.name} was changed by someone else ({self.reason}). Your annotations were "
                f"saved to {self.side_file} instead; nothing was overwritten.")


def _unpack(op: Op, source: str) -> tuple[str, dict[str, Any], str]:
    """``(op, data)`` or ``(op, data, source)`` -> all three (``source``: the batch default)."""
    return (op[0], dict(op[1]), op[2] if len(op) > 2 else source)


class AnnotationStore:
    """Append-only annotation history for one recording, autosaved after every edit.

    - ``author``: who the edits of this session are attributed to.
    - ``path``: the JSON file; ``None`` keeps everything in memory (tests of pure logic).
    - ``listeners``: callables ``fn(edit)`` run after each edit (the GUI redraws).
    - ``save_listeners``: ``fn(ok: bool, message: str)`` after each save attempt.
    """

    def __init__(self, path: Optional[str | Path], author: str, video: Optional[dict[str, Any]] = None,
                 autosave: bool = True):
        self.path = Path(path) if path is not None else None
        self.author = author or "unknown"
        self.video = dict(video or {})
        self.autosave = autosave
        self.edits: list[Edit] = []
        self._state = State()
        self.listeners: list[Callable[[Edit], None]] = []
        self.save_listeners: list[Callable[[bool, str], None]] = []
        self.conflict: Optional[Conflict] = None
        self.last_save_error: Optional[str] = None
        self._disk_hash: Optional[str] = None  # sha256 of the bytes we last loaded or wrote
        self._disk_revision = 0

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, author: str, video: Optional[dict[str, Any]] = None,
             autosave: bool = True) -> "AnnotationStore":
        """Load ``path`` when it exists (replaying its history), else start empty."""
        store = cls(path, author, video, autosave)
        p = Path(path)
        if p.exists():
            raw = p.read_bytes()
            data = _parse(p, raw)
            edits = []
            for k, e in enumerate(data.get("edits", [])):
                try:
                    edits.append(Edit.from_dict(e))
                except (KeyError, ValueError, TypeError) as exc:
                    raise InputFileError(p, f"edit {k + 1} is malformed ({type(exc).__name__}: {exc}); "
                                            "each edit needs 'seq', 'time_utc' and 'op'") from None
            state = State()
            for e in edits:
                try:
                    apply_edit(state, e)
                except (KeyError, ValueError, TypeError) as exc:
                    raise InputFileError(p, f"edit #{e.seq} ({e.op}) cannot be applied: {exc}") from None
            store.edits, store._state = edits, state
            if not store.video:
                store.video = dict(data.get("video") or {})
            store._disk_hash = hashlib.sha256(raw).hexdigest()
            try:
                store._disk_revision = int(data.get("revision", len(edits)))
            except (ValueError, TypeError):
                raise InputFileError(p, f"'revision' must be a whole number, not {data.get('revision')!r}") from None
        return store

    # -- reading ----------------------------------------------------------------------------
    @property
    def revision(self) -> int:
        return len(self.edits)

    def seizures(self) -> list[SeizureLabel]:
        """Current seizure labels, sorted by their earliest mark."""
        return sorted(self._state.seizures.values(), key=lambda s: (s.anchor_s, s.id))

    def seizure(self, sid: str) -> SeizureLabel:
        return self._state.seizures[sid]

    def has_seizure(self, sid: str) -> bool:
        return sid in self._state.seizures

    def new_seizure_id(self) -> str:
        return f"s{self._state.next_id}"

    def reviews(self) -> list[EventReview]:
        return sorted(self._state.reviews.values(), key=lambda r: r.start_s)

    def reviewed_parts(self, start_s: float, end_s: float) -> list[ReviewedPart]:
        """The stretches of ``start_s..end_s`` that reviews give a verdict on (latest wins)."""
        return reviewed_parts(self._state.reviews.values(), start_s, end_s)

    def status_of(self, start_s: float, end_s: float) -> str:
        """Confirmed / rejected when reviews with that verdict cover the event, unreviewed when
        none do, else partly reviewed (``app.review_coverage``)."""
        return coverage_status(self.reviewed_parts(start_s, end_s), start_s, end_s)

    def review_of(self, start_s: float, end_s: float) -> Optional[EventReview]:
        """Who reviewed the event spanning ``start_s..end_s`` last: the review of exactly this
        span, else the latest review overlapping it (None: none does)."""
        exact = self._state.reviews.get(event_key(start_s, end_s))
        if exact is not None:
            return exact
        over = [r for r in self._state.reviews.values() if r.end_s > start_s and r.start_s < end_s]
        return max(over, key=lambda r: r.order) if over else None

    def confirmed_parts(self) -> list[ReviewedPart]:
        """Every stretch of the recording that a review confirms (later reviews lie over earlier)."""
        reviews = list(self._state.reviews.values())
        if not reviews:
            return []
        lo, hi = min(r.start_s for r in reviews), max(r.end_s for r in reviews)
        return [p for p in reviewed_parts(reviews, lo, hi) if p.status == CONFIRMED]

    def seizure_from_event(self, key: str) -> Optional[SeizureLabel]:
        for s in self._state.seizures.values():
            if s.origin == f"event:{key}":
                return s
        return None

    def threshold(self) -> Optional[float]:
        """The detection threshold chosen for this recording (None: the run's own)."""
        t = self._state.threshold
        return t.value if t is not None else None

    def threshold_setting(self) -> Optional[ThresholdSetting]:
        """The threshold's latest setting with who set it and when (None: never set)."""
        return self._state.threshold

    # -- writing ----------------------------------------------------------------------------
    def _try(self, ops: list[Op], source: str, author: str) -> tuple[State, list[Edit], list[Op]]:
        """``ops`` applied to a copy of the state: (that state, the edits, their inverses in order)."""
        trial = self._state.copy()
        edits, inverse = [], []
        stamp = utc_now()
        for k, item in enumerate(ops):
            op, data, src = _unpack(item, source)
            if op not in OPS:
                raise ValueError(f"unknown edit op {op!r}")
            e = Edit(len(self.edits) + 1 + k, stamp, author, src, op, data)
            inverse.append(inverse_op(trial, op, data))
            apply_edit(trial, e)  # raises before anything is recorded when the edit is inconsistent
            edits.append(e)
        return trial, edits, inverse

    def problems_after(self, ops: list[Op]) -> list[Problem]:
        """The rule problems ``ops`` would add (nothing is applied)."""
        trial, _, _ = self._try(list(ops), HUMAN, self.author)
        return new_problems(edit_problems(self._state.seizures.values()), edit_problems(trial.seizures.values()))

    def labels_after(self, ops: list[Op]) -> list[SeizureLabel]:
        """The seizure labels as they would be after ``ops`` (nothing is applied)."""
        trial, _, _ = self._try(list(ops), HUMAN, self.author)
        return sorted(trial.seizures.values(), key=lambda s: (s.anchor_s, s.id))

    def apply_many(self, ops: list[Op], source: str = HUMAN, author: Optional[str] = None,
                   check: bool = True) -> list[Op]:
        """Apply ``ops`` (each ``(op, data)`` or ``(op, data, source)``) as one change: all or
        nothing, one save. With ``check``, refuse (``LabelRuleError``) when they would add a
        rule problem; undo passes ``check=False`` since it restores a state that was there.
        Returns the inverse ops, in the order they were computed (undo applies them reversed)."""
        trial, edits, inverse = self._try(list(ops), source, author or self.author)
        if check:
            added = new_problems(edit_problems(self._state.seizures.values()), edit_problems(trial.seizures.values()))
            if added:
                raise LabelRuleError(added)
        self._state = trial
        self.edits.extend(edits)
        for e in edits:
            for fn in list(self.listeners):
                fn(e)
        if self.autosave and self.path is not None:
            self.save()
        return inverse

    def apply(self, op: str, data: dict[str, Any], source: str = HUMAN, author: Optional[str] = None) -> Edit:
        """Append one edit, update the state, notify listeners and autosave."""
        self.apply_many([(op, data, source)], source, author)
        return self.edits[-1]

    def to_json(self) -> dict[str, Any]:
        return {"format": ANNOTATION_FORMAT, "version": ANNOTATION_VERSION, "revision": self.revision,
                "saved_utc": utc_now(), "video": self.video, "edits": [e.to_dict() for e in self.edits]}

    def _encode(self) -> bytes:
        return (json.dumps(self.to_json(), indent=1) + "\n").encode("utf-8")

    def changed_on_disk(self) -> Optional[str]:
        """Why the file differs from what we last loaded/saved, or None."""
        assert self.path is not None
        if not self.path.exists():
            return "the file was deleted" if self._disk_hash is not None else None
        raw = self.path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest == self._disk_hash:
            return None
        try:
            rev = int(json.loads(raw.decode("utf-8")).get("revision", -1))
        except (ValueError, UnicodeDecodeError, AttributeError):
            rev = -1
        if self._disk_hash is None:
            return f"another session created it (revision {rev})"
        return f"revision on disk is {rev}, we last saw {self._disk_revision}, and the content differs"

    def save(self) -> bool:
        """Write atomically; on a conflict write a side file instead. Returns True when saved in place."""
        if self.path is None:
            return True
        data = self._encode()
        try:
            if self.conflict is None:
                reason = self.changed_on_disk()
                if reason is not None:
                    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                    who = re.sub(r"[^A-Za-z0-9_-]+", "_", self.author)[:40] or "unknown"
                    side = self.path.with_name(f"{self.path.name}.conflict-{who}-{stamp}.json")
                    self.conflict = Conflict(self.path, side, reason)
            if self.conflict is not None:
                atomic_write_bytes(self.conflict.side_file, data)
                self._notify_save(False, self.conflict.message())
                return False
            atomic_write_bytes(self.path, data)
        except OSError as exc:
            self.last_save_error = f"{self.path}: cannot save annotations ({exc.strerror or exc})"
            self._notify_save(False, self.last_save_error)
            return False
        self._disk_hash = hashlib.sha256(data).hexdigest()
        self._disk_revision = self.revision
        self.last_save_error = None
        self._notify_save(True, f"saved {self.path.name} (revision {self.revision})")
        return True

    def _notify_save(self, ok: bool, message: str) -> None:
        for fn in list(self.save_listeners):
            fn(ok, message)


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    data = parse_format_json(raw, path, ANNOTATION_FORMAT, ANNOTATION_VERSION, InputFileError,
                             what="annotation file")
    if not isinstance(data.get("edits", []), list):
        raise InputFileError(path, "'edits' must be a list")
    return data


__all__ = [
    "AnnotationStore", "Edit", "SeizureLabel", "EventReview", "Conflict", "LabelRuleError", "Problem",
    "ReviewedPart", "ThresholdSetting", "annotations_path_for", "event_key", "HUMAN", "MACHINE", "UNREVIEWED",
    "CONFIRMED", "REJECTED", "PARTLY_REVIEWED", "REVIEW_STATUSES", "EEG_ONSET", "CLINICAL_ONSET",
    "SEIZURE_END", "MARK_FIELDS", "MARK_LABELS", "SEIZURE_FIELDS", "SEIZURE_TYPES", "Op",
]
