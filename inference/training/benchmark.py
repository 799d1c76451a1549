"""``semioscope benchmark``: the proposed cross-joint detector (``cja``) and the paper's baselines
(``vsvig``, ``frame3d``, ``flow3d``) on one subject split, over several seeds, in the layout of
the paper's Table 1 plus the event level.

Every method sees the same split (planned once, stored as ``OUT/split.json``), the same 5 s
windows and labels (``prepare_data``), the same epoch sampling and the same rule for its
threshold and event rules (chosen together on the validation recordings scored whole). ``cja``
is trained by ``train_run`` and evaluated by ``evaluate_run`` (exactly ``semioscope train`` and
``evaluate``); the baselines by ``baseline_run``.

With a second manifest of the same subjects (``test_manifest``, e.g. ``synth --room-bias
swapped`` with the seed of a ``--room-bias train`` set) every model is also evaluated on it:
the "swapped" rows, and the drop from "matched" to "swapped" says which method learned the room.

Resumable: each (method, seed) result is written to ``OUT/<method>/seed_<s>/result.json`` as
soon as it is done and reused on the next run; ``cja`` runs also resume inside training. The
clip, pose, frame and flow caches are shared.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Optional

from inference.baselines.models import METHODS, baseline_config
from inference.core.atomic import atomic_write_json, atomic_write_text
from inference.core.config import ClipConfig, EventConfig, PoseConfig, SegmentConfig, SplitConfig
from inference.core.errors import SemioscopeError
from inference.core.progress import CancelToken, ProgressFn, check_cancel, no_progress
from inference.dataset.manifest import Manifest
from inference.dataset.split_plan import plan_split
from inference.dataset.splits import SubjectSplit
from inference.training.baseline_run import evaluate_baseline, train_baseline
from inference.training.config import TrainConfig
from inference.training.evaluation import evaluate_run, json_safe
from inference.training.loop import train_run
from inference.training.metrics import fmt_pm, mean_sd
from inference.training.prepared import prepare_data

CJA = "cja"
ALL_METHODS = (CJA, *METHODS)
LABELS = {CJA: "Proposed (cross-joint attention)", "vsvig": "VSViG (joint patches, graph)",
          "frame3d": "R(2+1)D on frames", "flow3d": "R(2+1)D on optical flow"}
SEGMENT_KEYS = ("accuracy", "auroc", "auprc", "f1", "precision", "recall")
EVENT_KEYS = ("sensitivity", "false_alarms_per_hour", "interictal_alarm_fraction", "latency_clinical_median_s")
CJA_PRESET = {"tiny": "tiny", "paper": "vivit-b"}


def _room_verdict(drop: float, entry: dict[str, Any]) -> str:
    """A drop of more than 0.1 AUROC says the method learned the room, unless the seeds disagree
    by as much (the larger sd of the two rows): then it is only possible."""
    if not drop > 0.1:
        return ""
    sds = [entry[part]["segment"]["auroc"].get("sd", float("nan")) for part in ("matched", "swapped")]
    spread = max((v for v in sds if v == v), default=float("nan"))
    if entry.get("n", 1) < 2 or spread != spread:
        return " — learned the room (one seed: not checked against seed noise)"
    if drop > spread:
        return " — learned the room"
    return f" — possibly the room, but within seed noise (sd {spread:.3f})"


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    ev = result["events"]
    return {"segment": {k: result["segment"].get(k) for k in SEGMENT_KEYS},
            "baselines": result.get("baselines", {}), "events_config": result.get("events_config"),
            "events": {"seizures": ev["seizures"], "detected": ev["detected"], "sensitivity": ev["sensitivity"],
                       "false_alarms": ev["false_alarms"], "false_alarms_per_hour": ev["false_alarms_per_hour"],
                       "interictal_hours": ev.get("interictal_hours"),
                       "interictal_alarm_fraction": ev["interictal_alarm_fraction"],
                       "latency_clinical_median_s": ev["latency_clinical_s"]["median"]},
            "degenerate": bool(result.get("operating_point", {}).get("degenerate"))}


def run_benchmark(manifest: Manifest, out: str | Path, methods: tuple[str, ...] = ALL_METHODS, n_seeds: int = 5,
                  preset: str = "tiny", tcfg: TrainConfig = TrainConfig(), seg: SegmentConfig = SegmentConfig(),
                  clips: ClipConfig = ClipConfig(), split_cfg: SplitConfig = SplitConfig(),
                  events: EventConfig = EventConfig(), pose: PoseConfig = PoseConfig(),
                  cache_dir: Optional[str | Path] = None, test_manifest: Optional[Manifest] = None,
                  log: Callable[[str], None] = print, progress: ProgressFn = no_progress,
                  cancel: Optional[CancelToken] = None, n_val: Optional[int] = None) -> dict[str, Any]:
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown:
        raise SemioscopeError(f"unknown method(s) {', '.join(unknown)} (choose from: {', '.join(ALL_METHODS)})")
    if preset not in CJA_PRESET:
        raise SemioscopeError(f"unknown preset {preset!r} (choose from: {', '.join(CJA_PRESET)})")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    split = _fixed_split(manifest, split_cfg, n_val, out / "split.json", log)
    if test_manifest is not None:
        missing = sorted(set(split.test) - {r.subject_id for r in test_manifest})
        if missing:
            raise SemioscopeError(f"{test_manifest.path}: the test manifest lacks test subject(s) "
                                  f"{', '.join(missing)} of {manifest.path}")
    tcfg = tcfg.replace(preset=CJA_PRESET[preset], keypoints=tcfg.keypoints)
    data = swapped = None
    jobs = [(tcfg.seed + k, m) for k in range(max(1, n_seeds)) for m in methods]
    results: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
    for n, (seed, method) in enumerate(jobs):
        check_cancel(cancel)
        progress(n, len(jobs), f"{method} seed {seed}")
        folder = out / method / f"seed_{seed}"
        done = folder / "result.json"
        if done.exists():
            kept = _kept_result(done)
            if kept.get("preset", preset) != preset:  # results written before presets were recorded pass
                raise SemioscopeError(f"{done}: this result was trained with preset {kept['preset']!r}, not "
                                      f"{preset!r}; one benchmark folder holds one preset (choose another --out)")
            results[method].append(kept)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        t1 = time.perf_counter()
        row: dict[str, Any] = {"method": method, "seed": seed, "preset": preset}
        if method == CJA:
            run_dir = folder / "run"
            train_run(manifest, run_dir, tcfg.replace(seed=seed), seg, clips, split_cfg, events, pose, cache_dir,
                      resume=(run_dir / "train_state.json").exists(), log=log, cancel=cancel, split=split)
            row["matched"] = _brief(evaluate_run(run_dir, manifest, cache_dir, tcfg.device, log=log, cancel=cancel))
            if test_manifest is not None:
                row["swapped"] = _brief(evaluate_run(run_dir, test_manifest, cache_dir, tcfg.device, log=log,
                                                     cancel=cancel, write=False))
        else:
            if data is None:
                data = prepare_data(manifest, seg, clips, split_cfg, pose, tcfg.keypoints, cache_dir, split=split,
                                    cancel=cancel, log=log)
                if test_manifest is not None:
                    swapped = prepare_data(test_manifest, seg, clips, split_cfg, pose, tcfg.keypoints, cache_dir,
                                           split=split, roles=("test",), cancel=cancel, log=log)
            tb = train_baseline(baseline_config(method, preset), data, manifest, seg, tcfg.replace(seed=seed), events,
                                cache_dir, log, cancel)
            row["matched"] = _brief(evaluate_baseline(tb, data, manifest, seg, cache_dir, cancel))
            if swapped is not None:
                row["swapped"] = _brief(evaluate_baseline(tb, swapped, test_manifest, seg, cache_dir, cancel))
        row["seconds"] = round(time.perf_counter() - t1, 1)
        atomic_write_json(done, json_safe(row))
        results[method].append(row)
        log(f"{method} seed {seed}: AUROC {row['matched']['segment']['auroc']:.3f}, sensitivity "
            f"{row['matched']['events']['detected']}/{row['matched']['events']['seizures']}, "
            f"{row['matched']['events']['false_alarms_per_hour']:.2f} FA/h ({row['seconds']:.0f} s)")
    progress(len(jobs), len(jobs), "")
    summary = summarise(results, test_manifest is not None)
    summary.update({"format": "semioscope.benchmark", "version": 1, "manifest": str(manifest.path),
                    "test_manifest": str(test_manifest.path) if test_manifest is not None else None,
                    "preset": preset, "seeds": [tcfg.seed + k for k in range(max(1, n_seeds))],
                    "split": split.to_dict(), "wall_s": round(time.perf_counter() - t0, 1)})
    atomic_write_json(out / "benchmark.json", json_safe(summary))
    atomic_write_text(out / "benchmark.md", benchmark_markdown(summary))
    return summary


def _kept_result(path: Path) -> dict[str, Any]:
    """A finished (method, seed) result; a damaged one (say, a bad merge of results kept in git)
    is named, never silently retrained over."""
    try:
        kept = json.loads(path.read_text("utf-8"))
        kept["matched"]["segment"]["auroc"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SemioscopeError(f"{path}: not a readable benchmark result ({type(exc).__name__}: {exc}); "
                              f"restore it, or delete it to train that run again") from exc
    return kept


def _fixed_split(manifest: Manifest, split_cfg: SplitConfig, n_val: Optional[int], path: Path,
                 log: Callable[[str], None]) -> SubjectSplit:
    """The benchmark's one split: planned once and stored, so every method and rerun uses it."""
    if path.exists():
        return SubjectSplit.from_dict(json.loads(path.read_text("utf-8")))
    plan = plan_split(manifest, split_cfg, n_val=n_val, need_test=True)
    if plan.note:
        log(f"note: {plan.note}")
    atomic_write_json(path, plan.split.to_dict())
    return plan.split


def summarise(results: dict[str, list[dict[str, Any]]], with_swapped: bool) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for method, rows in results.items():
        if not rows:
            continue
        entry = {"n": len(rows), "seconds": mean_sd(rows, ("seconds",))["seconds"]}
        for part in ("matched", "swapped") if with_swapped else ("matched",):
            got = [r[part] for r in rows if part in r]
            entry[part] = {"segment": mean_sd([g["segment"] for g in got], SEGMENT_KEYS),
                           "events": mean_sd([g["events"] for g in got], EVENT_KEYS),
                           "degenerate": sum(g["degenerate"] for g in got),
                           "random_chance": got[0]["baselines"].get("random_chance"),
                           "one_class": got[0]["baselines"].get("one_class")}
        if with_swapped:
            entry["auroc_drop"] = entry["matched"]["segment"]["auroc"]["mean"] - entry["swapped"]["segment"]["auroc"]["mean"]
        table[method] = entry
    every = [r for rows in results.values() for r in rows]
    return {"methods": table, "compute_s": round(sum(r.get("seconds", 0.0) for r in every), 1),
            "test_set": _test_set(every)}


def _test_set(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How much the event level rests on: seizures and interictal hours of the test recordings
    (the same for every run; hours only in results written since they were recorded)."""
    if not rows:
        return {}
    ev = rows[0]["matched"]["events"]
    return {"seizures": ev.get("seizures"), "interictal_hours": ev.get("interictal_hours")}


def _scaled(stat: dict[str, float], factor: float) -> dict[str, float]:
    """A ``mean_sd`` entry in other units (seconds as minutes, a fraction as percent)."""
    return {k: v * factor if k in ("mean", "sd") else v for k, v in stat.items()}


def _percent(stat: dict[str, float]) -> str:
    """A fraction's mean ± sd as percent: ``24.1 ± 3.2%``."""
    text = fmt_pm(_scaled(stat, 100.0), 1)
    return text if text == "n/a" else text + "%"


def benchmark_markdown(summary: dict[str, Any]) -> str:
    parts = ("matched", "swapped") if summary.get("test_manifest") else ("matched",)
    lines = [f"# Benchmark on `{summary['manifest']}`", "",
             f"Preset {summary['preset']}, seeds {', '.join(map(str, summary['seeds']))} (mean ± sd), test "
             f"subjects {', '.join(summary['split'].get('test', []))}; the runs took "
             f"{summary.get('compute_s', 0.0) / 60:.1f} min in all (summed over runs, earlier invocations "
             f"included), this invocation {summary['wall_s'] / 60:.1f} min."]
    methods = summary["methods"]
    lines += ["", "| Method | Minutes per run |", "|---|---|"]
    lines += [f"| {LABELS[m]} | {fmt_pm(_scaled(e['seconds'], 1 / 60), 1)} |"
              for m, e in methods.items()]
    test = summary.get("test_set") or {}
    hours = test.get("interictal_hours")
    if test.get("seizures") is not None:
        lines += ["", f"The event level rests on {test['seizures']} test seizures"
                  + (f" and {hours:.2f} interictal hours (one false alarm = {1 / hours:.2f}/h)" if hours else "")
                  + "."]
    for part in parts:
        title = "the training manifest's test subjects" if part == "matched" else \
            f"the same subjects in `{summary['test_manifest']}` (rooms swapped)"
        lines += ["", f"## Segment level on {title}", "",
                  "| Method | Accuracy | AUROC | AUPRC | F1 | Precision | Recall |", "|---|---|---|---|---|---|---|"]
        first = next(iter(methods.values()))[part]
        for name, key in (("Random Chance", "random_chance"), ("One-Class Classifier", "one_class")):
            m = first.get(key) or {}
            lines.append(f"| {name} | " + " | ".join(f"{m.get(k, float('nan')):.3f}" for k in SEGMENT_KEYS) + " |")
        for method, entry in methods.items():
            s = entry[part]["segment"]
            lines.append(f"| {LABELS[method]} | " + " | ".join(fmt_pm(s[k]) for k in SEGMENT_KEYS) + " |")
        lines += ["", "| Method | Sensitivity | False alarms / h | Interictal time under alarm | "
                      "Latency from clinical onset (median, s) | Degenerate runs |", "|---|---|---|---|---|---|"]
        for method, entry in methods.items():
            e = entry[part]["events"]
            lines.append(f"| {LABELS[method]} | {fmt_pm(e['sensitivity'])} | {fmt_pm(e['false_alarms_per_hour'], 2)} | "
                         f"{_percent(e['interictal_alarm_fraction'])} | {fmt_pm(e['latency_clinical_median_s'], 1)} | "
                         f"{entry[part]['degenerate']}/{entry['n']} |")
    if "swapped" in parts:
        lines += ["", "## Which methods learned the room", ""]
        for method, entry in methods.items():
            drop = entry["auroc_drop"]
            lines.append(f"- {LABELS[method]}: AUROC {entry['matched']['segment']['auroc']['mean']:.3f} matched, "
                         f"{entry['swapped']['segment']['auroc']['mean']:.3f} with the rooms swapped "
                         f"(drop {drop:+.3f}){_room_verdict(drop, entry)}.")
    return "\n".join(lines) + "\n"
