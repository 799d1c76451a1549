"""Undoable annotation edits (QUndoCommand), split SLEAP-style into *decide* and *do*.

The *do* part is :class:`StoreEditCommand`: a list of primitive store edits whose inverses are
computed from the state just before they are applied, so undo appends the inverse edits to the
store's history (the history stays append-only). The factories below (``mark_command``,
``set_field_command``, ``review_command``, ...) hold the decisions (which seizure a mark belongs
to, what confirming a detection creates) and need no window, so tests drive them directly on a
QUndoStack. The UI part (asking the reviewer's name, confirming a deletion) lives in the window.
"""
from __future__ import annotations

from typing import Any, Optional

from PySide6.QtGui import QUndoCommand

from .annotations import (
    CLINICAL_ONSET,
    CONFIRMED,
    EEG_ONSET,
    MARK_FIELDS,
    MARK_LABELS,
    REJECTED,
    SEIZURE_END,
    SEIZURE_FIELDS,
    UNREVIEWED,
    AnnotationStore,
    event_key,
)

# How far from an existing seizure's marks a new mark still belongs to that seizure.
MARK_ATTACH_S = 120.0

Op = tuple[str, dict[str, Any]]


def inverse_of(store: AnnotationStore, op: str, data: dict[str, Any]) -> Op:
    """The edit that undoes ``(op, data)`` given the store's state *before* it is applied."""
    if op == "add_seizure":
        return "delete_seizure", {"id": data["id"]}
    if op == "delete_seizure":
        s = store.seizure(data["id"])
        return "add_seizure", {"id": s.id, **s.fields(), "origin": s.origin,
                               "created_by": s.created_by, "created_utc": s.created_utc}
    if op == "set_seizure":
        return "set_seizure", {"id": data["id"], "field": data["field"],
                               "value": store.seizure(data["id"]).get(data["field"])}
    if op == "review_event":
        prev = store.review_of(float(data["start_s"]), float(data["end_s"]))
        return "review_event", {**data, "status": prev.status if prev is not None else UNREVIEWED}
    raise ValueError(f"unknown edit op {op!r}")


class StoreEditCommand(QUndoCommand):
    """Apply ``ops`` on redo; apply their inverses in reverse order on undo.

    ``merge_key``: commands with the same non-empty key merge on the stack (spin-box edits of
    one field become one undo step).
    """

    _MERGE_ID = 6001

    def __init__(self, store: AnnotationStore, ops: list[Op], text: str, merge_key: str = ""):
        super().__init__(text)
        self.store = store
        self.ops = list(ops)
        self.merge_key = merge_key
        self._inverse: list[Op] = []

    def redo(self) -> None:
        inverse = []
        for op, data in self.ops:
            inverse.append(inverse_of(self.store, op, data))
            self.store.apply(op, data)
        self._inverse = inverse

    def undo(self) -> None:
        for op, data in reversed(self._inverse):
            self.store.apply(op, data)

    def id(self) -> int:  # noqa: A003 - Qt's name
        return self._MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, StoreEditCommand) or other.merge_key != self.merge_key:
            return False
        # Keep our inverses (the state before the first edit); take the other's edits as the result.
        self.ops = self.ops + other.ops
        self._inverse = self._inverse + other._inverse
        return True


# -- decisions -----------------------------------------------------------------------------------

def seizure_for_mark(store: AnnotationStore, t: float, selected_id: Optional[str] = None) -> Optional[str]:
    """Which seizure a mark at ``t`` belongs to: the selected one, else the nearest seizure whose
    marks lie within ``MARK_ATTACH_S`` of ``t``, else None (a new seizure)."""
    if selected_id and store.has_seizure(selected_id):
        return selected_id
    best, best_d = None, MARK_ATTACH_S
    for s in store.seizures():
        lo, hi = s.span
        d = 0.0 if lo <= t <= hi else min(abs(t - lo), abs(t - hi))
        if d <= best_d:
            best, best_d = s.id, d
    return best


def mark_command(store: AnnotationStore, field: str, t: float, selected_id: Optional[str] = None,
                 seizure_type: str = "focal") -> StoreEditCommand:
    """Mark EEG onset / clinical onset / seizure end at ``t`` (the current frame's time)."""
    if field not in MARK_FIELDS:
        raise ValueError(f"unknown mark {field!r}")
    t = round(float(t), 6)
    sid = seizure_for_mark(store, t, selected_id)
    label = MARK_LABELS[field]
    if sid is None:
        sid = store.new_seizure_id()
        data = {"id": sid, EEG_ONSET: None, CLINICAL_ONSET: None, SEIZURE_END: None,
                "seizure_type": seizure_type, "origin": "manual", field: t}
        return StoreEditCommand(store, [("add_seizure", data)], f"mark {label} at {t:.3f} s (new seizure {sid})")
    return StoreEditCommand(store, [("set_seizure", {"id": sid, "field": field, "value": t})],
                            f"mark {label} at {t:.3f} s ({sid})")


def set_field_command(store: AnnotationStore, sid: str, field: str, value: Any, merge: bool = False,
                      verb: str = "set") -> StoreEditCommand:
    """Change one field of a seizure (a marker drag, a spin box, the type combo)."""
    if field not in SEIZURE_FIELDS:
        raise ValueError(f"unknown seizure field {field!r}")
    if field in MARK_FIELDS and value is not None:
        value = round(float(value), 6)
    shown = f"{value:.3f} s" if isinstance(value, float) else str(value)
    return StoreEditCommand(store, [("set_seizure", {"id": sid, "field": field, "value": value})],
                            f"{verb} {MARK_LABELS.get(field, field)} of {sid} to {shown}",
                            merge_key=f"{sid}/{field}" if merge else "")


def add_seizure_command(store: AnnotationStore, fields: dict[str, Any]) -> StoreEditCommand:
    sid = store.new_seizure_id()
    data = {"id": sid, EEG_ONSET: None, CLINICAL_ONSET: None, SEIZURE_END: None, "seizure_type": "focal",
            "origin": "manual", **fields}
    return StoreEditCommand(store, [("add_seizure", data)], f"add seizure {sid}")


def delete_seizure_command(store: AnnotationStore, sid: str) -> StoreEditCommand:
    return StoreEditCommand(store, [("delete_seizure", {"id": sid})], f"delete seizure {sid}")


def review_command(store: AnnotationStore, start_s: float, end_s: float, peak_prob: float,
                   status: str) -> StoreEditCommand:
    """Confirm / reject / reset a machine event.

    Confirming makes the detection a human label: a seizure with both onsets at the event start
    and its end at the event end, unless a human seizure already overlaps the event. Rejecting a
    previously confirmed event removes the seizure that the confirmation created.
    """
    key = event_key(start_s, end_s)
    review = {"key": key, "start_s": float(start_s), "end_s": float(end_s), "peak_prob": float(peak_prob),
              "status": status}
    ops: list[Op] = [("review_event", review)]
    prev = store.review_of(start_s, end_s)
    created = store.seizure_from_event(prev.key) if prev is not None else None
    if status == CONFIRMED and created is None:
        overlapping = [s for s in store.seizures() if s.span[0] <= end_s and s.span[1] >= start_s]
        if not overlapping:
            sid = store.new_seizure_id()
            ops.append(("add_seizure", {"id": sid, EEG_ONSET: round(start_s, 6), CLINICAL_ONSET: round(start_s, 6),
                                        SEIZURE_END: round(end_s, 6), "seizure_type": "focal",
                                        "origin": f"event:{key}"}))
    elif status != CONFIRMED and created is not None:
        ops.append(("delete_seizure", {"id": created.id}))
    verb = {CONFIRMED: "confirm", REJECTED: "reject"}.get(status, "reset")
    return StoreEditCommand(store, ops, f"{verb} event {start_s:.1f}-{end_s:.1f} s")
