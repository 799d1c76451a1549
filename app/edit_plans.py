"""Deciding a label edit before it is done: what was asked for, the rule problems it would add,
and the explicit alternatives that keep the rules (SLEAP's *ask* half, without the asking).

``plan_mark``, ``plan_set_field`` and ``plan_add_seizure`` return an :class:`EditPlan`; the
window pushes ``plan.command`` when ``plan.ok``, otherwise it offers ``plan.options()`` (e.g.
"Move the clinical onset to … too", "Merge seizure s2 into s1", "Start a new seizure here") and
refuses with ``plan.message`` when there is none or the reviewer cancels. A large move of a mark
that is already set is a ``question`` even when no rule breaks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from inference.dataset.manifest import UNKNOWN
from widgets.timefmt import format_time

from .annotations import CLINICAL_ONSET, EEG_ONSET, MARK_LABELS, SEIZURE_END, AnnotationStore, Op, SeizureLabel
from .edit_commands import (
    StoreEditCommand,
    field_ops,
    mark_command,
    new_seizure_op,
    seizure_for_mark,
    set_field_command,
)
from .label_rules import OVERLAP, Problem, describe

# A mark that moves an already set mark further than this asks first (a key pressed on the
# wrong seizure, or far from where the reviewer is looking).
MARK_MOVE_CONFIRM_S = 30.0


@dataclass
class Choice:
    text: str
    command: StoreEditCommand


@dataclass
class EditPlan:
    """``command``: the edit asked for; ``problems``: what it would break (then it is refused
    unless one of ``choices`` is taken); ``question``: asked before ``command`` even without a
    problem, with ``confirm`` as the answer that does it."""

    command: Optional[StoreEditCommand]
    problems: list[Problem] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    question: str = ""
    confirm: str = ""

    @property
    def ok(self) -> bool:
        return self.command is not None and not self.problems and not self.question

    @property
    def message(self) -> str:
        return "; ".join(p.message for p in self.problems) if self.problems else self.question

    def options(self) -> list[Choice]:
        """What the reviewer may pick (cancel is always possible)."""
        if self.problems or self.command is None:
            return list(self.choices)
        return [Choice(self.confirm, self.command)] + list(self.choices)


def _clean(store: AnnotationStore, ops: list[Op]) -> bool:
    return not store.problems_after(ops)


def merge_ops(store: AnnotationStore, ops: list[Op], problems: list[Problem]) -> Optional[tuple[str, list[Op]]]:
    """``ops`` followed by merging the two seizures they make overlap (the earlier one stays,
    with the earliest onsets and the latest end, each keeping its source). None when the only
    problem is not one overlap of two seizures, or the merged seizure would break a rule."""
    if len(problems) != 1 or problems[0].kind != OVERLAP:
        return None
    after = {s.id: s for s in store.labels_after(ops)}
    a, b = sorted((after[i] for i in problems[0].seizure_ids), key=lambda s: (s.anchor_s, s.id))
    changes, sources = {}, {}
    for f, pick in ((EEG_ONSET, min), (CLINICAL_ONSET, min), (SEIZURE_END, max)):
        known = [s for s in (a, b) if s.get(f) is not None]
        if known:
            src = pick(known, key=lambda s: s.get(f))
            if (src.get(f), src.source(f)) != (a.get(f), a.source(f)):
                changes[f], sources[f] = src.get(f), src.source(f)
    merged = list(ops) + [("set_seizure", {"id": a.id, "field": f, "value": v, "source": sources[f]})
                          for f, v in changes.items()]
    if a.seizure_type == UNKNOWN and b.seizure_type != UNKNOWN:
        merged.append(("set_seizure", {"id": a.id, "field": "seizure_type", "value": b.seizure_type}))
    merged.append(("delete_seizure", {"id": b.id}))
    if not _clean(store, merged):
        return None
    return f"Merge {describe(b)} into {describe(a)}", merged


def repair_changes(s: SeizureLabel, field_name: str, value: float) -> dict[str, Any]:
    """The other marks that must move with ``field_name = value`` to keep the clinical order:
    an onset passing the other onset takes it along; an onset at or after the end clears the end
    (to be marked again). Empty when nothing needs to move (or an end before the onsets, which
    no other mark can repair)."""
    extra: dict[str, Any] = {}
    if field_name == EEG_ONSET and s.clinical_onset_s is not None and value > s.clinical_onset_s:
        extra[CLINICAL_ONSET] = value
    if field_name == CLINICAL_ONSET and s.eeg_onset_s is not None and value < s.eeg_onset_s:
        extra[EEG_ONSET] = value
    if field_name in (EEG_ONSET, CLINICAL_ONSET) and s.end_s is not None and value >= s.end_s:
        extra[SEIZURE_END] = None
    return extra


def _repair_text(extra: dict[str, Any], value: float) -> str:
    parts = [f"move the {MARK_LABELS[f]} to {format_time(value)} too" for f, v in extra.items() if v is not None]
    if SEIZURE_END in extra and extra[SEIZURE_END] is None:
        parts.append("clear the end (mark it again)")
    text = " and ".join(parts)
    return text[:1].upper() + text[1:]


def _choices_for(store: AnnotationStore, sid: str, field_name: str, value: float, ops: list[Op],
                 problems: list[Problem], text: str, merge_key: str = "") -> list[Choice]:
    """Alternatives to setting ``field_name`` of ``sid`` to ``value`` (``ops``) that keep the rules."""
    out = []
    extra = repair_changes(store.seizure(sid), field_name, value)
    if extra:
        repaired = field_ops(sid, {field_name: value, **extra})
        left = store.problems_after(repaired)
        if not left:
            out.append(Choice(_repair_text(extra, value), StoreEditCommand(store, repaired, text, merge_key)))
        else:
            merged = merge_ops(store, repaired, left)
            if merged is not None:
                out.append(Choice(f"{_repair_text(extra, value)}, and {merged[0][:1].lower()}{merged[0][1:]}",
                                  StoreEditCommand(store, merged[1], text)))
    merged = merge_ops(store, ops, problems)
    if merged is not None:
        out.append(Choice(merged[0], StoreEditCommand(store, merged[1], text)))
    return out


def plan_set_field(store: AnnotationStore, sid: str, field_name: str, value: Any, merge: bool = False,
                   verb: str = "set") -> EditPlan:
    """A panel edit or a marker drag of one field of ``sid``."""
    cmd = set_field_command(store, sid, field_name, value, merge=merge, verb=verb)
    problems = store.problems_after(cmd.ops)
    if not problems or value is None or field_name not in MARK_LABELS:
        return EditPlan(cmd, problems)
    return EditPlan(cmd, problems, _choices_for(store, sid, field_name, round(float(value), 6), cmd.ops, problems,
                                                cmd.text(), cmd.merge_key))


def plan_mark(store: AnnotationStore, field_name: str, t: float, selected_id: Optional[str] = None) -> EditPlan:
    """A mark key (E / C / X) at ``t``: on the seizure it belongs to, asking first when that
    moves a set mark by more than ``MARK_MOVE_CONFIRM_S``; a new seizure when none is near."""
    t = round(float(t), 6)
    cmd = mark_command(store, field_name, t, selected_id)
    sid = seizure_for_mark(store, t, selected_id)
    problems = store.problems_after(cmd.ops)
    if sid is None:
        return EditPlan(cmd, problems)
    s = store.seizure(sid)
    label = MARK_LABELS[field_name]
    choices = []
    if field_name != SEIZURE_END and not (selected_id == sid):
        fresh = mark_command(store, field_name, t, new=True)
        if _clean(store, fresh.ops):
            choices.append(Choice(f"Start a new seizure with its {label} at {format_time(t)}", fresh))
    if problems:
        return EditPlan(cmd, problems, _choices_for(store, sid, field_name, t, cmd.ops, problems, cmd.text()) + choices)
    old = s.get(field_name)
    if old is not None and abs(t - old) > MARK_MOVE_CONFIRM_S:
        way = "earlier" if t < old else "later"
        question = (f"{describe(s)} already has its {label} at {format_time(old)}. Move it to {format_time(t)} "
                    f"({abs(t - old):.1f} s {way})?")
        return EditPlan(cmd, [], choices, question, f"Move the {label} of {s.id} to {format_time(t)}")
    return EditPlan(cmd, [])


def plan_add_seizure(store: AnnotationStore, t: float) -> EditPlan:
    """"Add seizure" at ``t``: refused inside another seizure (select that one to change it)."""
    op = new_seizure_op(store, {EEG_ONSET: round(float(t), 6)})
    cmd = StoreEditCommand(store, [op], f"add seizure {op[1]['id']}")
    problems = store.problems_after(cmd.ops)
    if problems:
        inside = [store.seizure(i) for p in problems for i in p.seizure_ids if i != op[1]["id"] and store.has_seizure(i)]
        names = ", ".join(sorted({describe(s) for s in inside}))
        problems = [Problem(OVERLAP, tuple(sorted({s.id for s in inside})),
                            f"a new seizure at {format_time(t)} would lie inside {names}: select it in the "
                            "Annotations tab to change its marks, or move to a time outside it")]
    return EditPlan(cmd, problems)


__all__ = ["Choice", "EditPlan", "plan_mark", "plan_set_field", "plan_add_seizure", "merge_ops", "repair_changes",
           "MARK_MOVE_CONFIRM_S"]
