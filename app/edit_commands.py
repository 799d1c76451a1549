"""Undoable annotation edits (QUndoCommand), split SLEAP-style into *decide* and *do*.

The *do* part is :class:`StoreEditCommand`: a batch of primitive store edits applied all or
nothing; their inverses come from the state just before each (``app.annotation_state``), so undo
appends the inverse edits to the store's history (the history stays append-only). A batch that
would break the label rules is refused by the store: the command then does nothing, is dropped
from the undo stack and keeps the reason in ``refused``.

The factories below (``mark_command``, ``set_fields_command``, ``review_command``, ...) hold the
decisions (which seizure a mark belongs to, what confirming or rejecting a detection does) and
need no window, so tests drive them directly on a QUndoStack. Choosing between alternatives when
a rule would break is ``app.edit_plans``; asking is the window's.
"""
from __future__ import annotations

from typing import Any, Optional

from PySide6.QtGui import QUndoCommand

from inference.dataset.manifest import UNKNOWN

from .annotations import (
    CLINICAL_ONSET,
    CONFIRMED,
    EEG_ONSET,
    HUMAN,
    MACHINE,
    MARK_FIELDS,
    MARK_LABELS,
    REJECTED,
    SEIZURE_END,
    SEIZURE_FIELDS,
    AnnotationStore,
    LabelRuleError,
    Op,
    SeizureLabel,
    event_key,
)
from .label_rules import spans_overlap

# How far from an existing seizure's marks a new mark still belongs to that seizure.
MARK_ATTACH_S = 120.0


class StoreEditCommand(QUndoCommand):
    """Apply ``ops`` as one batch on redo; apply their inverses in reverse order on undo.

    ``merge_key``: commands with the same non-empty key merge on the stack (spin-box edits of
    one field become one undo step). ``refused``: the LabelRuleError when the store refused.
    """

    _MERGE_ID = 6001

    def __init__(self, store: AnnotationStore, ops: list[Op], text: str, merge_key: str = ""):
        super().__init__(text)
        self.store = store
        self.ops = list(ops)
        self.merge_key = merge_key
        self.restores = ""  # "was 70.000 s": what undo puts back, said in the text (set by factories)
        self.refused: Optional[LabelRuleError] = None
        self.removed_ids: tuple[str, ...] = ()  # seizures this command deletes (said in messages)
        self._inverse: list[Op] = []

    def redo(self) -> None:
        try:
            self._inverse = self.store.apply_many(self.ops)
        except LabelRuleError as exc:
            # Nothing was recorded; an obsolete command is dropped by QUndoStack.push.
            self.refused, self._inverse = exc, []
            self.setObsolete(True)

    def undo(self) -> None:
        if self._inverse:  # restores a state that was there: no rule check
            self.store.apply_many(list(reversed(self._inverse)), check=False)

    def id(self) -> int:  # noqa: A003 - Qt's name
        return self._MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, StoreEditCommand) or other.merge_key != self.merge_key or other.refused:
            return False
        # Keep our inverses (the state before the first edit); take the other's edits as the result.
        self.ops = self.ops + other.ops
        self._inverse = self._inverse + other._inverse
        # The text says the latest value, and what undo restores: the value before our first edit.
        text = other.text()
        if self.restores and other.restores:
            text = text.replace(f"({other.restores})", f"({self.restores})")
        self.setText(text)
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


def new_seizure_op(store: AnnotationStore, fields: dict[str, Any], origin: str = "manual") -> Op:
    """An ``add_seizure`` of a new id; the type is ``unknown`` until a person chooses one."""
    data = {"id": store.new_seizure_id(), EEG_ONSET: None, CLINICAL_ONSET: None, SEIZURE_END: None,
            "seizure_type": UNKNOWN, "origin": origin, **fields}
    return "add_seizure", data


def mark_command(store: AnnotationStore, field: str, t: float, selected_id: Optional[str] = None,
                 new: bool = False) -> StoreEditCommand:
    """Mark EEG onset / clinical onset / seizure end at ``t`` (the current frame's time), on the
    seizure ``seizure_for_mark`` picks, or on a new one (``new``, or none near)."""
    if field not in MARK_FIELDS:
        raise ValueError(f"unknown mark {field!r}")
    t = round(float(t), 6)
    sid = None if new else seizure_for_mark(store, t, selected_id)
    label = MARK_LABELS[field]
    if sid is None:
        op = new_seizure_op(store, {field: t})
        return StoreEditCommand(store, [op], f"mark {label} at {t:.3f} s (new seizure {op[1]['id']})")
    return StoreEditCommand(store, [("set_seizure", {"id": sid, "field": field, "value": t, "source": HUMAN})],
                            f"mark {label} at {t:.3f} s ({sid}, was {_value_text(store.seizure(sid).get(field))})")


def field_ops(sid: str, changes: dict[str, Any]) -> list[Op]:
    """``set_seizure`` ops for ``changes`` (field -> value); times set by a person are human."""
    ops: list[Op] = []
    for field, value in changes.items():
        if field not in SEIZURE_FIELDS:
            raise ValueError(f"unknown seizure field {field!r}")
        data = {"id": sid, "field": field, "value": value}
        if field in MARK_FIELDS:
            data["value"] = None if value is None else round(float(value), 6)
            data["source"] = HUMAN
        ops.append(("set_seizure", data))
    return ops


def set_fields_command(store: AnnotationStore, sid: str, changes: dict[str, Any], text: str,
                       merge_key: str = "") -> StoreEditCommand:
    """Change several fields of one seizure as one step (e.g. an onset and the onset it passed)."""
    return StoreEditCommand(store, field_ops(sid, changes), text, merge_key)


def set_field_command(store: AnnotationStore, sid: str, field: str, value: Any, merge: bool = False,
                      verb: str = "set") -> StoreEditCommand:
    """Change one field of a seizure (a marker drag, a spin box, the type combo)."""
    if field in MARK_FIELDS and value is not None:
        value = round(float(value), 6)
    before = store.seizure(sid).get(field) if store.has_seizure(sid) else None
    cmd = set_fields_command(store, sid, {field: value},
                             f"{verb} {MARK_LABELS.get(field, field)} of {sid} to {_value_text(value)}",
                             merge_key=f"{sid}/{field}" if merge else "")
    cmd.restores = f"was {_value_text(before)}"
    cmd.setText(f"{cmd.text()} ({cmd.restores})")
    return cmd


def _value_text(value: Any) -> str:
    if value is None:
        return "unset"
    return f"{value:.3f} s" if isinstance(value, float) else str(value)


def accept_command(store: AnnotationStore, sid: str) -> Optional[StoreEditCommand]:
    """A person accepts the detector's proposed times of ``sid`` as they are (they become
    human). None when nothing of it is a proposal."""
    s = store.seizure(sid)
    if not s.proposed:
        return None
    ops = [("set_seizure", {"id": sid, "field": f, "value": s.get(f), "source": HUMAN}) for f in s.proposed]
    names = ", ".join(MARK_LABELS[f] for f in s.proposed)
    return StoreEditCommand(store, ops, f"accept the proposed {names} of {sid}")


def add_seizure_command(store: AnnotationStore, fields: dict[str, Any]) -> StoreEditCommand:
    op = new_seizure_op(store, {f: v for f, v in fields.items()})
    return StoreEditCommand(store, [op], f"add seizure {op[1]['id']}")


def delete_seizure_command(store: AnnotationStore, sid: str) -> StoreEditCommand:
    return StoreEditCommand(store, [("delete_seizure", {"id": sid})], f"delete seizure {sid}")


def threshold_command(store: AnnotationStore, value: Optional[float], merge: bool = False) -> StoreEditCommand:
    """Set this recording's detection threshold (None: back to the run's own)."""
    value = None if value is None else round(min(max(float(value), 0.0), 1.0), 6)
    text = "reset the threshold to the run's" if value is None else f"set the threshold to {value:.2f}"
    return StoreEditCommand(store, [("set_threshold", {"value": value})], text, "threshold" if merge else "")


def proposals_on_event(store: AnnotationStore, start_s: float, end_s: float) -> list[SeizureLabel]:
    """Seizures that confirming a detection opened and that lie on ``start_s..end_s``."""
    return [s for s in store.seizures() if s.origin.startswith("event:") and spans_overlap(s.span, (start_s, end_s))]


def refined_proposals(store: AnnotationStore, start_s: float, end_s: float) -> list[SeizureLabel]:
    """Of those, the ones a person has refined (a time set or accepted, a type chosen): rejecting
    or resetting the detection must ask before deleting them."""
    return [s for s in proposals_on_event(store, start_s, end_s) if s.refined]


def review_command(store: AnnotationStore, start_s: float, end_s: float, peak_prob: float, status: str,
                   threshold: Optional[float] = None, delete_refined: bool = False) -> StoreEditCommand:
    """Confirm / reject / reset a machine event; the review records the span seen (and the
    threshold it was seen at).

    Confirming opens a seizure from the detection unless a seizure already lies on it: both
    onsets at the event start, the end at the event end, all three marked as the detector's
    proposal (``machine``) and the type ``unknown``. Rejecting or resetting removes such a
    proposal while nobody has refined it; a refined one only with ``delete_refined`` (the
    window asks), otherwise it stays and only the review changes.
    """
    key = event_key(start_s, end_s)
    review = {"key": key, "start_s": float(start_s), "end_s": float(end_s), "peak_prob": float(peak_prob),
              "status": status}
    if threshold is not None:
        review["threshold"] = float(threshold)
    ops: list[Op] = [("review_event", review)]
    removed = []
    if status == CONFIRMED:
        if not any(spans_overlap(s.span, (start_s, end_s)) for s in store.seizures()):
            times = {EEG_ONSET: round(start_s, 6), CLINICAL_ONSET: round(start_s, 6), SEIZURE_END: round(end_s, 6)}
            op, data = new_seizure_op(store, {**times, "sources": {f: MACHINE for f in times}}, f"event:{key}")
            ops.append((op, data, MACHINE))
    else:
        for s in proposals_on_event(store, start_s, end_s):
            if delete_refined or not s.refined:
                ops.append(("delete_seizure", {"id": s.id}))
                removed.append(s.id)
    verb = {CONFIRMED: "confirm", REJECTED: "reject"}.get(status, "reset")
    text = f"{verb} event {start_s:.1f}-{end_s:.1f} s" + (f" (delete {', '.join(removed)})" if removed else "")
    cmd = StoreEditCommand(store, ops, text)
    cmd.removed_ids = tuple(removed)
    return cmd
