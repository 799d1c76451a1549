"""Multi-seed runs: train the same recipe with K seeds, evaluate each, report mean ± sd."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Optional

from inference.core.atomic import atomic_write_json, atomic_write_text
from inference.core.config import ClipConfig, EventConfig, PoseConfig, SegmentConfig, SplitConfig
from inference.core.progress import CancelToken, ProgressFn, no_progress
from inference.core.run_folder import is_run_folder
from inference.dataset.splits import SubjectSplit
from inference.detector.checkpoint import read_run_config
from inference.training.config import TrainConfig
from inference.training.evaluation import (
    EVAL_JSON,
    EVAL_MD,
    evaluate_run,
    evaluation_markdown,
    json_safe,
    manifest_for_run,
)
from inference.training.loop import train_run
from inference.training.metrics import mean_sd
from inference.training.train_state import TRAIN_STATE_JSON


def evaluate_seeds(run_dir: str | Path, n_seeds: int, manifest=None, cache_dir: Optional[str | Path] = None,
                   device: str = "auto", progress: ProgressFn = no_progress, log: Callable[[str], None] = print,
                   cancel: Optional[CancelToken] = None, events: Optional[dict[str, float]] = None) -> dict[str, Any]:
    """Mean ± sd over ``n_seeds`` training runs: the run itself plus runs with seeds seed+1, ...
    trained with the same configuration into ``RUN/seeds/seed_<k>`` (reused when already there).
    Each seed's run chooses its own event rules on validation; ``events`` overrides them all."""
    run_dir = Path(run_dir)
    rc = read_run_config(run_dir)
    manifest = manifest_for_run(run_dir, rc, manifest, log)
    base = evaluate_run(run_dir, manifest, cache_dir, device, progress, log, cancel, write=True, events=events)
    tcfg = TrainConfig.from_dict(rc.get("training"))
    results = [base]
    seeds = [tcfg.seed]
    for k in range(1, max(1, n_seeds)):
        seed = tcfg.seed + k
        sub = run_dir / "seeds" / f"seed_{seed}"
        state = sub / TRAIN_STATE_JSON
        if not is_run_folder(sub) or not _finished(state):
            log(f"training seed {seed} -> {sub}")
            train_run(manifest, sub, tcfg.replace(seed=seed), SegmentConfig.from_dict(rc["segments"]),
                      ClipConfig.from_dict(rc["clips"]), SplitConfig(), EventConfig.from_dict(rc["events"]),
                      PoseConfig.from_run(rc.get("pose")), cache_dir, resume=state.exists(),
                      log=log, cancel=cancel, split=SubjectSplit.from_dict(rc["split"]))
        results.append(evaluate_run(sub, manifest, cache_dir, device, progress, log, cancel, write=True,
                                    events=events))
        seeds.append(seed)
    ev_keys = ("sensitivity", "false_alarms_per_hour")
    out = dict(base)
    out["seeds"] = {"n": len(results), "seed_values": seeds,
                    "segment_mean_sd": mean_sd([r["segment"] for r in results]),
                    "events_mean_sd": mean_sd([r["events"] for r in results], ev_keys),
                    "per_seed": [{"seed": s, "segment": r["segment"], "events_config": r["events_config"],
                                  "events": {k: r["events"][k] for k in ev_keys}} for s, r in zip(seeds, results)]}
    atomic_write_json(run_dir / EVAL_JSON, json_safe(out))
    atomic_write_text(run_dir / EVAL_MD, evaluation_markdown(out))
    ms = out["seeds"]["segment_mean_sd"]
    log(f"{len(results)} seeds: AUROC {ms['auroc']['mean']:.3f} ± {ms['auroc']['sd']:.3f} -> {run_dir / EVAL_MD}")
    return out


def _finished(state_json: Path) -> bool:
    """Whether the training state says its run finished (an unreadable one: no; resuming it then
    raises the CheckpointError that names the file)."""
    try:
        state = json.loads(state_json.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(state, dict) and bool(state.get("finished"))
