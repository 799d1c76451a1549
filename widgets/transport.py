"""Playback controls. They only emit requests; the app owns the clock and the frame index."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QStyle, QToolButton, QWidget

from .timefmt import format_position, format_time, parse_time

SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
# (label, kind, amount): kind "frames" steps whole frames, "seconds" steps time.
STEPS: tuple[tuple[str, str, float], ...] = (
    ("-10s", "seconds", -10.0), ("-1s", "seconds", -1.0), ("-1f", "frames", -1),
    ("+1f", "frames", 1), ("+1s", "seconds", 1.0), ("+10s", "seconds", 10.0),
)


def speed_label(speed: float) -> str:
    return f"{speed:g}\u00d7"


class TransportBar(QWidget):
    """Play/pause, speed, frame and time steps, go-to-time, and the current position.

    Signals:
      - ``playToggled(bool playing)``: the play button was pressed (True = start playing).
      - ``speedChanged(float speed)``: one of ``SPEEDS``.
      - ``frameStepRequested(int n)``: step ``n`` frames (±1).
      - ``timeStepRequested(float dt)``: step ``dt`` seconds (±1, ±10).
      - ``seekRequested(float t)``: go to ``t`` seconds (typed in the go-to box).

    Setters (call from the app; they never emit): ``setPosition(t, frame)``,
    ``setPlaying(bool)``, ``setSpeed(float)``, ``setDuration(seconds)``.
    ``buttons``: dict label -> QToolButton (e.g. ``"+1f"``), ``goto_edit``, ``position_label``.
    """

    playToggled = Signal(bool)
    speedChanged = Signal(float)
    frameStepRequested = Signal(int)
    timeStepRequested = Signal(float)
    seekRequested = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._playing = False
        self._duration: float | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.setSpacing(4)

        self.play_button = QToolButton(self)
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play / pause")
        self.play_button.toggled.connect(self._on_play_toggled)
        self._update_play_icon()
        lay.addWidget(self.play_button)

        self.buttons: dict[str, QToolButton] = {}
        for label, kind, amount in STEPS:
            b = QToolButton(self)
            b.setText(label)
            b.setAutoRaise(False)
            b.setToolTip(f"Step {label.replace('f', ' frame').replace('s', ' s')}")
            b.setAutoRepeat(True)  # hold to keep stepping
            if kind == "frames":
                b.clicked.connect(lambda _=False, n=int(amount): self.frameStepRequested.emit(n))
            else:
                b.clicked.connect(lambda _=False, dt=float(amount): self.timeStepRequested.emit(dt))
            self.buttons[label] = b
            lay.addWidget(b)

        self.speed_combo = QComboBox(self)
        for s in SPEEDS:
            self.speed_combo.addItem(speed_label(s), s)
        self.speed_combo.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_combo.setToolTip("Playback speed")
        self.speed_combo.currentIndexChanged.connect(self._on_speed_index)
        lay.addWidget(self.speed_combo)

        self.goto_edit = QLineEdit(self)
        self.goto_edit.setPlaceholderText("hh:mm:ss.fff")
        self.goto_edit.setToolTip("Type a time (hh:mm:ss.fff, mm:ss or seconds) and press Enter")
        fm = self.goto_edit.fontMetrics()
        self.goto_edit.setMinimumWidth(fm.horizontalAdvance("00:00:00.000") + 16)
        self.goto_edit.setMaximumWidth(fm.horizontalAdvance("00:00:00.000") + 40)
        self.goto_edit.returnPressed.connect(self._on_goto)
        lay.addWidget(self.goto_edit)

        self.position_label = QLabel(self)
        self.position_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.position_label.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        font = self.position_label.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.position_label.setFont(font)
        self.position_label.setToolTip("time of the frame on screen · its frame number")
        lay.addWidget(self.position_label)
        lay.addStretch(1)
        self.setPosition(0.0, 0)

    # --- setters (no signals) ---
    @Slot(float, int)
    def setPosition(self, t: float, frame: int) -> None:
        # Two lines (time over frame), the length in the tooltip: the bar beside the side panel
        # must fit a 1024 px screen.
        self.position_label.setText(f"{format_position(t)}\nframe {frame}")

    def setDuration(self, seconds: float | None, frames: int | None = None) -> None:
        self._duration = seconds
        # Room for the longest text this recording can show, so the label (and the whole bar)
        # keeps its width while the numbers change.
        digits = len(str(frames)) if frames else 6
        lines = (format_time(0.0), f"frame {'8' * digits}")
        fm = self.position_label.fontMetrics()
        self.position_label.setMinimumWidth(max(fm.horizontalAdvance(s) for s in lines) + 4)
        length = f" of {format_time(seconds)}" + (f" ({frames} frames)" if frames else "") if seconds else ""
        self.position_label.setToolTip(f"time of the frame on screen · its frame number{length}")

    @Slot(bool)
    def setPlaying(self, playing: bool) -> None:
        self._playing = bool(playing)
        self.play_button.blockSignals(True)
        self.play_button.setChecked(self._playing)
        self.play_button.blockSignals(False)
        self._update_play_icon()

    def isPlaying(self) -> bool:
        return self._playing

    @Slot(float)
    def setSpeed(self, speed: float) -> None:
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - speed))
        self.speed_combo.blockSignals(True)
        self.speed_combo.setCurrentIndex(i)
        self.speed_combo.blockSignals(False)

    def speed(self) -> float:
        return float(self.speed_combo.currentData())

    # --- internals ---
    def _update_play_icon(self) -> None:
        icon = QStyle.SP_MediaPause if self._playing else QStyle.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if self._playing else "Play")

    def _on_play_toggled(self, checked: bool) -> None:
        self._playing = checked
        self._update_play_icon()
        self.playToggled.emit(checked)

    def _on_speed_index(self, i: int) -> None:
        self.speedChanged.emit(float(SPEEDS[i]))

    def _on_goto(self) -> None:
        try:
            t = parse_time(self.goto_edit.text())
        except ValueError as exc:
            self.goto_edit.setToolTip(str(exc))
            self.goto_edit.setStyleSheet("QLineEdit { border: 1px solid #d9534f; }")
            return
        self.goto_edit.setStyleSheet("")
        self.goto_edit.setToolTip("Type a time (hh:mm:ss.fff, mm:ss or seconds) and press Enter")
        self.seekRequested.emit(t)
