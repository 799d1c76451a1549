"""Few-shot evaluation report: ``evaluation.json`` (everything) and ``evaluation.md`` (the table
in the paper's layout: one row per method, metrics per N-shot and averaged over N)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from inference.core.atomic import atomic_write_json, atomic_write_text
from inference.forecast.fewshot import METRICS

_NAMES = {"bacc": "bacc", "roc_auc": "ROC-AUC", "pr_auc": "PR-AUC"}


def markdown_report(rep: dict[str, Any]) -> str:
    cfg = rep["config"]
    shots = [str(n) for n in cfg["shots"]]
    lines = ["# Forecasting: few-shot evaluation", ""]
    pre = rep.get("pretrained", {})
    lines.append(f"- Pre-trained model: `{pre.get('path')}` ({pre.get('steps')} steps from {pre.get('init')})")
    for c in pre.get("corpora") or []:
        lines.append(f"  - corpus {c['name']}: {c['clips']} clips, share {100 * c['share']:.1f}%, drawn {c.get('drawn')}")
    lines.append(f"- Without pre-training: {rep.get('baseline')}")
    d = rep["data"]
    lines.append(f"- Clips: {d['positive']} positive, {d['negative']} negative, {d['subjects']} subjects; "
                 f"{cfg['draws']} draws per N (seed {cfg['seed']}), {cfg['epochs']} epochs, threshold {cfg['threshold']}")
    lines.append(f"- Head: {rep.get('pooling')}. Zero-shot: {rep.get('zero_shot')}.")
    for problem in rep.get("skipped_videos") or []:
        lines.append(f"- Skipped (unreadable): {problem}")
    lines.append("")
    lines.append("Mean over draws (sd in brackets); `avg` = mean over N.")
    lines.append("")
    for metric in METRICS:
        lines.append(f"## {_NAMES[metric]}")
        lines.append("")
        lines.append("| Method | " + " | ".join(f"{n}-shot" for n in shots) + " | avg |")
        lines.append("|---|" + "---:|" * (len(shots) + 1))
        for m, res in rep["methods"].items():
            cells = [f"{res['per_n'][n][metric]:.4f} ({res['per_n'][n][metric + '_sd']:.3f})" for n in shots]
            lines.append(f"| {m} | " + " | ".join(cells) + f" | {res['average'][metric]:.4f} |")
        lines.append("")
    lines.append("## Summary (averaged over N)")
    lines.append("")
    lines.append("| Method | avg bacc | avg roc_auc | avg pr_auc |")
    lines.append("|---|---:|---:|---:|")
    for m, res in rep["methods"].items():
        a = res["average"]
        lines.append(f"| {m} | {a['bacc']:.4f} | {a['roc_auc']:.4f} | {a['pr_auc']:.4f} |")
    lines.append("")
    return "\n".join(lines)


def write_report(out_dir: str | Path, rep: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``evaluation.json`` and ``evaluation.md`` atomically; returns both paths."""
    out = Path(out_dir)
    return (atomic_write_json(out / "evaluation.json", rep),
            atomic_write_text(out / "evaluation.md", markdown_report(rep)))
