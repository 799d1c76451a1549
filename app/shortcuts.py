"""The shortcut table (``resources/shortcuts.toml``): one list of actions that builds the window's
QActions and menus and the Help -> Keyboard dialog, so the two can never disagree."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Callable, Optional

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from PySide6.QtGui import QAction, QKeySequence

MENU_ORDER = ("File", "Edit", "Annotate", "Review", "Playback", "View", "EEG", "Analysis", "Help")


@dataclass(frozen=True)
class ShortcutSpec:
    """One action: ``id`` (what the window connects), ``keys`` (Qt key sequences, first shown)."""

    id: str
    keys: tuple[str, ...]
    text: str
    description: str
    menu: str
    checkable: bool = False

    @property
    def key(self) -> str:
        return self.keys[0] if self.keys else ""


def load_shortcuts(text: Optional[str] = None) -> list[ShortcutSpec]:
    """Parse the table (the packaged one by default). Raises ValueError on duplicate ids or keys."""
    if text is None:
        text = resources.files("resources").joinpath("shortcuts.toml").read_text("utf-8")
    specs = []
    for row in tomllib.loads(text).get("action", []):
        specs.append(ShortcutSpec(str(row["id"]), tuple(str(k) for k in row.get("keys", [])), str(row["text"]),
                                  str(row.get("description", row["text"])), str(row.get("menu", "Help")),
                                  bool(row.get("checkable", False))))
    seen_ids: set[str] = set()
    seen_keys: dict[str, str] = {}
    for s in specs:
        if s.id in seen_ids:
            raise ValueError(f"shortcuts.toml: action {s.id!r} appears twice")
        seen_ids.add(s.id)
        for k in s.keys:
            norm = QKeySequence(k).toString(QKeySequence.SequenceFormat.PortableText)
            if not norm:
                raise ValueError(f"shortcuts.toml: action {s.id!r} has an invalid key {k!r}")
            if norm in seen_keys:
                raise ValueError(f"shortcuts.toml: key {k!r} is used by both {seen_keys[norm]!r} and {s.id!r}")
            seen_keys[norm] = s.id
    return specs


def keymap_rows(specs: list[ShortcutSpec]) -> list[tuple[str, str, str]]:
    """``(action, key, description)`` rows for the help dialog, in menu order."""
    order = {m: i for i, m in enumerate(MENU_ORDER)}
    rows = []
    for s in sorted(specs, key=lambda s: order.get(s.menu, len(order))):
        # The dialog renders one key sequence per row; alternatives go into the description.
        also = f" (also {', '.join(s.keys[1:])})" if len(s.keys) > 1 else ""
        rows.append((f"{s.menu}: {s.text.rstrip('…')}", s.key, s.description + also))
    return rows


def build_actions(parent, specs: list[ShortcutSpec], handlers: dict[str, Callable]) -> dict[str, QAction]:
    """One QAction per spec, with its shortcuts; ``handlers[id]`` is connected to ``triggered``
    (receiving ``checked`` for checkable actions). Actions are added to ``parent`` so their
    shortcuts work anywhere in the window."""
    actions: dict[str, QAction] = {}
    for s in specs:
        act = QAction(s.text, parent)
        act.setObjectName(s.id)
        act.setShortcuts([QKeySequence(k) for k in s.keys])
        act.setToolTip(f"{s.description} ({s.key})" if s.key else s.description)
        act.setStatusTip(s.description)
        act.setCheckable(s.checkable)
        fn = handlers.get(s.id)
        if fn is not None:
            if s.checkable:
                act.toggled.connect(fn)
            else:
                act.triggered.connect(lambda _checked=False, fn=fn: fn())
        else:
            act.setEnabled(False)
        parent.addAction(act)
        actions[s.id] = act
    return actions


def fill_menus(menu_bar, specs: list[ShortcutSpec], actions: dict[str, QAction]) -> dict[str, object]:
    """Menus in ``MENU_ORDER`` holding the table's actions, in table order."""
    menus = {}
    for name in MENU_ORDER:
        items = [s for s in specs if s.menu == name]
        if not items:
            continue
        menu = menu_bar.addMenu(f"&{name}")
        for s in items:
            menu.addAction(actions[s.id])
        menus[name] = menu
    return menus
