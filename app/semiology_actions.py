"""Semiology edits from the window: the ILAE type and awareness of a seizure, and its signs.

The seizure they apply to is the one selected in the annotations table, else the one the cursor
stands in (its span, a second either side). Each edit is one undo step through the store, with
the reviewer as author, like a mark. Choosing an ILAE type also sets the training type
(focal / fbtc) while that is still ``unknown``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from app.edit_commands import StoreEditCommand
from inference.dataset.manifest import UNKNOWN
from inference.dataset.semiology import SIGNS, coarse_type, ilae_label

if TYPE_CHECKING:
    from app.main_window import MainWindow

NEAR_S = 1.0  # the cursor this close to a seizure's span counts as inside it


class SemiologyActions:
    def __init__(self, win: MainWindow):
        self.win = win
        self.shown: Optional[str] = None  # the seizure the panel shows
        self._spans: tuple = (None, -1, [])  # (store, revision, [(lo, hi, id)]): the spans, once per edit
        panel = win.semiology_panel
        panel.typeChanged.connect(self.set_type)
        panel.signAddRequested.connect(self.add_sign)
        panel.signDeleteRequested.connect(self.delete_sign)
        panel.signActivated.connect(win.seek)
        win.annotation_panel.table.itemSelectionChanged.connect(self.refresh)

    def current_id(self) -> Optional[str]:
        win = self.win
        if win.store is None:
            return None
        sid = win.annotation_actions._selected_seizure_id()
        if sid is not None and win.store.has_seizure(sid):
            return sid
        t = win.current_time
        for lo, hi, sid in self._seizure_spans():
            if lo - NEAR_S <= t <= hi + NEAR_S:
                return sid
        return None

    def _seizure_spans(self) -> list:
        """The seizures' spans, recomputed only when the labels changed (``follow`` runs per frame)."""
        store = self.win.store
        if self._spans[0] is not store or self._spans[1] != store.revision:
            self._spans = (store, store.revision, [(*s.span, s.id) for s in store.seizures()])
        return self._spans[2]

    def follow(self, _t: float) -> None:
        """The position moved: show the seizure under the cursor when none is selected."""
        if self.current_id() != self.shown:
            self.refresh()

    def refresh(self) -> None:
        sid = self.current_id()
        self.shown = sid
        panel = self.win.semiology_panel
        if sid is None:
            panel.setSeizure(None)
            return
        label = self.win.store.seizure(sid)
        number = [s.id for s in self.win.store.seizures()].index(sid) + 1
        panel.setSeizure(f"seizure {number}", label.ilae_type, label.awareness, label.signs)

    def _push(self, ops: list, text: str) -> bool:
        return self.win.annotation_actions.push(StoreEditCommand(self.win.store, ops, text))

    def set_type(self, ilae_type: str, awareness: str) -> None:
        sid = self.current_id()
        if sid is None:
            return
        label = self.win.store.seizure(sid)
        ops = []
        if ilae_type != label.ilae_type:
            ops.append(("set_seizure", {"id": sid, "field": "ilae_type", "value": ilae_type}))
        if awareness != label.awareness:
            ops.append(("set_seizure", {"id": sid, "field": "awareness", "value": awareness}))
        coarse = coarse_type(ilae_type)
        if coarse not in (None, UNKNOWN) and label.seizure_type == UNKNOWN:
            ops.append(("set_seizure", {"id": sid, "field": "seizure_type", "value": coarse}))
        if ops:
            self._push(ops, f"Seizure type: {ilae_label(ilae_type, awareness) or 'not classified'}")

    def add_sign(self, term: str, body_part: str, laterality: str) -> None:
        """The sign at the frame on screen (the EEG sample's time when one was clicked)."""
        win = self.win
        sid = self.current_id()
        t = win.annotation_actions._time_on_screen()
        if sid is None or t is None:
            win.show_message("Stand inside a seizure (or select one) to add a sign", 4000)
            return
        label = win.store.seizure(sid)
        used = {g.id for g in label.signs}
        k = len(used) + 1
        while f"g{k}" in used:
            k += 1
        sign = {"id": f"g{k}", "term": term, "time_s": round(float(t), 6), "body_part": body_part,
                "laterality": laterality}
        if self._push([("add_sign", {"id": sid, "sign": sign})], f"Sign {SIGNS[term][1]}"):
            win.show_message(f"Sign {SIGNS[term][1]} {laterality} {body_part} at {t:.3f} s", 3000)

    def add_sign_here(self) -> None:
        """``G``: the sign chosen in the panel, at the cursor."""
        self.win.semiology_panel.requestAdd()

    def delete_sign(self, sign_id: str) -> None:
        sid = self.current_id()
        if sid is not None:
            self._push([("delete_sign", {"id": sid, "sign_id": sign_id})], "Delete sign")


__all__ = ["SemiologyActions"]
