"""The annotation store: an append-only edit history from which the current labels derive.

Every change is an :class:`Edit` (who, when, source ``human``/``machine``, what). The current
state (seizure labels, event reviews) is the replay of that history, so nothing is ever
overwritten in place: undo appends the inverse edit. Machine detections and human labels are
kept apart: a machine event only gets a *review* (unreviewed/confirmed/rejected); confirming it
creates a human seizure label that records the reviewer and the event it came from.

File (``<video>.semioscope-annotations.json``), written atomically after every change::

    {"format": "semioscope.annotations", "version": 1, "revision": 12,
     "video": {"path": "rec.mp4", "fingerprint": "..."},
     "edits": [{"seq": 1, "time_utc": "...", "author": "dr a", "source": "human",
                "op": "add_seizure", "data": {...}}, ...]}

Concurrent writers: the store remembers the revision and sha256 of the bytes it last loaded or
saved. Before each save it re-reads the file; if it changed on disk, the save goes to a side
file (``<name>.conflict-<author>-<utc>.json``) instead and ``conflict`` is set: nothing is
silently overwritten and nothing of ours is lost. No Qt here, so it is testable headless.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from inference.core.atomic import atomic_write_bytes
from inference.core.errors import InputFileError
from inference.core.versioned_json import parse_format_json
from inference.dataset.manifest import SEIZURE_TYPES, normalise_seizure_type
from widgets.display_data import (  # Qt-free: the statuses and mark names the widgets draw
    CLINICAL_ONSET,
    CONFIRMED,
    EEG_ONSET,
    REJECTED,
    REVIEW_STATUSES,
    SEIZURE_END,
    SEIZURE_TIME_FIELDS,
    UNREVIEWED,
)

ANNOTATION_FORMAT = "semioscope.annotations"
ANNOTATION_VERSION = 1
ANNOTATION_SUFFIX = ".semioscope-annotations.json"

HUMAN = "human"
MACHINE = "machine"

# The three marks an annotator places, in clinical order.
MARK_FIELDS = SEIZURE_TIME_FIELDS
MARK_LABELS = {EEG_ONSET: "EEG onset", CLINICAL_ONSET: "clinical onset", SEIZURE_END: "seizure end"}
SEIZURE_FIELDS = MARK_FIELDS + ("seizure_type",)

# Ops and their data (all JSON):
#   add_seizure     {"id", "eeg_onset_s", "clinical_onset_s", "end_s", "seizure_type", "origin",
#                    optional "created_by"/"created_utc" when an undo restores a deleted label}
#   set_seizure     {"id", "field", "value"}
#   delete_seizure  {"id"}
#   review_event    {"key", "start_s", "end_s", "peak_prob", "status"}
OPS = ("add_seizure", "set_seizure", "delete_seizure", "review_event")


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
class Edit:
    seq: int
    time_utc: str
    author: str
    source: str  # HUMAN | MACHINE
    op: str
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "time_utc": self.time_utc, "author": self.author, "source": self.source,
                "op": self.op, "data": self.data}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Edit":
        return cls(int(d["seq"]), str(d["time_utc"]), str(d.get("author", "")), str(d.get("source", HUMAN)),
                   str(d["op"]), dict(d.get("data") or {}))


@dataclass(frozen=True)
class SeizureLabel:
    """A human seizure label; times in seconds (None = not marked yet).

    ``origin``: ``"manual"`` or ``"event:<key>"`` for a confirmed detection.
    """

    id: str
    eeg_onset_s: Optional[float] = None
    clinical_onset_s: Optional[float] = None
    end_s: Optional[float] = None
    seizure_type: str = "focal"
    origin: str = "manual"
    created_by: str = ""
    created_utc: str = ""
    modified_by: str = ""
    modified_utc: str = ""

    def get(self, name: str) -> Any:
        return getattr(self, name)

    @property
    def anchor_s(self) -> float:
        """The earliest known time, for sorting."""
        known = [t for t in (self.eeg_onset_s, self.clinical_onset_s, self.end_s) if t is not None]
        return min(known) if known else float("inf")

    @property
    def span(self) -> tuple[float, float]:
        known = [t for t in (self.eeg_onset_s, self.clinical_onset_s, self.end_s) if t is not None]
        return (min(known), max(known)) if known else (float("inf"), float("-inf"))

    def fields(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in SEIZURE_FIELDS}


@dataclass(frozen=True)
class EventReview:
    """The latest review of a machine event (span ``start_s``..``end_s``)."""

    key: str
    start_s: float
    end_s: float
    peak_prob: float
    status: str
    author: str
    time_utc: str


@dataclass(frozen=True)
class Conflict:
    """The file changed on disk under us; our version went to ``side_file``."""

    path: Path
    side_file: Path
    reason: str

    def message(self) -> str:
        return (f"{self.path.name} was changed by someone else ({self.reason}). Your annotations were "
                f"saved to {self.side_file} instead; nothing was overwritten.")


@dataclass
class _State:
    seizures: dict[str, SeizureLabel] = field(default_factory=dict)
    reviews: dict[str, EventReview] = field(default_factory=dict)
    next_id: int = 1


def _check_time(value: Any) -> Optional[float]:
    if value is None:
        return None
    v = float(value)
    if v != v or v < 0:
        raise ValueError(f"time must be a non-negative number of seconds, got {value!r}")
    return v


def _apply(state: _State, e: Edit) -> None:
    """Replay one edit onto ``state`` (raises ValueError/KeyError on an inconsistent edit)."""
    d = e.data
    if e.op == "add_seizure":
        sid = str(d["id"])
        if sid in state.seizures:
            raise ValueError(f"seizure {sid} already exists")
        stype = normalise_seizure_type(d.get("seizure_type") or "focal")
        state.seizures[sid] = SeizureLabel(
            sid, _check_time(d.get(EEG_ONSET)), _check_time(d.get(CLINICAL_ONSET)), _check_time(d.get(SEIZURE_END)),
            stype, str(d.get("origin", "manual")),
            # An undone deletion restores the label with its original creator.
            str(d.get("created_by") or e.author), str(d.get("created_utc") or e.time_utc), e.author, e.time_utc)
        m = re.fullmatch(r"s(\d+)", sid)
        if m:
            state.next_id = max(state.next_id, int(m.group(1)) + 1)
    elif e.op == "set_seizure":
        sid, name = str(d["id"]), str(d["field"])
        old = state.seizures[sid]
        if name == "seizure_type":
            value: Any = normalise_seizure_type(d["value"])
        elif name in MARK_FIELDS:
            value = _check_time(d["value"])
        else:
            raise ValueError(f"unknown seizure field {name!r}")
        state.seizures[sid] = replace(old, **{name: value, "modified_by": e.author, "modified_utc": e.time_utc})
    elif e.op == "delete_seizure":
        del state.seizures[str(d["id"])]
    elif e.op == "review_event":
        status = str(d["status"])
        if status not in REVIEW_STATUSES:
            raise ValueError(f"unknown review status {status!r}")
        key = str(d["key"])
        state.reviews[key] = EventReview(key, float(d["start_s"]), float(d["end_s"]),
                                         float(d.get("peak_prob", float("nan"))), status, e.author, e.time_utc)
    else:
        raise ValueError(f"unknown edit op {e.op!r}")


def _overlap_fraction(a0: float, a1: float, b0: float, b1: float) -> float:
    inter = min(a1, b1) - max(a0, b0)
    shorter = max(min(a1 - a0, b1 - b0), 1e-9)
    return max(inter, 0.0) / shorter


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
        self._state = _State()
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
            edits = [Edit.from_dict(e) for e in data.get("edits", [])]
            state = _State()
            for e in edits:
                try:
                    _apply(state, e)
                except (KeyError, ValueError, TypeError) as exc:
                    raise InputFileError(p, f"edit #{e.seq} ({e.op}) cannot be applied: {exc}") from None
            store.edits, store._state = edits, state
            if not store.video:
                store.video = dict(data.get("video") or {})
            store._disk_hash = hashlib.sha256(raw).hexdigest()
            store._disk_revision = int(data.get("revision", len(edits)))
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

    def review_of(self, start_s: float, end_s: float) -> Optional[EventReview]:
        """The review that applies to an event spanning ``start_s..end_s``.

        Exact key first; otherwise the latest review overlapping the event by at least half of
        the shorter span, so a review survives the events being recomputed at a new threshold.
        """
        exact = self._state.reviews.get(event_key(start_s, end_s))
        if exact is not None:
            return exact
        best = None
        for r in self._state.reviews.values():
            if _overlap_fraction(start_s, end_s, r.start_s, r.end_s) >= 0.5:
                if best is None or r.time_utc > best.time_utc:
                    best = r
        return best

    def status_of(self, start_s: float, end_s: float) -> str:
        r = self.review_of(start_s, end_s)
        return r.status if r is not None else UNREVIEWED

    def seizure_from_event(self, key: str) -> Optional[SeizureLabel]:
        for s in self._state.seizures.values():
            if s.origin == f"event:{key}":
                return s
        return None

    # -- writing ----------------------------------------------------------------------------
    def apply(self, op: str, data: dict[str, Any], source: str = HUMAN, author: Optional[str] = None) -> Edit:
        """Append one edit, update the state, notify listeners and autosave."""
        if op not in OPS:
            raise ValueError(f"unknown edit op {op!r}")
        e = Edit(len(self.edits) + 1, utc_now(), author or self.author, source, op, dict(data))
        _apply(self._state, e)  # raises before anything is recorded when the edit is inconsistent
        self.edits.append(e)
        for fn in list(self.listeners):
            fn(e)
        if self.autosave and self.path is not None:
            self.save()
        return e

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
    "AnnotationStore", "Edit", "SeizureLabel", "EventReview", "Conflict", "annotations_path_for", "event_key",
    "HUMAN", "MACHINE", "UNREVIEWED", "CONFIRMED", "REJECTED", "REVIEW_STATUSES", "EEG_ONSET",
    "CLINICAL_ONSET", "SEIZURE_END", "MARK_FIELDS", "MARK_LABELS", "SEIZURE_TYPES",
]
