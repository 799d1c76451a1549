"""What the annotation history says, without Qt or files: the edits, the labels they build, and
for each edit the edit that undoes it.

- A :class:`SeizureLabel` keeps, per time field, whether a person set it (``human``) or the
  detector proposed it (``machine``): confirming a detection opens a seizure whose times are
  the detector's proposal until someone sets or accepts them.
- An :class:`EventReview` is the span a reviewer saw (the event at the threshold of the time)
  and the verdict; later reviews lie over earlier ones (``order``), see ``app.review_coverage``.
- A :class:`ThresholdSetting` is the detection threshold chosen for this recording.

Ops and their data (JSON). Version 1 files have only the first four ops and no ``sources`` /
``source`` / ``order`` / ``threshold`` keys; the defaults below read them as they were meant::

    add_seizure     {"id", "eeg_onset_s", "clinical_onset_s", "end_s", "seizure_type", "origin",
                     "sources": {field: "human"|"machine"} (v2; default: the edit's source),
                     optional "created_by"/"created_utc" when an undo restores a deleted label}
    set_seizure     {"id", "field", "value", "source" (v2; default: the edit's source)}
    delete_seizure  {"id"}
    review_event    {"key", "start_s", "end_s", "peak_prob", "status",
                     "threshold" (v2, the threshold the reviewer saw), "order" (v2, an undo's)}
    remove_review   {"key"}                         (v2: undoes a first review of a span)
    set_threshold   {"value": float | null}         (v2: null = the analysis run's own threshold)
    add_sign        {"id", "sign": {"id", "term", "time_s", "body_part", "laterality"}}   (v3: semiology)
    delete_sign     {"id", "sign_id"}                                                     (v3)

Version 3 also lets ``set_seizure`` set ``ilae_type`` and ``awareness`` (the ILAE type, see
``inference.dataset.semiology``), and ``add_seizure`` carry them and ``signs`` (an undone deletion).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from inference.dataset.manifest import UNKNOWN, normalise_seizure_type
from inference.dataset.semiology import SemiologySign, check_awareness, check_ilae_type, ordered
from widgets.display_data import (  # Qt-free: the statuses and mark names the widgets draw
    CLINICAL_ONSET,
    EEG_ONSET,
    REVIEW_STATUSES,
    SEIZURE_END,
    SEIZURE_TIME_FIELDS,
)

HUMAN = "human"
MACHINE = "machine"
SOURCES = (HUMAN, MACHINE)

# The three marks an annotator places, in clinical order.
MARK_FIELDS = SEIZURE_TIME_FIELDS
MARK_LABELS = {EEG_ONSET: "EEG onset", CLINICAL_ONSET: "clinical onset", SEIZURE_END: "seizure end"}
ONSET_FIELDS = (EEG_ONSET, CLINICAL_ONSET)
SEMIOLOGY_FIELDS = ("ilae_type", "awareness")
SEIZURE_FIELDS = MARK_FIELDS + ("seizure_type",) + SEMIOLOGY_FIELDS
V1_DEFAULT_TYPE = "focal"  # what version 1 assumed when no type was given

OPS = ("add_seizure", "set_seizure", "delete_seizure", "review_event", "remove_review", "set_threshold",
       "add_sign", "delete_sign")

Op = tuple  # (op, data) or (op, data, source): one primitive edit to apply


@dataclass(frozen=True)
class Edit:
    seq: int
    time_utc: str
    author: str
    source: str  # HUMAN | MACHINE: who decided this edit
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
    """A seizure label; times in seconds (None = not marked yet).

    ``origin``: ``"manual"`` or ``"event:<key>"`` (opened by confirming a detection).
    ``sources``: time field -> ``human`` | ``machine`` for every time that is set.
    """

    id: str
    eeg_onset_s: Optional[float] = None
    clinical_onset_s: Optional[float] = None
    end_s: Optional[float] = None
    seizure_type: str = V1_DEFAULT_TYPE
    origin: str = "manual"
    created_by: str = ""
    created_utc: str = ""
    modified_by: str = ""
    modified_utc: str = ""
    sources: dict[str, str] = field(default_factory=dict, hash=False)
    ilae_type: str = ""  # inference.dataset.semiology.ILAE_TYPES key; "" = not classified
    awareness: str = ""
    signs: tuple[SemiologySign, ...] = ()  # in time order

    def get(self, name: str) -> Any:
        return getattr(self, name)

    def source(self, name: str) -> Optional[str]:
        """``human`` / ``machine`` for a time that is set, None for one that is not."""
        return self.sources.get(name) if self.get(name) is not None else None

    @property
    def proposed(self) -> tuple[str, ...]:
        """The time fields whose value is still the detector's proposal."""
        return tuple(f for f in MARK_FIELDS if self.source(f) == MACHINE)

    @property
    def refined(self) -> bool:
        """Whether a person has set a time or chosen a type (more than the bare proposal)."""
        return any(self.source(f) == HUMAN for f in MARK_FIELDS) or self.seizure_type != UNKNOWN

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

    def restore_data(self) -> dict[str, Any]:
        """The ``add_seizure`` data that brings this label back as it is (an undone deletion)."""
        return {"id": self.id, **self.fields(), "origin": self.origin, "created_by": self.created_by,
                "created_utc": self.created_utc, "sources": {f: self.source(f) for f in MARK_FIELDS
                                                             if self.source(f) is not None},
                "signs": [g.to_dict() for g in self.signs]}


@dataclass(frozen=True)
class EventReview:
    """The latest review of the machine event that spanned ``start_s``..``end_s`` when reviewed
    (at ``threshold``, when known). ``order``: later reviews lie over earlier ones."""

    key: str
    start_s: float
    end_s: float
    peak_prob: float
    status: str
    author: str
    time_utc: str
    order: int = 0
    threshold: Optional[float] = None

    def data(self) -> dict[str, Any]:
        d = {"key": self.key, "start_s": self.start_s, "end_s": self.end_s, "peak_prob": self.peak_prob,
             "status": self.status, "order": self.order}
        if self.threshold is not None:
            d["threshold"] = self.threshold
        return d


@dataclass(frozen=True)
class ThresholdSetting:
    """The detection threshold chosen for this recording (``value`` None: the run's own)."""

    value: Optional[float]
    author: str
    time_utc: str
    source: str


@dataclass
class State:
    seizures: dict[str, SeizureLabel] = field(default_factory=dict)
    reviews: dict[str, EventReview] = field(default_factory=dict)
    next_id: int = 1
    threshold: Optional[ThresholdSetting] = None

    def copy(self) -> "State":
        """A copy to try edits on (the labels themselves are immutable)."""
        return State(dict(self.seizures), dict(self.reviews), self.next_id, self.threshold)


def _check_time(value: Any) -> Optional[float]:
    if value is None:
        return None
    v = float(value)
    if v != v or v < 0:
        raise ValueError(f"time must be a non-negative number of seconds, got {value!r}")
    return v


def _check_source(value: Any) -> str:
    if value not in SOURCES:
        raise ValueError(f"unknown source {value!r} (expected human or machine)")
    return str(value)


def apply_edit(state: State, e: Edit) -> None:
    """Replay one edit onto ``state`` (raises ValueError/KeyError on an inconsistent edit)."""
    d = e.data
    if e.op == "add_seizure":
        sid = str(d["id"])
        if sid in state.seizures:
            raise ValueError(f"seizure {sid} already exists")
        times = {f: _check_time(d.get(f)) for f in MARK_FIELDS}
        given = d.get("sources") or {}
        sources = {f: _check_source(given.get(f, e.source)) for f in MARK_FIELDS if times[f] is not None}
        stype = normalise_seizure_type(d.get("seizure_type") or V1_DEFAULT_TYPE)
        state.seizures[sid] = SeizureLabel(
            sid, times[EEG_ONSET], times[CLINICAL_ONSET], times[SEIZURE_END], stype, str(d.get("origin", "manual")),
            # An undone deletion restores the label with its original creator.
            str(d.get("created_by") or e.author), str(d.get("created_utc") or e.time_utc), e.author, e.time_utc,
            sources, check_ilae_type(d.get("ilae_type")), check_awareness(d.get("awareness")),
            ordered(SemiologySign.from_dict(g) for g in d.get("signs") or []))
        m = re.fullmatch(r"s(\d+)", sid)
        if m:
            state.next_id = max(state.next_id, int(m.group(1)) + 1)
    elif e.op == "set_seizure":
        sid, name = str(d["id"]), str(d["field"])
        old = state.seizures[sid]
        changes: dict[str, Any] = {"modified_by": e.author, "modified_utc": e.time_utc}
        if name == "seizure_type":
            changes[name] = normalise_seizure_type(d["value"])
        elif name == "ilae_type":
            changes[name] = check_ilae_type(d["value"])
        elif name == "awareness":
            changes[name] = check_awareness(d["value"])
        elif name in MARK_FIELDS:
            changes[name] = _check_time(d["value"])
            sources = dict(old.sources)
            sources.pop(name, None)
            if changes[name] is not None:
                sources[name] = _check_source(d.get("source", e.source))
            changes["sources"] = sources
        else:
            raise ValueError(f"unknown seizure field {name!r}")
        state.seizures[sid] = replace(old, **changes)
    elif e.op == "delete_seizure":
        del state.seizures[str(d["id"])]
    elif e.op == "add_sign":
        old = state.seizures[str(d["id"])]
        sign = SemiologySign.from_dict(d["sign"])
        if any(g.id == sign.id for g in old.signs):
            raise ValueError(f"sign {sign.id} of seizure {old.id} already exists")
        state.seizures[old.id] = replace(old, signs=ordered(old.signs + (sign,)), modified_by=e.author,
                                         modified_utc=e.time_utc)
    elif e.op == "delete_sign":
        old = state.seizures[str(d["id"])]
        kept = tuple(g for g in old.signs if g.id != str(d["sign_id"]))
        if len(kept) == len(old.signs):
            raise KeyError(f"seizure {old.id} has no sign {d['sign_id']}")
        state.seizures[old.id] = replace(old, signs=kept, modified_by=e.author, modified_utc=e.time_utc)
    elif e.op == "review_event":
        status = str(d["status"])
        if status not in REVIEW_STATUSES:
            raise ValueError(f"unknown review status {status!r}")
        key = str(d["key"])
        thr = d.get("threshold")
        state.reviews.pop(key, None)  # the dict's order then follows the latest reviews
        state.reviews[key] = EventReview(key, float(d["start_s"]), float(d["end_s"]),
                                         float(d.get("peak_prob", float("nan"))), status, e.author, e.time_utc,
                                         int(d.get("order", e.seq)), None if thr is None else float(thr))
    elif e.op == "remove_review":
        del state.reviews[str(d["key"])]
    elif e.op == "set_threshold":
        value = d.get("value")
        if value is not None:
            value = float(value)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"threshold must lie in [0, 1], got {value!r}")
        state.threshold = ThresholdSetting(value, e.author, e.time_utc, e.source)
    else:
        raise ValueError(f"unknown edit op {e.op!r}")


def inverse_op(state: State, op: str, data: dict[str, Any]) -> Op:
    """The edit that undoes ``(op, data)`` given ``state`` just *before* it is applied."""
    if op == "add_seizure":
        return "delete_seizure", {"id": data["id"]}
    if op == "delete_seizure":
        return "add_seizure", state.seizures[data["id"]].restore_data()
    if op == "set_seizure":
        old = state.seizures[data["id"]]
        undo = {"id": data["id"], "field": data["field"], "value": old.get(data["field"])}
        if old.source(data["field"]) is not None:
            undo["source"] = old.source(data["field"])
        return "set_seizure", undo
    if op == "review_event":
        prev = state.reviews.get(str(data["key"]))
        return ("remove_review", {"key": data["key"]}) if prev is None else ("review_event", prev.data())
    if op == "remove_review":
        return "review_event", state.reviews[str(data["key"])].data()
    if op == "set_threshold":
        return "set_threshold", {"value": state.threshold.value if state.threshold is not None else None}
    if op == "add_sign":
        return "delete_sign", {"id": data["id"], "sign_id": data["sign"]["id"]}
    if op == "delete_sign":
        old = state.seizures[data["id"]]
        sign = next(g for g in old.signs if g.id == data["sign_id"])
        return "add_sign", {"id": data["id"], "sign": sign.to_dict()}
    raise ValueError(f"unknown edit op {op!r}")


__all__ = ["Edit", "SeizureLabel", "EventReview", "ThresholdSetting", "State", "apply_edit", "inverse_op",
           "HUMAN", "MACHINE", "SOURCES", "MARK_FIELDS", "MARK_LABELS", "ONSET_FIELDS", "SEIZURE_FIELDS",
           "SEMIOLOGY_FIELDS", "OPS",
           "Op"]
