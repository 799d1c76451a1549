"""A 24-hour end-to-end bench of the review window (issue 18): a day of 1280x720 H.264 video
with its analysis result and its scrubbing proxy, opened in the real MainWindow (offscreen).

What is real and what is built by repetition (this machine has 2 shared cores):

1. The recording: ``bench_gui.prepare_video``'s generated minute (1280x720, 30 fps), re-encoded
   once as H.264 zerolatency (x264 veryfast, keyframe every 2 s) at CRF ``--crf`` (default 30,
   so a day fits the disk: ~6 GB instead of ~40 GB at CRF 23), then repeated to ``--hours`` by
   remuxing its packets (``bench_engine.concat_recording``). Every frame is a real H.264 frame;
   the content repeats every minute.
2. The analysis result is NOT an analysis of 24 h (that takes over an hour here). The real
   engine (a random-init ``tiny`` detector, keypoints from the synthetic sidecar,
   ``keypoints="gt"``) analyses the minute repeated twice (2 min, so the windows that straddle a
   minute boundary are analysed too), and one minute's period of those windows is tiled across
   the day (``AnalysisResult``, with the keypoints tiled the same way and the events detected on
   the tiled trace). Since the video repeats exactly, this is what the engine would write, but
   the probabilities are an untrained model's, so the event pattern is arbitrary.
3. The scrubbing proxy is NOT built from the day file (that takes hours here): the minute's
   proxy is built (``inference.video.proxy.build_proxy``) and remuxed to the day the same way
   (the source repeats, so it is the same proxy frame for frame), then written where
   ``find_proxy`` looks for the day file (``proxy_paths``; JSON ``format`` and ``frames``);
   the frame count is checked against the day file's and a few frames are compared.
4. The window: time to first frame; time until seeking works; random seeks over the whole day
   without and with the proxy (median, p95) and the original frame's arrival after the position
   rests; scrubbing (200 requests 10 ms apart, frames shown per second); timeline pan frame time
   with the day's result loaded; result load time (cold: the file's pages dropped from the page
   cache with ``posix_fadvise``, then warm); peak RSS of the review window; 16x lag with the proxy.

Preparation (1-3) runs in a child process, so the window's peak RSS is the window's alone.
Everything is cached in ``--data`` ($SEMIOSCOPE_BENCH_DIR or /tmp/semioscope-bench), the proxy
and index caches in ``--data``/cache-24h (set as $SEMIOSCOPE_CACHE_DIR for this bench only).

    QT_QPA_PLATFORM=offscreen python bench/bench_24h.py [--hours 24] [--crf 30] [--seeks 40]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np

SIZE = (1280, 720)
TARGETS = {"first_frame_s": 1.0, "result_load_s": 1.0, "pan_p95_ms": 20.0, "rss_mb": 1.2 * 1024,
           "seek_median_ms": 50.0, "seek_p95_ms": 150.0, "lag16_s": 0.3}


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def _gb(path: Path) -> str:
    return f"{path.stat().st_size / 1e9:.2f} GB"


def paths(data: Path, hours: int, crf: int) -> dict[str, Path]:
    tag = f"{SIZE[0]}x{SIZE[1]}-h264-crf{crf}"
    return {"base": data / f"base-{tag}.mp4",
            "two_min": data / f"rec-2min-{tag}.mp4",
            "video": data / f"rec-{hours}h-{tag}.mp4",
            "result": data / f"rec-{hours}h-{tag}.result.npz",
            "run": data / "tiny-untrained-24h",
            "cache": data / "cache-24h"}


# -- preparation (child process) ----------------------------------------------------------------

def remux_repeat(src: Path, dst: Path, times: int) -> Path:
    """``src`` repeated ``times`` times by remuxing packets (no sidecar: for the proxy). The
    period is the last frame's time plus one typical frame interval, so frames never overlap."""
    import av

    tmp = dst.with_name(".tmp-" + dst.name)
    with av.open(str(src)) as inp, av.open(str(tmp), "w", format="mp4") as out:
        ins = inp.streams.video[0]
        outs = out.add_stream_from_template(ins)
        packets = [(bytes(p), p.pts, p.dts, p.is_keyframe, p.duration) for p in inp.demux(ins) if p.size]
        pts = np.sort(np.array([p[1] for p in packets], dtype=np.int64))
        step = int(np.median(np.diff(pts)))
        span = int(pts[-1] - pts[0] + step)
        for k in range(times):
            for data, p, d, key, dur in packets:
                q = av.Packet(data)
                q.pts, q.dts, q.is_keyframe, q.duration = p + k * span, d + k * span, key, dur or step
                q.time_base = ins.time_base
                q.stream = outs
                out.mux(q)
    os.replace(tmp, dst)
    return dst


def prepare(data: Path, hours: int, crf: int) -> None:
    """Steps 1-3 (idempotent: what exists is kept). Prints what it did and how long it took."""
    from bench_engine import concat_recording
    from bench_gui import prepare_video

    from inference.pose.keypoint_files import sidecar_path
    from inference.video.reader import VideoReader
    from inference.video.writer import VideoWriter

    p = paths(data, hours, crf)
    data.mkdir(parents=True, exist_ok=True)
    # 1. the minute at CRF `crf`, then the day by remuxing
    t0 = time.perf_counter()
    src = data / f"base-{SIZE[0]}x{SIZE[1]}.mp4"
    if not src.exists():
        prepare_video(data, 1)  # generates the base minute (and its CRF 23 H.264 copy)
    if not p["base"].exists():
        tmp = p["base"].with_name(".tmp-" + p["base"].name)
        with VideoReader(src) as r, VideoWriter(tmp, fps=r.meta.fps, size=(r.meta.width, r.meta.height),
                                                 codec="libx264", quality=crf, gop=60, threads=2) as w:
            for i, rgb in r.iter_frames():
                w.write(rgb, r.frame_to_time(i))
        shutil.copy(sidecar_path(src), sidecar_path(p["base"]))
        os.replace(tmp, p["base"])
        print(f"[prep] re-encoded the minute as H.264 zerolatency CRF {crf}, 2 s GOP, in "
              f"{time.perf_counter() - t0:.0f} s: {p['base'].stat().st_size / 1e6:.1f} MB per minute "
              f"-> {p['base'].stat().st_size * 60 * hours / 1e9:.1f} GB for {hours} h", flush=True)
    free = shutil.disk_usage(data).free
    need = p["base"].stat().st_size * 60 * hours
    if not p["video"].exists() and need > min(12e9, free - 4e9):
        raise SystemExit(f"{hours} h at CRF {crf} needs {need / 1e9:.1f} GB ({free / 1e9:.1f} GB free; "
                         "limit 12 GB): use fewer --hours or a higher --crf")
    t0 = time.perf_counter()
    existed = p["video"].exists()
    concat_recording(p["base"], p["video"], hours * 60)
    print(f"[prep] {hours} h recording {'found' if existed else 'remuxed'} in {time.perf_counter() - t0:.0f} s: "
          f"{p['video']} ({_gb(p['video'])})", flush=True)

    # 3. the proxy: the minute's, remuxed to the day, where find_proxy looks for the day file
    from inference.video.proxy import FORMAT, build_proxy, find_proxy, proxy_paths

    t0 = time.perf_counter()
    with VideoReader(p["video"]) as r:
        frames, day_s = len(r.index), r.meta.duration_s
    t_index = time.perf_counter() - t0
    proxy_day, proxy_json = proxy_paths(p["video"])
    if find_proxy(p["video"], frames) is None:
        t0 = time.perf_counter()
        info = build_proxy(p["base"], threads=2)
        how = f"built in {time.perf_counter() - t0:.0f} s" if info.build_s else "found in the cache"
        print(f"[prep] proxy of the minute {how}: {info.size[0]}x{info.size[1]}, "
              f"{info.path.stat().st_size / 1e6:.1f} MB per minute", flush=True)
        free = shutil.disk_usage(data).free
        if info.path.stat().st_size * 60 * hours > free - 4e9:
            raise SystemExit(f"the {hours} h proxy would need {info.path.stat().st_size * 60 * hours / 1e9:.1f} GB, "
                             f"{free / 1e9:.1f} GB free")
        t0 = time.perf_counter()
        remux_repeat(info.path, proxy_day, hours * 60)
        with VideoReader(proxy_day) as pr, VideoReader(info.path) as pb:
            n_proxy = len(pr.index)
            if n_proxy != frames:
                raise SystemExit(f"the remuxed proxy has {n_proxy} frames, the day file {frames}")
            per = len(pb.index)
            for f in (frames - 1, frames // 2 + 7, per + 3):  # the same pictures as the minute's
                if not np.array_equal(pr.read_frame(f), pb.read_frame(f % per)):
                    raise SystemExit(f"proxy frame {f} differs from the minute's frame {f % per}")
        proxy_json.write_text(json.dumps({"format": FORMAT, "version": 1, "video": str(p["video"].resolve()),
                                          "frames": frames, "size": list(info.size), "build_s": 0.0,
                                          "note": f"bench: the minute's proxy remuxed x{hours * 60}"}), "utf-8")
        print(f"[prep] proxy remuxed to {hours} h in {time.perf_counter() - t0:.0f} s: {proxy_day} "
              f"({_gb(proxy_day)}); {n_proxy} frames == the day file's {frames}; 3 frames checked equal "
              "to the minute's", flush=True)
    else:
        print(f"[prep] proxy of the day found: {proxy_day} ({_gb(proxy_day)}, {frames} frames)", flush=True)

    # 2. the result: the real engine on the minute twice, one minute's windows tiled over the day
    if not p["result"].exists():
        make_result(p, frames, day_s)
    else:
        print(f"[prep] result found: {p['result']} ({p['result'].stat().st_size / 1e6:.0f} MB)", flush=True)
    print(f"[prep] (indexing the day file took {t_index:.1f} s in this process)", flush=True)


def make_result(p: dict[str, Path], frames: int, day_s: float) -> None:
    from bench_engine import concat_recording

    sys.path.insert(0, str(ROOT / "tests"))
    from app_helpers import make_tiny_run

    from inference.analysis.engine import AnalysisEngine
    from inference.analysis.settings import EngineConfig
    from inference.core.fingerprint import file_fingerprint
    from inference.detector.checkpoint import load_run
    from inference.pose.keypoints import KeypointTrack
    from inference.results.events import detect_events
    from inference.results.result_file import AnalysisResult, Gap
    from inference.video.index import probe

    t0 = time.perf_counter()
    two = concat_recording(p["base"], p["two_min"], 2)
    if not (p["run"] / "run.json").exists():
        make_tiny_run(p["run"])
    with tempfile.TemporaryDirectory() as pose_cache:
        engine = AnalysisEngine(load_run(p["run"], device="cpu"),
                                EngineConfig(keypoints="gt", use_pose_cache=False, resume=False, cache_dir=pose_cache))
        run = engine.run(two)
        for _ in run:
            pass
        res2 = run.result
        ev_cfg = engine.event_config()
    t_engine = time.perf_counter() - t0
    period = probe(p["base"]).duration_s
    starts, ends = res2.window_start_s, res2.window_end_s
    length = float(np.max(ends - starts))
    lo = period - np.ceil(length)  # one period of windows, all inside the 2 minutes
    sel = (starts >= lo - 1e-6) & (starts < lo + period - 1e-6)
    # Check the repetition: a window and the one a minute later saw the same frames.
    a = np.flatnonzero(starts < period - length)
    later = np.searchsorted(starts, starts[a] + period - 1e-6)
    diff = float(np.nanmax(np.abs(res2.prob[a] - res2.prob[later]))) if len(a) else float("nan")

    k_max = int(np.ceil(day_s / period)) + 1
    st = np.concatenate([starts[sel] - period + k * period for k in range(k_max)])
    en = np.concatenate([ends[sel] - period + k * period for k in range(k_max)])
    keep = (st >= -1e-6) & (en <= day_s + 1e-6)
    order = np.argsort(st[keep], kind="stable")
    tile = lambda x: np.concatenate([x[sel]] * k_max)[keep][order]
    st, en = st[keep][order], en[keep][order]
    prob, att = tile(res2.prob), tile(res2.attention)
    kp = res2.keypoints
    ksel = (kp.times >= period - 1e-9) & (kp.times < 2 * period - 1e-9)
    kt = np.concatenate([kp.times[ksel] - period + k * period for k in range(k_max)])
    kkeep = kt < day_s
    track = KeypointTrack(kt[kkeep], np.concatenate([kp.xy[ksel]] * k_max)[kkeep],
                          np.concatenate([kp.conf[ksel]] * k_max)[kkeep], kp.frame_size, kp.source, kp.meta)
    gaps = []
    for g in res2.gaps:
        if g.start_s >= period:
            gaps += [Gap(g.start_s - period + k * period, g.end_s - period + k * period, g.reason)
                     for k in range(k_max) if g.start_s - period + k * period < day_s]
    meta = probe(p["video"])
    video = dict(res2.video, path=str(p["video"]), fingerprint=file_fingerprint(p["video"]),
                 meta=dict(res2.video.get("meta") or {}, duration_s=meta.duration_s, width=meta.width,
                           height=meta.height, frame_count=meta.frame_count, fps=meta.fps))
    events = detect_events(st, en, prob, ev_cfg, att)
    result = AnalysisResult(st, en, prob, att, model=res2.model, config=res2.config, video=video, gaps=gaps,
                            events=events, keypoints=track, traces={}, complete=True,
                            notes={"bench_24h": f"the engine's windows of a 2-minute file (the minute twice), one "
                                                f"minute's period tiled over {day_s / 3600:.1f} h"})
    result.save(p["result"])
    expect = round((day_s - length) / float(res2.config.get("stride_s", 1.0))) + 1
    print(f"[prep] result: engine on 2 min ({len(res2)} windows, keypoints 'gt', random-init tiny) in "
          f"{t_engine:.0f} s; same windows a minute apart differ by at most {diff:.2g} in probability; "
          f"tiled to {len(result)} windows (a {day_s / 3600:.1f} h analysis would have {expect}), "
          f"{len(track.times)} keypoint samples, {len(events)} events, {len(gaps)} gaps -> {p['result']} "
          f"({p['result'].stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s total", flush=True)


# -- the window (this process) ------------------------------------------------------------------

def pan(app, win, steps: int) -> tuple[list[str], np.ndarray]:
    """bench_timeline's pan, on the window's own timeline with the day's result loaded."""
    from bench_timeline import count_paints

    tl = win.timeline
    PaintCounter = count_paints([tl.graphics, tl.overview_graphics, win.attention_map.graphics])
    lines, all_ms = [], []
    day = win.reader.meta.duration_s
    for span in (600.0, 3600.0, 6 * 3600.0, 20 * 3600.0):
        span = min(span, day * 0.9)
        start = min(40_000.0, day - span) if span < 40_000 else min(2_000.0, day - span)
        tl.setXRange(start, start + span)
        app.processEvents()
        ms, cpu = [], []
        PaintCounter.count = 0
        for k in range(steps):
            dx = min(span / 10, 2000.0) * (1 if (k // 5) % 2 == 0 else -1)
            a, b = tl.xRange()
            s0, c0 = time.perf_counter(), time.process_time()
            tl.setXRange(a + dx, b + dx)
            app.processEvents()
            ms.append((time.perf_counter() - s0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        ms, cpu = np.array(ms), np.array(cpu)
        all_ms.extend(ms.tolist())
        label = f"{span / 3600:g} h" if span >= 3600 else f"{span / 60:g} min"
        lines.append(f"  visible {label:>6}: median {np.median(ms):5.1f} ms, p95 {np.percentile(ms, 95):5.1f} ms, "
                     f"max {ms.max():5.1f} ms (CPU median {np.median(cpu):5.1f} ms); "
                     f"{PaintCounter.count / steps:.1f} paints per step")
    PaintCounter.stop()
    return lines, np.array(all_ms)


def scrub(app, win, span_frames: int, rng) -> str:
    """200 seek requests 10 ms apart across ``span_frames``; frames that reached the screen."""
    n = win.reader.meta.frame_count
    loader = win.loader
    shown = [0]

    def count(*_a):
        shown[0] += 1

    start = int(rng.integers(0, max(n - span_frames, 1)))
    frames = np.linspace(start, min(start + span_frames, n - 1), 200).astype(int)
    loader.frame_ready.connect(count)
    s0 = time.perf_counter()
    for f in frames:
        win.seek_frame(int(f))
        app.processEvents()
        time.sleep(0.01)
    t_req = time.perf_counter() - s0
    shown_during = shown[0]
    last = int(frames[-1])
    t_last = time.perf_counter()
    from bench_gui import wait_until

    wait_until(app, lambda: win.shown_frame == last, 10)
    settle = (time.perf_counter() - t_last) * 1000
    loader.frame_ready.disconnect(count)
    return (f"{shown_during / t_req:.1f} updates/s ({shown_during} frames shown during {t_req:.1f} s of "
            f"requests over {span_frames / win.reader.meta.fps / 60:.0f} min of video); last request on screen "
            f"{settle:.0f} ms after it")


class Memory:
    """Resident memory at named points: (current VmRSS, peak ru_maxrss) in MB."""

    def __init__(self):
        self.points: list[tuple[str, float, float]] = []

    def __call__(self, label: str) -> None:
        cur = float("nan")
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    cur = int(line.split()[1]) / 1024
        except OSError:
            pass
        self.points.append((label, cur, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

    def line(self) -> str:
        return "; ".join(f"{label} {cur:.0f}/{peak:.0f}" for label, cur, peak in self.points)


def drop_page_cache(path: Path) -> None:
    """Evict this one file's pages from the page cache (clean pages only; nothing else touched)."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    except (AttributeError, OSError):
        pass


def measure(p: dict[str, Path], args) -> None:
    from bench_gui import stats, wait_until
    from bench_proxy import playback, seeks
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    from inference.results.result_file import AnalysisResult

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mem = Memory()
    mem("imports (app.main_window; torch only with a model run)")
    app = QApplication.instance() or QApplication([])
    win = MainWindow(reviewer="bench")
    win.resize(1400, 900)
    win.show()
    app.processEvents()
    home = Path(tempfile.mkdtemp(prefix="semioscope-bench-24h-"))
    rng = np.random.default_rng(0)
    out: dict[str, float] = {}

    print(f"\n== {p['video'].name} ({_gb(p['video'])}) with {p['result'].name}")
    win.proxy.min_duration_s = 1e12  # first without the proxy; started by hand below
    t0 = time.perf_counter()
    win.open_video(p["video"], annotations=home / "a.json", results=p["result"])
    t_call = time.perf_counter() - t0
    ok = wait_until(app, lambda: win.shown_frame == 0, 60)
    ttff = time.perf_counter() - t0
    ok_index = wait_until(app, win.is_open, 300)
    t_ready = time.perf_counter() - t0
    app.processEvents()
    t_all = time.perf_counter() - t0
    mem("opened (index, result shown)")
    meta = win.reader.meta
    out["first_frame_s"] = ttff
    print(f"video: {meta.summary()}; {len(win.reader.index.keyframes)} keyframes; "
          f"result shown: {len(win.review_state._prob)} windows, {len(win.events)} events")
    print(f"time to first frame: {ttff * 1000:.0f} ms (open_video returned after {t_call * 1000:.0f} ms)  "
          f"[target <= 1 s: {_verdict(ttff <= TARGETS['first_frame_s'] and ok)}]")
    print(f"seeking works (timestamp index built, result shown) after {t_ready * 1000:.0f} ms"
          + ("" if ok_index else "  [TIMED OUT]") + f"; event loop idle after {t_all * 1000:.0f} ms")

    n = meta.frame_count
    before, _ = seeks(app, win, rng.integers(0, n, args.seeks), original=False)
    out["seek_median_noproxy_ms"], out["seek_p95_noproxy_ms"] = np.median(before), np.percentile(before, 95)
    ok = np.median(before) <= TARGETS["seek_median_ms"] and np.percentile(before, 95) <= TARGETS["seek_p95_ms"]
    print(f"random seek over {meta.duration_s / 3600:.1f} h WITHOUT the proxy ({len(before)} seeks): {stats(before)}  "
          f"[targets 50 / 150 ms: {_verdict(ok)}]")
    print(f"scrub WITHOUT the proxy: {scrub(app, win, int(3600 * meta.fps), rng)}")
    print(f"16x WITHOUT the proxy: {playback(app, win, 16.0)}")
    win.set_speed(1.0)
    mem("seeks/scrub/16x without proxy")

    win.proxy.min_duration_s = 120.0
    t0 = time.perf_counter()
    win.proxy.start(win.video_path, n, meta.duration_s)
    t_find = time.perf_counter() - t0
    if win.proxy.path is None:
        print("the proxy was not found: stopping")
        win.close()
        return
    f = int(rng.integers(0, n))
    t0 = time.perf_counter()
    win.seek_frame(f)
    wait_until(app, lambda: win.shown_frame == f, 120)
    t_warm = time.perf_counter() - t0
    mem("proxy opened")
    print(f"proxy found in {t_find * 1000:.0f} ms ({win.proxy.path.name}); first seek with it (opens and indexes "
          f"the {_gb(win.proxy.path)} proxy in the loader thread) {t_warm * 1000:.0f} ms")
    first, final = seeks(app, win, rng.integers(0, n, args.seeks), original=True)
    out["seek_median_ms"], out["seek_p95_ms"] = np.median(first), np.percentile(first, 95)
    ok = out["seek_median_ms"] <= TARGETS["seek_median_ms"] and out["seek_p95_ms"] <= TARGETS["seek_p95_ms"]
    print(f"random seek over {meta.duration_s / 3600:.1f} h WITH the proxy ({len(first)} seeks, its frame on screen): "
          f"{stats(first)}  [targets 50 / 150 ms: {_verdict(ok)}]")
    print(f"  the original on screen after the position rests (150 ms rest + decode): {stats(final)}")
    print(f"scrub WITH the proxy: {scrub(app, win, int(3600 * meta.fps), rng)}")
    lag16 = playback(app, win, 16.0)
    med = float(lag16.split("median ")[1].split(" s")[0])
    print(f"16x WITH the proxy: {lag16}  [target median <= 0.3 s: {_verdict(med <= TARGETS['lag16_s'])}]")
    win.set_speed(1.0)
    mem("seeks/scrub/16x with proxy")

    lines, pan_ms = pan(app, win, args.pan_steps)
    p95 = float(np.percentile(pan_ms, 95))
    print(f"timeline pan with the {meta.duration_s / 3600:.1f} h result loaded (window 1400x900; setXRange + "
          f"processEvents, which paints): all steps median {np.median(pan_ms):.1f} ms, p95 {p95:.1f} ms  "
          f"[target p95 <= 20 ms: {_verdict(p95 <= TARGETS['pan_p95_ms'])}]")
    for line in lines:
        print(line)

    mem("pan")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"review window peak RSS: {rss:.0f} MB (the process before the window: {rss0:.0f} MB)  "
          f"[target <= 1229 MB (1.2 GB): {_verdict(rss <= TARGETS['rss_mb'])}]")
    print(f"  RSS current/peak MB after: {mem.line()}")
    win.close()
    app.processEvents()

    size = p["result"].stat().st_size / 1e6
    drop_page_cache(p["result"])
    t0 = time.perf_counter()
    AnalysisResult.load(p["result"])
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = AnalysisResult.load(p["result"])
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    AnalysisResult.load(p["result"], keypoints=False)
    nokp = time.perf_counter() - t0
    print(f"result load ({size:.0f} MB, {len(r)} windows, {len(r.keypoints.times)} keypoint samples): "
          f"cold (file's pages dropped) {cold * 1000:.0f} ms, again {warm * 1000:.0f} ms, without keypoints "
          f"{nokp * 1000:.0f} ms  [target <= 1 s: {_verdict(max(cold, warm) <= TARGETS['result_load_s'])}]")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--crf", type=int, default=30)
    ap.add_argument("--seeks", type=int, default=40)
    ap.add_argument("--pan-steps", type=int, default=30)
    ap.add_argument("--data", default=os.environ.get("SEMIOSCOPE_BENCH_DIR", "/tmp/semioscope-bench"))
    ap.add_argument("--prepare-only", action="store_true", help="steps 1-3 only (what the child process does)")
    args = ap.parse_args(argv)
    data = Path(args.data)
    p = paths(data, args.hours, args.crf)
    os.environ["SEMIOSCOPE_CACHE_DIR"] = str(p["cache"])  # the remuxed proxy lives here, not in the user's cache
    if args.prepare_only:
        prepare(data, args.hours, args.crf)
        return 0

    print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at start; "
          f"{args.hours} h, CRF {args.crf}, data in {data}", flush=True)
    print("NOTE: the result is one minute's real analysis tiled over the day, and the proxy is the minute's proxy "
          "remuxed over the day (the video is the minute repeated); see the docstring.", flush=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--prepare-only", "--hours", str(args.hours), "--crf", str(args.crf),
                    "--data", str(data)], check=True)
    print(f"[prep] preparation took {time.perf_counter() - t0:.0f} s (child process)", flush=True)
    from inference.pose.keypoint_files import sidecar_path
    from inference.video.proxy import proxy_paths

    day = (p["video"], sidecar_path(p["video"]), proxy_paths(p["video"])[0], p["result"])
    used = sum(f.stat().st_size for f in day if f.is_file())
    print(f"disk: {used / 1e9:.1f} GB for the day file (+ keypoint sidecar), its proxy and result; "
          f"{shutil.disk_usage(data).free / 1e9:.0f} GB free", flush=True)
    t0 = time.perf_counter()
    measure(p, args)
    print(f"\nwindow measurements took {time.perf_counter() - t0:.0f} s; load average at end "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
