"""EEG channel names as clinical files spell them, reduced to 10-20 electrode names.

Files say ``EEG Fp1-REF``, ``FP1``, ``Fp1-LE`` or ``EEG T7``; montages need ``Fp1`` and ``T3``.
``electrode_name`` strips the usual decorations and maps the 10-10 names of the temporal and
parietal electrodes (T7/T8/P7/P8) to the classic 10-20 ones (T3/T4/T5/T6) that montages use here.
"""
from __future__ import annotations

import re
from typing import Optional

# The 19 scalp electrodes of the 10-20 system, front to back, left before right.
TEN_TWENTY = ("Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T3", "C3", "Cz", "C4", "T4",
              "T5", "P3", "Pz", "P4", "T6", "O1", "O2")
_CANONICAL = {name.upper(): name for name in TEN_TWENTY}
_ALIASES = {"T7": "T3", "T8": "T4", "P7": "T5", "P8": "T6"}
_PREFIX = re.compile(r"^(EEG|EOG|POL)[\s_:-]+", re.IGNORECASE)
_REFERENCE_SUFFIX = re.compile(r"[\s_-]+(REF|LE|RE|AVG|AV|A1|A2|M1|M2|CZ|LINKED|REFERENCE)$", re.IGNORECASE)

# Physical dimensions to microvolts.
_UNIT_TO_UV = {"uv": 1.0, "µv": 1.0, "μv": 1.0, "microv": 1.0, "mv": 1e3, "v": 1e6, "nv": 1e-3}


def electrode_name(label: str) -> Optional[str]:
    """The 10-20 electrode a channel label names (``'EEG T7-REF'`` -> ``'T3'``), or None."""
    text = _PREFIX.sub("", label.strip())
    text = _REFERENCE_SUFFIX.sub("", text).strip()
    key = text.upper()
    key = _ALIASES.get(key, key)
    return _CANONICAL.get(key)


def microvolts_per_unit(dimension: str) -> Optional[float]:
    """The factor from a channel's physical dimension to µV; None for non-voltage channels."""
    return _UNIT_TO_UV.get(dimension.strip().lower().replace(" ", ""))


__all__ = ["TEN_TWENTY", "electrode_name", "microvolts_per_unit"]
