"""Drawing the seizure report's pages with matplotlib's object API (``Figure``, never pyplot, so no
GUI backend is loaded). Takes the plain views ``inference.exchange.report`` prepares; positions
are fractions of the page, text is wrapped by an estimate of its width (DejaVu Sans)."""
from __future__ import annotations

import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Optional, Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter

from inference.pose.joints import SKELETON_EDGES

# Review colours as the window draws them (widgets.display_data; inference may not import widgets);
# the marks darker than on the window's dark background, for paper.
STATUS_COLORS = {"unreviewed": "#f0a030", "confirmed": "#3cb371", "rejected": "#8a8f98", "partly reviewed": "#e0d040"}
MARKS = (("EEG onset", "#1f6fd1", "-"), ("clinical onset", "#d6246e", "-"), ("end", "#7b4fa0", "--"))
INK, GREY, TRACE = "#1a1a1a", "#666666", "#1f3f66"
MIN_CONF = 0.3  # joints below this are drawn as missing (grey crosses), as in the window
BODY_PT, SMALL_PT, TABLE_PT = 9.0, 7.5, 7.5


@dataclass
class TraceView:
    mid: np.ndarray  # window midpoints [N]
    prob: np.ndarray  # [N], NaN in gaps
    threshold: Optional[float]
    gaps: list[tuple[float, float]]
    detections: list[tuple[float, float, str]]  # start, end, review status
    seizures: list[tuple[float, float, Optional[float]]]  # EEG onset, clinical onset, end


@dataclass
class SeizureRow:
    num: str
    eeg_clock: str
    eeg_rel: str
    clin_clock: str
    clin_rel: str
    duration: str
    type: str
    semiology: str
    reviewers: str


@dataclass
class SummaryView:
    title: str
    recording: list[tuple[str, str]]
    model: list[tuple[str, str]]
    rows: list[SeizureRow]
    detections: list[str]
    warnings: list[str] = field(default_factory=list)


@dataclass
class Still:
    t: float
    title: str
    frame: Optional[np.ndarray]  # RGB uint8 [H, W, 3]
    pose: Optional[tuple[np.ndarray, np.ndarray, tuple[int, int]]]  # xy [14, 2], conf [14], frame size


@dataclass
class SeizureView:
    title: str
    subtitle: str
    facts: list[tuple[str, str]]
    signs: list[tuple[str, str]]  # (sign, when)
    stills: list[Still]
    stills_note: str
    top_joints: list[tuple[str, float]]
    attention: Optional[np.ndarray]  # mean over the seizure [14]
    trace: Optional[TraceView]
    zoom: tuple[float, float]
    span: tuple[float, float]


@contextmanager
def pdf_fonts() -> Iterator[None]:
    """TrueType fonts in the PDF (Type 42): text that readers can search and copy."""
    with mpl.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans", "font.size": BODY_PT,
                         "axes.titlesize": SMALL_PT + 0.5, "axes.labelsize": SMALL_PT, "xtick.labelsize": SMALL_PT,
                         "ytick.labelsize": SMALL_PT, "legend.fontsize": SMALL_PT, "axes.linewidth": 0.6}):
        yield


class Page:
    """A portrait page and a cursor ``y`` (fraction of the height, from the top) to write down."""

    LEFT, RIGHT = 0.07, 0.95

    def __init__(self, size: tuple[float, float], footer: str):
        self.fig = Figure(figsize=size)
        self.w_pt, self.h_pt = size[0] * 72.0, size[1] * 72.0
        self.y = 0.955
        self.fig.text(self.LEFT, 0.022, footer, fontsize=6.5, color=GREY)

    def line_h(self, pt: float) -> float:
        return pt * 1.3 / self.h_pt

    def wrap(self, text: str, width: float, pt: float) -> list[str]:
        """``text`` wrapped to ``width`` (page fraction) at ``pt`` points."""
        chars = max(8, int(width * self.w_pt / (0.56 * pt)))
        out: list[str] = []
        for para in str(text).split("\n"):
            out += textwrap.wrap(para, chars, break_on_hyphens=False) or [""]
        return out

    def title(self, text: str, subtitle: str = "") -> None:
        for part in self.wrap(text, (self.RIGHT - self.LEFT) * 0.9, 14):  # bold glyphs run wider
            self.fig.text(self.LEFT, self.y, part, fontsize=14, weight="bold", color=INK, va="top")
            self.y -= self.line_h(14)
        self.y -= 0.004
        if subtitle:
            self.fig.text(self.LEFT, self.y, subtitle, fontsize=BODY_PT, color=GREY, va="top")
            self.y -= self.line_h(BODY_PT)
        self.fig.add_artist(Line2D([self.LEFT, self.RIGHT], [self.y - 0.004] * 2, color="#bbbbbb", lw=0.6))
        self.y -= 0.014

    def heading(self, text: str, x: Optional[float] = None, y: Optional[float] = None) -> float:
        y = self.y if y is None else y
        self.fig.text(self.LEFT if x is None else x, y, text, fontsize=10.5, weight="bold", color=INK, va="top")
        return y - self.line_h(10.5) - 0.003

    def lines(self, lines: Sequence[str], x: float, y: float, width: float, pt: float = BODY_PT,
              color: str = INK) -> float:
        for text in lines:
            for part in self.wrap(text, width, pt):
                self.fig.text(x, y, part, fontsize=pt, color=color, va="top")
                y -= self.line_h(pt)
        return y

    def key_values(self, rows: Sequence[tuple[str, str]], x: float, y: float, width: float,
                   key_w: float = 0.14, pt: float = BODY_PT) -> float:
        """``key  value`` rows, the value wrapped in its column; returns the y below them."""
        for key, value in rows:
            self.fig.text(x, y, key, fontsize=pt, color=GREY, va="top")
            y = self.lines([value], x + key_w, y, width - key_w, pt)
            y -= 0.002
        return y


TICK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200)


def clock_ticks(clock, t0: float, t1: float, most: int = 9) -> list[float]:
    """Ticks at round clock times (or round seconds without a clock) between ``t0`` and ``t1``."""
    step = next((s for s in TICK_STEPS_S if (t1 - t0) / s <= most), TICK_STEPS_S[-1])
    if clock.start is None:
        offset = 0.0
    else:  # seconds of the start into its (local) day: ticks at whole minutes, hours...
        s0 = clock.start
        offset = s0.hour * 3600 + s0.minute * 60 + s0.second + s0.microsecond / 1e6
    first = np.ceil((t0 + offset) / step) * step - offset
    return [float(t) for t in np.arange(first, t1 + 1e-9, step)]


def _envelope(t: np.ndarray, p: np.ndarray, bins: int = 2000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, min, max) per bin: a long trace drawn with its peaks kept and the PDF small."""
    edges = np.linspace(0, len(t), bins + 1).astype(int)
    lo, hi, mid = [], [], []
    for a, b in zip(edges[:-1], edges[1:]):
        seg = p[a:b]
        ok = seg[np.isfinite(seg)]
        mid.append(t[(a + b - 1) // 2])
        lo.append(ok.min() if len(ok) else np.nan)
        hi.append(ok.max() if len(ok) else np.nan)
    return np.asarray(mid), np.asarray(lo), np.asarray(hi)


def draw_trace(ax, view: TraceView, clock, t0: float, t1: float, label_marks: bool = False,
               span: Optional[tuple[float, float]] = None) -> None:
    """Probability over time with the threshold, gaps, detections (by review status) and marks."""
    for a, b in view.gaps:
        ax.axvspan(a, b, color="#cccccc", alpha=0.5, lw=0, hatch="///")
    for a, b, status in view.detections:
        ax.axvspan(a, b, color=STATUS_COLORS.get(status, "#f0a030"), alpha=0.35, lw=0)
    if span is not None:
        ax.axvspan(span[0], span[1], ymin=0.97, ymax=1.0, color="#d6246e", lw=0)
    inside = (view.mid >= t0 - 10) & (view.mid <= t1 + 10)
    t, p = view.mid[inside], view.prob[inside]
    if len(t) > 4000:
        t, lo, p = _envelope(t, p)
        ax.fill_between(t, lo, p, color=TRACE, alpha=0.35, lw=0)
    ax.plot(t, p, color=TRACE, lw=0.9 if len(t) < 1000 else 0.5)
    if view.threshold is not None:
        ax.axhline(view.threshold, color="#c0392b", ls=(0, (4, 2)), lw=0.8)
    for k, times in enumerate(view.seizures, start=1):
        for t, (_name, color, ls) in zip(times, MARKS):
            if t is not None and t0 <= t <= t1:
                ax.axvline(t, color=color, ls=ls, lw=0.9)
        if not label_marks and t0 <= times[0] <= t1:
            ax.text(times[0], 1.04, str(k), color="#d6246e", fontsize=SMALL_PT, ha="center", va="bottom",
                    weight="bold", transform=ax.get_xaxis_transform())
    ax.set_xlim(t0, max(t1, t0 + 1.0))
    ax.set_ylim(0.0, 1.02)
    ax.set_ylabel("P(seizure)")
    ax.set_xlabel("clock time" if clock.start is not None else "time from the start of the video")
    ax.xaxis.set_major_locator(FixedLocator(clock_ticks(clock, t0, max(t1, t0 + 1.0))))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: clock.axis(x)))
    ax.grid(axis="y", color="#e6e6e6", lw=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Line2D([], [], color=TRACE, lw=0.9, label="probability")]
    if view.threshold is not None:
        handles.append(Line2D([], [], color="#c0392b", ls=(0, (4, 2)), lw=0.8, label=f"threshold {view.threshold:.2f}"))
    handles += [Line2D([], [], color=c, ls=ls, lw=0.9, label=n) for n, c, ls in MARKS]
    statuses = [s for s in STATUS_COLORS if any(d[2] == s and d[1] >= t0 and d[0] <= t1 for d in view.detections)]
    handles += [Patch(color=STATUS_COLORS[s], alpha=0.35, lw=0, label=f"{s} detection") for s in statuses]
    if view.gaps:
        handles.append(Patch(facecolor="#cccccc", alpha=0.5, hatch="///", lw=0, label="no score"))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.08 if not label_marks else 1.02),
              ncol=min(len(handles), 5), frameon=False, handlelength=1.6, columnspacing=1.2, borderaxespad=0.0)


def _no_trace(ax, text: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", color=GREY, transform=ax.transAxes)


TABLE_COLUMNS = (("#", 0.025), ("EEG onset", 0.105), ("Clinical onset", 0.105), ("Duration", 0.08),
                 ("Type", 0.17), ("Semiology (from first onset)", 0.25), ("Reviewer(s)", 0.145))


def seizure_table(page: Page, rows: Sequence[SeizureRow], bottom: float) -> float:
    """The table of seizures from ``page.y`` down to ``bottom`` at most; rows that do not fit are
    counted in a last line (each seizure has its own page)."""
    fig, y, lh = page.fig, page.y, page.line_h(TABLE_PT)
    xs = np.cumsum([page.LEFT] + [w for _, w in TABLE_COLUMNS])
    fig.add_artist(Rectangle((page.LEFT - 0.005, y - lh - 0.004), page.RIGHT - page.LEFT + 0.005, lh + 0.007,
                             color="#e8edf3", lw=0, transform=fig.transFigure))
    for (name, _w), x in zip(TABLE_COLUMNS, xs):
        fig.text(x, y, name, fontsize=TABLE_PT, weight="bold", va="top")
    y -= lh + 0.008
    if not rows:
        return page.lines(["No seizures annotated."], page.LEFT, y, 0.8, TABLE_PT, GREY)
    for k, row in enumerate(rows):
        cells = [[row.num], [row.eeg_clock, row.eeg_rel], [row.clin_clock, row.clin_rel], [row.duration],
                 [row.type], [row.semiology], [row.reviewers]]
        wrapped = [[p for c in cell for p in page.wrap(c, w - 0.008, TABLE_PT)] for cell, (_n, w) in
                   zip(cells, TABLE_COLUMNS)]
        height = max(len(w) for w in wrapped) * lh + 0.006
        if y - height < bottom + lh:
            return page.lines([f"... {len(rows) - k} more seizure(s): see their pages."], page.LEFT, y, 0.8,
                              TABLE_PT, GREY)
        if k % 2:
            fig.add_artist(Rectangle((page.LEFT - 0.005, y - height + 0.002), page.RIGHT - page.LEFT + 0.005,
                                     height, color="#f5f5f5", lw=0, transform=fig.transFigure))
        for lines, x in zip(wrapped, xs):
            for j, text in enumerate(lines):
                fig.text(x, y - j * lh, text, fontsize=TABLE_PT, va="top")
        y -= height
    return y


def summary_page(view: SummaryView, trace: Optional[TraceView], clock, duration_s: float,
                 size: tuple[float, float], footer: str) -> Figure:
    page = Page(size, footer)
    page.title(view.title, "Semioscope seizure report")
    if view.warnings:
        page.y = page.lines(view.warnings, page.LEFT, page.y, 0.88, BODY_PT, "#c0392b") - 0.006
    mid = 0.51
    y0 = page.heading("Recording and clock")
    y1 = page.heading("Model and threshold", x=mid + 0.02)
    y0 = page.key_values(view.recording, page.LEFT, y0, mid - page.LEFT - 0.01, key_w=0.12)
    y1 = page.key_values(view.model, mid + 0.02, y1, page.RIGHT - mid - 0.02, key_w=0.175)
    page.y = min(y0, y1) - 0.012
    page.y = page.heading("Seizure probability over the recording")
    height = 0.15
    ax = page.fig.add_axes([page.LEFT + 0.02, page.y - 0.04 - height, page.RIGHT - page.LEFT - 0.02, height])
    if trace is None:
        _no_trace(ax, "No analysis result for this recording.")
    else:
        draw_trace(ax, trace, clock, 0.0, duration_s)
    page.y -= 0.04 + height + 0.05
    page.y = page.heading("Seizures") - 0.002
    page.y = seizure_table(page, view.rows, bottom=0.12) - 0.014
    page.y = page.heading("Detections reviewed")
    page.lines(view.detections, page.LEFT, page.y, page.RIGHT - page.LEFT)
    return page.fig


def _crop(pose, shape: tuple[int, int], scale: tuple[float, float]) -> Optional[tuple[float, float, float, float]]:
    """(x0, x1, y0, y1) around the visible joints with a margin, square-ish, inside the frame."""
    if pose is None:
        return None
    xy, conf, _size = pose
    ok = np.isfinite(xy).all(axis=1) & (conf > MIN_CONF)
    if ok.sum() < 2:
        return None
    p = xy[ok] * np.asarray(scale)
    h, w = shape
    cx, cy = (p.min(0) + p.max(0)) / 2
    half = max(float((p.max(0) - p.min(0)).max()) * 0.75, min(w, h) / 4)
    half = min(half, max(w, h) / 2)
    x0, y0 = np.clip(cx - half, 0, max(0, w - 2 * half)), np.clip(cy - half, 0, max(0, h - 2 * half))
    return x0, min(w, x0 + 2 * half), y0, min(h, y0 + 2 * half)


def draw_still(ax, still: Still, attention: Optional[np.ndarray], note: str) -> None:
    """A frame with the skeleton: bones between visible joints, joints coloured by the seizure's
    mean attention, missing joints as grey crosses; cropped around the patient."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_anchor("N")  # the picture right under its title, whatever its aspect
    ax.set_title(still.title, fontsize=SMALL_PT, loc="left")
    frame = still.frame
    if frame is None:
        msg = "\n".join(textwrap.wrap(note or "frame not readable", 30))
        if still.pose is None:
            ax.set_facecolor("#eeeeee")
            ax.text(0.5, 0.5, msg, ha="center", va="center", fontsize=SMALL_PT, color=GREY, transform=ax.transAxes)
            return
        size = still.pose[2]  # no picture, but the skeleton alone still shows the posture
        frame = np.full((int(size[1]), int(size[0]), 3), 60, dtype=np.uint8)
        ax.text(0.02, 0.98, msg, ha="left", va="top", fontsize=6.5, color="white", transform=ax.transAxes)
    h, w = frame.shape[:2]
    step = max(1, int(np.ceil(w / 960)))  # a full-HD frame is not needed on paper: keep the PDF small
    ax.imshow(frame[::step, ::step], extent=(0, w, h, 0), interpolation="bilinear")
    pose = still.pose
    if pose is None:
        ax.text(0.02, 0.02, "no keypoints at this time", fontsize=6.5, color="white", transform=ax.transAxes,
                bbox=dict(facecolor="black", alpha=0.5, lw=0, pad=1.5))
        return
    xy, conf, size = pose
    scale = (w / size[0], h / size[1]) if size[0] and size[1] else (1.0, 1.0)
    p = xy * np.asarray(scale)
    ok = np.isfinite(p).all(axis=1) & (conf > MIN_CONF)
    for a, b in SKELETON_EDGES:
        if ok[a] and ok[b]:
            ax.plot([p[a, 0], p[b, 0]], [p[a, 1], p[b, 1]], color="white", lw=2.2, solid_capstyle="round")
            ax.plot([p[a, 0], p[b, 0]], [p[a, 1], p[b, 1]], color="#0097a7", lw=1.2, solid_capstyle="round")
    att = attention if attention is not None and np.isfinite(attention).any() else np.zeros(len(p))
    lo, hi = float(np.nanmin(att)), float(np.nanmax(att))
    norm = (np.nan_to_num(att, nan=lo) - lo) / (hi - lo) if hi > lo else np.full(len(p), 0.5)
    ax.scatter(p[ok, 0], p[ok, 1], c=mpl.colormaps["plasma"](norm[ok]), s=16, edgecolors="white", linewidths=0.6,
               zorder=3)
    miss = ~ok & np.isfinite(p).all(axis=1)
    ax.scatter(p[miss, 0], p[miss, 1], marker="x", color="#9a9a9a", s=14, linewidths=1.0, zorder=3)
    box = _crop(pose, (h, w), scale)
    if box is not None:
        ax.set_xlim(box[0], box[1])
        ax.set_ylim(box[3], box[2])


def semiology_list(page: Page, signs: Sequence[tuple[str, str]], x: float, y: float, width: float,
                   bottom: float) -> float:
    """One line per sign: its time (grey) beside it; stops above ``bottom`` with a count."""
    if not signs:
        return page.lines(["No signs recorded."], x, y, width, BODY_PT, GREY)
    when_w = max(len(w) for _s, w in signs) * 0.56 * SMALL_PT / page.w_pt + 0.01
    for k, (sign, when) in enumerate(signs, start=1):
        if y - page.line_h(BODY_PT) < bottom:
            return page.lines([f"... and {len(signs) - k + 1} more sign(s), all listed on page 1"], x, y, width,
                              SMALL_PT, GREY)
        page.fig.text(x, y - 0.001, when, fontsize=SMALL_PT, color=GREY, va="top")
        y = page.lines([f"{k}. {sign}"], x + when_w, y, width - when_w, SMALL_PT + 0.5) - 0.002
    return y


def seizure_page(view: SeizureView, clock, size: tuple[float, float], footer: str) -> Figure:
    page = Page(size, footer)
    page.title(view.title, view.subtitle)
    mid = 0.53
    y0 = page.heading("Times, type and review")
    y1 = page.heading("Semiology sequence", x=mid + 0.02)
    y1 = page.lines(["time, seconds after the first onset, sign"], mid + 0.02, y1, 0.4, 6.5, GREY)
    y0 = page.key_values(view.facts, page.LEFT, y0, mid - page.LEFT - 0.01, key_w=0.13)
    y1 = semiology_list(page, view.signs, mid + 0.02, y1, page.RIGHT - mid - 0.02, bottom=0.66)
    page.y = min(y0, y1) - 0.012
    page.y = page.heading("Stills with the skeleton")
    page.y = page.lines(["Keypoints: the result's sample nearest each still. Joints coloured by their mean attention "
                         "in the seizure (dark low, yellow high); grey x: not visible."], page.LEFT, page.y,
                        page.RIGHT - page.LEFT, SMALL_PT, GREY)
    n, gap = 3, 0.02
    w = (page.RIGHT - page.LEFT - gap * (n - 1)) / n
    h = 0.75 * w * size[0] / size[1]  # 4:3 boxes, as most cameras
    for k in range(n):
        ax = page.fig.add_axes([page.LEFT + k * (w + gap), page.y - 0.018 - h, w, h])
        if k < len(view.stills):
            draw_still(ax, view.stills[k], view.attention, view.stills_note)
        else:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "no probability peak\n(no analysis result)", ha="center", va="center",
                    fontsize=SMALL_PT, color=GREY, transform=ax.transAxes)
    page.y -= 0.018 + h + 0.022
    page.y = page.heading("Seizure probability around the seizure")
    height = 0.12
    ax = page.fig.add_axes([page.LEFT + 0.02, page.y - 0.035 - height, page.RIGHT - page.LEFT - 0.02, height])
    if view.trace is None:
        _no_trace(ax, "No analysis result for this recording.")
    else:
        draw_trace(ax, view.trace, clock, view.zoom[0], view.zoom[1], label_marks=True, span=view.span)
    page.y -= 0.035 + height + 0.05
    page.y = page.heading("Joints with the most attention during the seizure")
    if not view.top_joints:
        page.lines(["No attention values inside the seizure (no analysis result, or only gaps)."], page.LEFT,
                   page.y, 0.85, BODY_PT, GREY)
        return page.fig
    bh = min(0.13, page.y - 0.085)  # room for the axis label above the footer
    ax = page.fig.add_axes([page.LEFT + 0.13, page.y - bh, 0.38, bh])
    names = [n for n, _v in view.top_joints][::-1]
    values = [v for _n, v in view.top_joints][::-1]
    ax.barh(names, values, color="#7a4fc0", height=0.6)
    for k, v in enumerate(values):
        ax.text(v, k, f" {v:.3f}", va="center", fontsize=SMALL_PT)
    ax.set_xlim(0, max(values) * 1.25 if max(values) > 0 else 1.0)
    ax.set_xlabel("mean attention over the windows inside the seizure")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return page.fig


__all__ = ["Page", "SeizureRow", "SeizureView", "Still", "SummaryView", "TraceView", "draw_still", "draw_trace",
           "pdf_fonts", "seizure_page", "summary_page"]
