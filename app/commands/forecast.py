"""``semioscope forecast pretrain|finetune|evaluate|trace``: VideoMAE seizure forecasting."""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from app.commands.analyze import collect_videos
from inference.core.atomic import atomic_write_text
from inference.core.device import torch_threads
from inference.core.errors import SemioscopeError, SplitError
from inference.core.progress import cli_progress
from inference.dataset.manifest import load_manifest
from inference.forecast.corpora import parse_named_folders, scan_corpus
from inference.forecast.fewshot import METHODS, FewShotConfig, evaluate_fewshot, finetune_classifier, sample_shots
from inference.forecast.labels import ForecastLabelConfig, label_counts, manifest_clips
from inference.forecast.model import load_classifier
from inference.forecast.pretrain import PretrainConfig, pretrain
from inference.forecast.report import write_report
from inference.forecast.trace import forecast_trace
from inference.forecast.trace_data import add_forecast_to_result, forecast_alarms
from inference.results.result_file import AnalysisResult, result_path_for

NAME = "forecast"
HELP = "seizure forecasting: VideoMAE pre-training, few-shot fine-tuning, evaluation, forecast traces"
ORDER = 60
DESCRIPTION = """\
Forecast whether a seizure starts within the next H s (default 5) from a 3-10 s clip (paper 004).

  pretrain  masked-autoencoder pre-training (tube mask, ratio 0.3) on mixed unlabelled corpora
  finetune  few-shot fine-tuning of a linear head on the pre-trained encoder -> classifier folder
  evaluate  N-shot protocol (N = 2, 3, 4; R draws) vs no pre-training, linear probe, zero-shot
  trace     P(onset within H s) over sliding windows of whole videos, alarms, result files

examples:
  semioscope forecast pretrain --corpus rodent_sz=data/rodent/seizure --corpus rodent_n=data/rodent/normal \\
      --corpus human=data/human_interictal --preset tiny --steps 300 --out runs/fc_pre
  semioscope forecast evaluate --model runs/fc_pre --manifest synth/manifest.csv --draws 5 --out reports/fc
  semioscope forecast finetune --model runs/fc_pre --manifest synth/manifest.csv --shots 4 --out runs/fc_clf
  semioscope forecast trace synth/videos --model runs/fc_clf --out traces --results results
"""


def _label_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("clip labels")
    g.add_argument("--manifest", required=True, help="recording manifest (.csv/.json) with onsets")
    g.add_argument("--clip-s", type=float, default=5.0, help="clip length L, 3-10 s (default 5)")
    g.add_argument("--horizon-s", type=float, default=5.0, help="horizon H before onset (default 5)")
    g.add_argument("--onset", choices=("clinical", "eeg"), default="clinical", help="onset used for positives")
    g.add_argument("--guard-s", type=float, default=60.0, help="negatives stay this far from any seizure (default 60)")
    g.add_argument("--negative-stride-s", type=float, default=5.0, help="spacing of negative clips (default 5)")
    g.add_argument("--max-negatives", type=int, default=0, help="at most this many negatives per recording (0 = all)")


def _fewshot_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("fine-tuning")
    g.add_argument("--epochs", type=int, default=20, help="fine-tuning epochs (default 20)")
    g.add_argument("--pooling", choices=("mean", "motion", "mean+motion"), default="motion",
                   help="token pooling of the head: motion (default: each patch token's sd over time, averaged), "
                        "mean of the patch tokens, or both. Default chosen on a dev set; older classifier folders "
                        "keep the pooling they were trained with")
    g.add_argument("--lr-encoder", type=float, default=1e-3, help="learning rate of the encoder (default 1e-3)")
    g.add_argument("--lr-head", type=float, default=1e-2,
                   help="learning rate of the classification head (default 1e-2)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--threshold", type=float, default=0.5, help="decision threshold (balanced accuracy)")
    g.add_argument("--device", default="auto", help="auto (CUDA with bf16 if present), cpu, cuda, cuda:N")


def _threads_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads for torch (default: torch's choice; 1 is much faster on a busy machine)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="forecast_command", metavar="STEP")
    fmt = argparse.RawDescriptionHelpFormatter

    pre = sub.add_parser("pretrain", help="VideoMAE pre-training on unlabelled corpora", formatter_class=fmt)
    pre.add_argument("--corpus", action="append", required=True, metavar="NAME=FOLDER",
                     help="an unlabelled corpus: a folder of clips or videos (repeat for several)")
    pre.add_argument("--mix", action="append", default=[], metavar="NAME=WEIGHT",
                     help="sampling weight of a corpus (default: equal shares)")
    pre.add_argument("--out", required=True, help="output folder (resumes when it holds an unfinished run)")
    pre.add_argument("--preset", default="tiny", choices=("tiny", "base"), help="VideoMAE size (default tiny)")
    pre.add_argument("--init", default="", metavar="DIR", help="local VideoMAE folder (MCG-NJU/videomae-base layout)")
    pre.add_argument("--image-size", type=int, default=0, help="input size (default: the preset's)")
    pre.add_argument("--steps", type=int, default=200, help="optimiser steps (default 200)")
    pre.add_argument("--batch-size", type=int, default=8, help="clips per step (default 8)")
    pre.add_argument("--lr", type=float, default=1e-4, help="learning rate (default 1e-4)")
    pre.add_argument("--mask-ratio", type=float, default=0.3, help="share of tubes masked (default 0.3)")
    pre.add_argument("--frame-stride", type=int, default=2, help="take every N-th frame of a clip (default 2)")
    pre.add_argument("--segment-s", type=float, default=10.0,
                     help="long videos are cut into clips this long (default 10)")
    pre.add_argument("--checkpoint-every", type=int, default=50, metavar="STEPS",
                     help="save a resumable checkpoint every STEPS steps (default 50)")
    pre.add_argument("--grad-checkpointing", choices=("auto", "on", "off"), default="auto",
                     help="trade compute for memory (default auto: on with CUDA)")
    pre.add_argument("--workers", type=int, default=0, help="data-loading processes (default 0: in the main process)")
    pre.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    pre.add_argument("--device", default="auto", help="auto (CUDA with bf16 if present), cpu, cuda, cuda:N")
    _threads_arg(pre)

    ft = sub.add_parser("finetune", help="few-shot fine-tuning -> a classifier folder for `trace`",
                        formatter_class=fmt)
    ft.add_argument("--model", required=True, help="pre-trained folder (from `forecast pretrain`)")
    ft.add_argument("--out", required=True, help="classifier folder to write")
    ft.add_argument("--shots", type=int, default=4, help="examples per class (0 = every labelled clip)")
    _label_args(ft)
    _fewshot_args(ft)
    _threads_arg(ft)

    ev = sub.add_parser("evaluate", help="N-shot evaluation with comparisons -> evaluation.md/json",
                        formatter_class=fmt)
    ev.add_argument("--model", required=True, help="pre-trained folder (from `forecast pretrain`)")
    ev.add_argument("--out", required=True, help="report folder")
    ev.add_argument("--shots", type=int, nargs="+", default=[2, 3, 4],
                    help="examples per class to evaluate (default 2 3 4)")
    ev.add_argument("--draws", type=int, default=5, help="random draws per N (fixed seeds)")
    ev.add_argument("--methods", nargs="+", default=None,
                    help="subset of: pretrained+finetune no-pretrain+finetune linear-probe zero-shot")
    ev.add_argument("--baseline-init", default=None, metavar="DIR",
                    help="local VideoMAE folder for the no-pre-training comparison (default: the pre-training's start)")
    ev.add_argument("--max-test-clips", type=int, default=0, help="even subset of the test clips per draw (0 = all)")
    _label_args(ev)
    _fewshot_args(ev)
    _threads_arg(ev)

    tr = sub.add_parser("trace", help="forecast trace over whole videos", formatter_class=fmt)
    tr.add_argument("inputs", nargs="+", metavar="VIDEO|DIR|MANIFEST", help="videos, folders of videos, or a manifest")
    tr.add_argument("--model", required=True, help="classifier folder (from `forecast finetune`)")
    tr.add_argument("--out", required=True, help="folder for <stem>.forecast.csv and <stem>.alarms.csv")
    tr.add_argument("--stride-s", type=float, default=1.0, help="seconds between window starts (default 1)")
    tr.add_argument("--clip-s", type=float, default=None, help="default: the model's clip length")
    tr.add_argument("--threshold", type=float, default=None, help="alarm threshold (default: the model's)")
    tr.add_argument("--results", default=None, metavar="DIR",
                    help="add the trace to DIR/<stem>.result.npz where such a result file exists")
    tr.add_argument("--device", default="auto", help="auto (CUDA with bf16 if present), cpu, cuda, cuda:N")
    _threads_arg(tr)


def _parse_mix(items: list[str]) -> dict[str, float]:
    out = {}
    for it in items:
        name, sep, w = it.partition("=")
        try:
            out[name] = float(w)
        except ValueError:
            raise SemioscopeError(f"--mix {it!r}: expected NAME=WEIGHT") from None
        if not sep:
            raise SemioscopeError(f"--mix {it!r}: expected NAME=WEIGHT")
    return out


def _clips(args):
    cfg = ForecastLabelConfig(clip_s=args.clip_s, horizon_s=args.horizon_s, onset=args.onset, guard_s=args.guard_s,
                              negative_stride_s=args.negative_stride_s, max_negatives_per_recording=args.max_negatives)
    clips = manifest_clips(load_manifest(args.manifest), cfg, on_error=lambda m: print(m, file=sys.stderr))
    print(f"{args.manifest}: {label_counts(clips)}", file=sys.stderr)
    return clips, cfg


def _fewshot_cfg(args, **extra):
    return FewShotConfig(epochs=args.epochs, lr_encoder=args.lr_encoder, lr_head=args.lr_head, seed=args.seed,
                         threshold=args.threshold, device=args.device, pooling=args.pooling, **extra)


def _run_pretrain(args) -> int:
    corpora = [scan_corpus(n, f, args.segment_s, on_error=lambda m: print(f"skipped: {m}", file=sys.stderr))
               for n, f in parse_named_folders(args.corpus)]
    cfg = PretrainConfig(preset=args.preset, init_dir=args.init, image_size=args.image_size, steps=args.steps,
                         batch_size=args.batch_size, lr=args.lr, mask_ratio=args.mask_ratio,
                         frame_stride=args.frame_stride, segment_s=args.segment_s,
                         checkpoint_every=args.checkpoint_every, grad_checkpointing=args.grad_checkpointing,
                         num_workers=args.workers, seed=args.seed, device=args.device, mix=_parse_mix(args.mix))
    with cli_progress("pre-training", total=cfg.steps, unit="step") as bar:
        info = pretrain(args.out, corpora, cfg, progress=bar, log=lambda s: print(s, file=sys.stderr))
    print(f"encoder for fine-tuning: {Path(args.out) / 'encoder.safetensors'} (step {info['steps_done']}, "
          f"loss {info['final_loss']:.4f})")
    return 0


def _run_finetune(args) -> int:
    clips, label_cfg = _clips(args)
    with cli_progress("decoding clips", unit="clip") as bar:
        info = finetune_classifier(args.model, clips, args.out, label_cfg, _fewshot_cfg(args), shots=args.shots,
                                   progress=bar)
    t = info["trained_on"]
    print(f"classifier written to {args.out}: {t['clips']} clips ({t['positive']} positive) "
          f"from subjects {', '.join(t['subjects'])}")
    return 0


def check_draws(clips, cfg: FewShotConfig, where: str) -> None:
    """Every N-shot draw must leave test subjects holding both kinds of clip: checked on the labels
    alone, before the encoder loads or a clip is decoded, with the remedy."""
    for n in cfg.shots:
        for r in range(cfg.draws):
            try:
                sample_shots(clips, n, cfg.seed, r)
            except SemioscopeError as exc:
                subjects = {c.subject_id for c in clips}
                pre = {c.subject_id for c in clips if c.label}
                raise SplitError(
                    f"{where}: {len(subjects)} subjects with labelled clips ({len(pre)} with pre-ictal clips) are too "
                    f"few for {n}-shot draws: {exc}. A draw takes {n} pre-ictal and {n} interictal clips, one subject "
                    f"at a time, and tests on the subjects that gave none, who must hold both kinds. To go on: "
                    f"fewer --shots "
                    f"(now {' '.join(str(k) for k in cfg.shots)}), or more subjects with seizures (e.g. "
                    f"`semioscope synth OUT --subjects 8 --prodrome`)") from None


def _run_evaluate(args) -> int:
    clips, label_cfg = _clips(args)
    cfg = _fewshot_cfg(args, shots=tuple(args.shots), draws=args.draws, max_test_clips=args.max_test_clips)
    check_draws(clips, cfg, args.manifest)
    with cli_progress("few-shot evaluation", unit="run") as bar:
        rep = evaluate_fewshot(args.model, clips, cfg, baseline_init=args.baseline_init,
                               methods=tuple(args.methods or METHODS), progress=bar,
                               log=lambda s: print(s, file=sys.stderr))
    rep["labels"] = label_cfg.to_dict()
    js, md = write_report(args.out, rep)
    print(md.read_text("utf-8"))
    print(f"report: {md} and {js}")
    return 0


def trace_csv_text(trace) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("start_s", "end_s", "prob"))
    for s, e, p in zip(trace.start_s, trace.end_s, trace.prob):
        w.writerow((f"{s:.3f}", f"{e:.3f}", "" if p != p else f"{p:.5f}"))
    return buf.getvalue()


def _run_trace(args) -> int:
    videos = collect_videos(args.inputs)
    model = load_classifier(args.model)
    which = (model[1].get("labels") or {}).get("onset", "clinical")  # the onset the model forecasts
    onsets: dict[Path, list[float]] = {}
    for item in args.inputs:
        if Path(item).suffix.lower() in (".csv", ".json"):
            for r in load_manifest(item):
                onsets[r.video.resolve()] = [s.eeg_onset_s if which == "eeg" else s.clinical_onset_s
                                             for s in r.seizures]
    threshold = args.threshold if args.threshold is not None else float(model[1].get("threshold", 0.5))
    out = Path(args.out)
    failed = []
    for v in videos:
        try:
            with cli_progress(f"forecast {v.name}", unit="win") as bar:
                trace = forecast_trace(v, args.model, args.stride_s, args.clip_s, progress=bar, device=args.device,
                                       model=model)
            atomic_write_text(out / f"{v.stem}.forecast.csv", trace_csv_text(trace))
            alarms = forecast_alarms(trace, threshold, onsets.get(v.resolve(), []))
            atomic_write_text(out / f"{v.stem}.alarms.csv", "time_s,lead_time_s\n" + "".join(
                f"{t:.3f},{'' if lead is None else f'{lead:.3f}'}\n" for t, lead in alarms))
            note = ""
            if args.results:
                rp = result_path_for(v, args.results)
                if rp.is_file():
                    res = AnalysisResult.load(rp)
                    add_forecast_to_result(res, trace)
                    res.save(rp)
                    note = f", added to {rp}"
            print(f"{v}: {len(trace)} windows, max P {float(max(trace.prob, default=float('nan'))):.3f}, "
                  f"{len(alarms)} alarms{note}")
        except SemioscopeError as exc:
            failed.append(f"{v}: {exc}")
            print(f"FAILED {v}: {exc}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} of {len(videos)} videos failed:\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    return 0


def run(args) -> int:
    step = getattr(args, "forecast_command", None)
    if step is None:
        print("usage: semioscope forecast {pretrain,finetune,evaluate,trace} ... (see --help)", file=sys.stderr)
        return 2
    run_step = {"pretrain": _run_pretrain, "finetune": _run_finetune, "evaluate": _run_evaluate,
                "trace": _run_trace}[step]
    with torch_threads(getattr(args, "threads", 0) or 0):  # the process-wide setting comes back afterwards
        return run_step(args)
