"""Device choice: CUDA with bf16 autocast where available, otherwise CPU threads. Nothing assumes a GPU."""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Optional

from inference.core.errors import SemioscopeError


@dataclass(frozen=True)
class DeviceChoice:
    name: str  # "cuda", "cuda:1", "cpu"
    autocast_dtype: Optional[str]  # "bfloat16" on CUDA with bf16 support, else None (full fp32)

    @property
    def is_cuda(self) -> bool:
        return self.name.startswith("cuda")

    def torch_device(self):
        import torch  # torch is heavy (seconds to import): loaded only when a model runs

        return torch.device(self.name)

    def autocast(self):
        """Context manager: bf16 autocast on CUDA with bf16 support, otherwise a no-op."""
        import torch  # torch is heavy (seconds to import): loaded only when a model runs

        if self.is_cuda and self.autocast_dtype:
            return torch.autocast("cuda", dtype=getattr(torch, self.autocast_dtype))
        return contextlib.nullcontext()


@contextlib.contextmanager
def inference_mode(model, device: DeviceChoice):
    """Evaluate ``model`` without gradients under the device's autocast, restoring its training
    mode afterwards even when the loop is cancelled or fails (a cancelled encode must not leave a
    model that is being trained stuck in eval mode)."""
    import torch  # torch is heavy (seconds to import): loaded only when a model runs

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), device.autocast():
            yield
    finally:
        model.train(was_training)


def choose_device(requested: Optional[str] = "auto") -> DeviceChoice:
    """``auto`` picks CUDA when present; ``cpu``/``cuda``/``cuda:N`` force a device.

    Raises ``SemioscopeError`` when CUDA is requested but absent.
    """
    import torch  # torch is heavy (seconds to import): loaded only when a model runs

    req = (requested or "auto").lower()
    if req == "auto":
        req = "cuda" if torch.cuda.is_available() else "cpu"
    if req.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SemioscopeError(f"--device {requested}: CUDA is not available on this machine (use --device cpu)")
        # float16 would need a GradScaler for training; without bf16 run in fp32 instead.
        bf16 = torch.cuda.is_bf16_supported()
        return DeviceChoice(req, "bfloat16" if bf16 else None)
    if req != "cpu":
        raise SemioscopeError(f"unknown device {requested!r} (use auto, cpu, cuda or cuda:N)")
    return DeviceChoice("cpu", None)


@contextlib.contextmanager
def torch_threads(n: int):
    """Run the block with ``n`` torch CPU threads (``n <= 0``: leave the setting alone), then give
    the process-wide setting back, even when the block fails or is cancelled."""
    import torch  # heavy: only when a caller really computes

    before = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def model_cpu_threads(device, requested: int = 0, spare_cores: int = 1) -> int:
    """Torch CPU threads for a model on ``device``, for :func:`torch_threads`.

    0 (leave the setting alone) on CUDA, where the GPU does the work; otherwise ``requested``, or
    all usable cores but ``spare_cores`` (at least 1): the spare cores feed the model (decoding,
    pose), and torch threads that oversubscribe the cores spin instead of working.
    """
    if bool(getattr(device, "is_cuda", False)):
        return 0
    return requested or max(1, usable_cores() - spare_cores)
