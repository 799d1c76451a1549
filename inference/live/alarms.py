"""Alarms from a live probability trace: the run's event rules applied causally, the alarm log
(``events.csv``), the ``--on-alarm`` command, and acknowledgements (``acks.jsonl``).

Causal rule: after each window, :func:`inference.results.events.detect_events` runs over the
trace seen so far (its last ``history_windows``); an event that overlaps no alarm raises a new
one at that moment. Since ``detect_events`` only drops events shorter than ``min_duration_s``
and its smoothing is trailing, an alarm is raised at the first window where the finished trace
would already hold the event, using no later window: the alarm time is that window's end.
An event that grows or merges (``merge_gap_s``) updates its alarm instead of raising another.

An alarm stays raised until it is acknowledged, also after its event ended: ``semioscope
monitor-ack OUT --by NAME`` appends a line to ``OUT/acks.jsonl``::

    {"alarm": 3, "by": "nurse a", "time_utc": "2025-01-01T03:04:05.123Z", "status": "confirmed"}

(``alarm`` null: every alarm raised at that time; ``status``: ``confirmed`` or ``rejected``, the
acknowledger's verdict). The monitor reads new lines about once a second.

``events.csv`` is the night's alarm log, one row per happening, appended and flushed at once:
``time_utc, kind, alarm, start_s, end_s, peak_prob, stream_s, lag_s, by, detail`` where
``kind`` is ``raised``, ``ended``, ``acknowledged``, ``recording_stopped``, ``camera_down`` or
``camera_up`` (times in night seconds).
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from inference.core.config import EventConfig
from inference.results.events import Event, detect_events

ACKS_FILE = "acks.jsonl"
EVENTS_FILE = "events.csv"
LOG_COLUMNS = ("time_utc", "kind", "alarm", "start_s", "end_s", "peak_prob", "stream_s", "lag_s", "by", "detail")
ACK_STATUSES = ("confirmed", "rejected")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


@dataclass
class Alarm:
    """A raised alarm: its event (night seconds), when it was raised, and its acknowledgement."""

    id: int
    start_s: float
    end_s: float
    peak_prob: float
    peak_time_s: float
    raised_s: float  # night time of the window that raised it (the last data it used)
    raised_utc: str
    lag_s: float  # wall seconds from that window's last frame arriving to the alarm
    ended: bool = False
    acked_by: Optional[str] = None
    acked_utc: Optional[str] = None
    status: Optional[str] = None  # the acknowledger's verdict

    @property
    def raised(self) -> bool:
        """Still waiting for an acknowledgement."""
        return self.acked_by is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def event(self, mean_attention: tuple[float, ...] = ()) -> Event:
        return Event(self.start_s, self.end_s, self.peak_prob, self.peak_time_s, mean_attention)


class CausalEvents:
    """The run's event rules over a growing trace; ``add(...)`` returns ``(new alarms,
    alarms whose event just ended)``."""

    def __init__(self, cfg: EventConfig, history_windows: int = 900):
        self.cfg = cfg
        self._start: deque = deque(maxlen=history_windows)
        self._end: deque = deque(maxlen=history_windows)
        self._prob: deque = deque(maxlen=history_windows)
        self.alarms: list[Alarm] = []

    def add(self, start_s: float, end_s: float, prob: float, lag_s: float) -> tuple[list[Alarm], list[Alarm]]:
        self._start.append(start_s)
        self._end.append(end_s)
        self._prob.append(prob)
        events = detect_events(np.array(self._start), np.array(self._end), np.array(self._prob, dtype=np.float64),
                               self.cfg)
        new: list[Alarm] = []
        still_open = set()
        for ev in events:
            alarm = self._alarm_of(ev)
            if alarm is None:
                alarm = Alarm(len(self.alarms) + 1, ev.start_s, ev.end_s, ev.peak_prob, ev.peak_time_s,
                              raised_s=end_s, raised_utc=utc_now(), lag_s=lag_s)
                self.alarms.append(alarm)
                new.append(alarm)
            else:
                alarm.start_s = min(alarm.start_s, ev.start_s)
                alarm.end_s = max(alarm.end_s, ev.end_s)
                if ev.peak_prob > alarm.peak_prob:
                    alarm.peak_prob, alarm.peak_time_s = ev.peak_prob, ev.peak_time_s
            if ev.end_s >= end_s - 1e-6:
                still_open.add(alarm.id)
        ended = []
        for alarm in self.alarms:
            if not alarm.ended and alarm.id not in still_open and alarm.end_s < end_s - 1e-6:
                alarm.ended = True
                ended.append(alarm)
        return new, ended

    def _alarm_of(self, ev: Event) -> Optional[Alarm]:
        for alarm in reversed(self.alarms):
            if ev.start_s <= alarm.end_s + self.cfg.merge_gap_s and ev.end_s >= alarm.start_s:
                return alarm
        return None


@dataclass
class AlarmLog:
    """Prints alarms, appends them to ``OUT/events.csv`` and runs ``on_alarm`` (a shell command
    that gets the alarm as JSON on stdin; it is not waited for, its failure is printed)."""

    out: Path
    on_alarm: Optional[str] = None
    print_fn: Callable[[str], None] = field(default=lambda s: print(s, flush=True))
    context: dict[str, Any] = field(default_factory=dict)  # added to the JSON (source, out)

    def __post_init__(self) -> None:
        self.path = Path(self.out) / EVENTS_FILE
        if not self.path.exists():
            with open(self.path, "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerow(LOG_COLUMNS)
        self._lock = threading.Lock()
        self.commands: list[subprocess.Popen] = []

    def row(self, kind: str, alarm: Optional[Alarm] = None, stream_s: Optional[float] = None, by: str = "",
            detail: str = "") -> None:
        vals = [utc_now(), kind, alarm.id if alarm else "",
                f"{alarm.start_s:.3f}" if alarm else "", f"{alarm.end_s:.3f}" if alarm else "",
                f"{alarm.peak_prob:.4f}" if alarm else "", "" if stream_s is None else f"{stream_s:.3f}",
                f"{alarm.lag_s:.3f}" if alarm and kind == "raised" else "", by, detail]
        with self._lock:
            try:
                with open(self.path, "a", newline="", encoding="utf-8") as fh:
                    csv.writer(fh).writerow(vals)
            except OSError as exc:  # a full disk must not silence the alarm itself
                self.print_fn(f"ALARM LOG FAILED ({exc}); {kind} {alarm.id if alarm else ''} {detail}")

    def raised(self, alarm: Alarm) -> None:
        self.print_fn(f"ALARM #{alarm.id} {alarm.raised_utc}: seizure suspected since {alarm.start_s:.1f} s "
                      f"(p={alarm.peak_prob:.2f}, raised at stream {alarm.raised_s:.1f} s, "
                      f"lag {alarm.lag_s:.1f} s) - acknowledge with: semioscope monitor-ack {self.out} "
                      f"--by NAME")
        self.row("raised", alarm, alarm.raised_s)
        self.run_command({"kind": "alarm", **alarm.to_dict()})

    def ended(self, alarm: Alarm, stream_s: float) -> None:
        state = "acknowledged" if not alarm.raised else "still raised until acknowledged"
        self.print_fn(f"alarm #{alarm.id}: event ended at {alarm.end_s:.1f} s ({state})")
        self.row("ended", alarm, stream_s)

    def acknowledged(self, alarm: Alarm) -> None:
        self.print_fn(f"alarm #{alarm.id} acknowledged by {alarm.acked_by} ({alarm.status}) at {alarm.acked_utc}")
        self.row("acknowledged", alarm, by=alarm.acked_by or "", detail=alarm.status or "")

    def system(self, kind: str, message: str, stream_s: Optional[float] = None, alarm: bool = False) -> None:
        """A monitoring event (camera down/up); ``alarm``: also an alarm (recording stopped)."""
        self.print_fn(("ALARM " if alarm else "") + f"{kind.replace('_', ' ')}: {message}")
        self.row(kind, stream_s=stream_s, detail=message)
        if alarm:
            self.run_command({"kind": kind, "message": message, "stream_s": stream_s, "time_utc": utc_now()})

    def run_command(self, payload: dict[str, Any]) -> None:
        if not self.on_alarm:
            return
        data = json.dumps({**payload, **self.context}).encode("utf-8")
        try:
            proc = subprocess.Popen(self.on_alarm, shell=True, stdin=subprocess.PIPE)
            proc.stdin.write(data)
            proc.stdin.close()
            self.commands.append(proc)
        except OSError as exc:
            self.print_fn(f"--on-alarm command failed to start: {exc}")
        for p in [p for p in self.commands if p.poll() is not None]:
            if p.returncode:
                print(f"--on-alarm command exited with status {p.returncode}", file=sys.stderr)
            self.commands.remove(p)

    def wait_commands(self, timeout: float = 10.0) -> None:
        for p in self.commands:
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                pass


def append_ack(out: str | Path, by: str, alarm: Optional[int] = None, status: str = "confirmed") -> dict[str, Any]:
    """Record an acknowledgement in ``OUT/acks.jsonl`` (what ``monitor-ack`` and a window call)."""
    if status not in ACK_STATUSES:
        raise ValueError(f"status must be one of {ACK_STATUSES}, not {status!r}")
    if not by.strip():
        raise ValueError("an acknowledgement needs a name (--by)")
    rec = {"alarm": alarm, "by": by.strip(), "time_utc": utc_now(), "status": status}
    with open(Path(out) / ACKS_FILE, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec) + "\n")
        fh.flush()
    return rec


def read_acks(out: str | Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Acknowledgement records from byte ``offset`` on, and the offset after the last whole line."""
    path = Path(out) / ACKS_FILE
    if not path.exists():
        return [], offset
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read()
    recs = []
    end = data.rfind(b"\n") + 1
    for line in data[:end].splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a torn or foreign line: ignored
        if isinstance(rec, dict) and rec.get("by"):
            recs.append(rec)
    return recs, offset + end


def apply_ack(alarms: list[Alarm], rec: dict[str, Any]) -> list[Alarm]:
    """Acknowledge the alarm ``rec`` names (or every raised one); returns those acknowledged."""
    done = []
    when = str(rec.get("time_utc", utc_now()))
    for alarm in alarms:
        if not alarm.raised:
            continue
        if rec.get("alarm") is not None:
            if int(rec["alarm"]) != alarm.id:
                continue
        elif alarm.raised_utc > when:
            continue  # "every alarm" means those raised when the acknowledgement was given
        alarm.acked_by = str(rec["by"])
        alarm.acked_utc = when
        alarm.status = str(rec.get("status", "confirmed"))
        done.append(alarm)
    return done
