"""Batch analysis over a Ray cluster: one task per video, a GPU per task where the cluster has them.

Ray is an optional extra (``pip install -e ".[ray]"``). Each task runs the same
:func:`inference.analysis.batch.analyze_file` as a local batch, with the same configuration, so
result files and ``events.csv`` match a local run. The run folder (``run.json`` + weights) travels to
the workers through Ray's object store; the videos must be readable at the same paths on the
workers (shared storage). When a worker cannot see the output folder, it sends the result file
back as bytes and the driver writes it. Nothing goes anywhere but the cluster you name.
"""
from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Optional, Sequence

from inference.analysis.batch import FileOutcome, analyze_file
from inference.analysis.engine import AnalysisEngine
from inference.analysis.settings import EngineConfig
from inference.core.atomic import atomic_write_bytes
from inference.core.errors import SemioscopeError
from inference.core.progress import ProgressFn, cli_progress
from inference.core.run_folder import RUN_JSON, WEIGHTS_FILE, is_run_folder
from inference.detector.checkpoint import load_run, read_run_config
from inference.video.index import probe_durations


def _read_run_folder(run_dir: Path) -> dict[str, bytes]:
    read_run_config(run_dir)  # fail early, on the driver, with a clear message
    return {name: (run_dir / name).read_bytes() for name in (RUN_JSON, WEIGHTS_FILE)}


def _analyze_task(video: str, out_path: str, run_name: str, run_path: str, run_files, config: EngineConfig,
                  reuse: bool) -> tuple[FileOutcome, Optional[bytes]]:
    """Runs on a Ray worker: rebuild the run folder if it is not visible here, analyse one file."""
    with tempfile.TemporaryDirectory(prefix="semioscope-ray-") as tmp:
        run_dir = Path(run_path)
        if not is_run_folder(run_dir):
            run_dir = Path(tmp) / run_name  # same folder name: it is part of the model identity
            run_dir.mkdir()
            for name, data in run_files.items():
                (run_dir / name).write_bytes(data)
        try:
            engine = AnalysisEngine(load_run(run_dir, device=config.device), config)
        except SemioscopeError as exc:
            return FileOutcome(video, None, "failed", str(exc)), None
        out = Path(out_path)
        shared = out.parent.is_dir()
        target = out if shared else Path(tmp) / out.name
        outcome = analyze_file(engine, video, target, reuse=reuse and shared)
        data = None
        if not shared and outcome.out_path:
            data = target.read_bytes()
            outcome = replace(outcome, out_path=str(out))
        return outcome, data


def analyze_with_ray(videos: Sequence[str | Path], out_paths: Sequence[str | Path], run_dir: str | Path,
                     config: EngineConfig = EngineConfig(), address: Optional[str] = None, reuse: bool = True,
                     progress: Optional[ProgressFn] = None) -> list[FileOutcome]:
    """Analyse ``videos`` into ``out_paths`` on Ray, one task per file; outcomes in input order.

    ``address``: a cluster (``ray://host:10001`` or ``host:6379``); None starts a local instance
    (stopped again at the end). Tasks ask for one GPU each when the cluster has GPUs.
    """
    try:
        import ray  # an optional extra: imported only when a batch goes to Ray
    except ImportError:
        raise SemioscopeError('--ray needs Ray: pip install -e ".[ray]" (or pip install "ray[default]")') from None

    run_dir = Path(run_dir)
    run_files = _read_run_folder(run_dir)
    started_here = False
    if not ray.is_initialized():
        try:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(include_dashboard=False, log_to_driver=False)
                started_here = True
        except Exception as exc:
            raise SemioscopeError(f"cannot start/connect to Ray{f' at {address}' if address else ''}: {exc}") from None
    try:
        gpus = float(ray.cluster_resources().get("GPU", 0))
        task = ray.remote(num_cpus=1, num_gpus=1 if gpus >= 1 else 0, max_retries=0)(_analyze_task)
        files_ref = ray.put(run_files)
        probed = probe_durations(videos)
        durations = [round(probed[v], 1) for v in videos]
        refs = [task.remote(str(v), str(o), run_dir.name, str(run_dir.resolve()), files_ref, config, reuse)
                for v, o in zip(videos, out_paths)]
        position = {ref: k for k, ref in enumerate(refs)}
        outcomes: list[Optional[FileOutcome]] = [None] * len(refs)
        total = round(float(sum(durations)), 1)
        done_s = 0.0
        with cli_progress(f"ray: {len(refs)} videos", total=total, unit="video-s") as bar:
            progress = progress or bar
            pending = list(refs)
            try:
                while pending:
                    ready, pending = ray.wait(pending, num_returns=1)
                    for ref in ready:
                        k = position[ref]
                        outcome, data = ray.get(ref)
                        if data is not None:
                            atomic_write_bytes(out_paths[k], data)
                        outcomes[k] = outcome
                        done_s = round(done_s + durations[k], 1)
                        progress(done_s, total, f"{len(refs) - len(pending)}/{len(refs)} files")
            except BaseException:
                for ref in pending:
                    ray.cancel(ref)
                raise
        return [o for o in outcomes if o is not None]
    finally:
        if started_here:
            ray.shutdown()
