"""Device choice: bf16 autocast only where the GPU supports it, never float16 (no GradScaler is used)."""
from __future__ import annotations

import pytest
import torch

from inference.core.device import choose_device
from inference.core.errors import SemioscopeError


def test_cpu_has_no_autocast():
    d = choose_device("cpu")
    assert (d.name, d.autocast_dtype, d.is_cuda) == ("cpu", None, False)


@pytest.mark.parametrize("bf16,expected", [(True, "bfloat16"), (False, None)])
def test_cuda_autocast_only_with_bf16(monkeypatch, bf16, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    d = choose_device("auto")
    assert d.name == "cuda" and d.autocast_dtype == expected


def test_missing_cuda_and_unknown_device_are_errors(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SemioscopeError, match="CUDA is not available"):
        choose_device("cuda")
    with pytest.raises(SemioscopeError, match="unknown device"):
        choose_device("tpu")


def test_inference_mode_restores_training_mode_after_a_cancel():
    import torch

    from inference.core.device import DeviceChoice, inference_mode
    from inference.core.errors import Cancelled

    model = torch.nn.Linear(2, 1)
    model.train()
    with pytest.raises(Cancelled):
        with inference_mode(model, DeviceChoice("cpu", None)):
            assert not model.training and not torch.is_grad_enabled()
            raise Cancelled()
    assert model.training and torch.is_grad_enabled()
