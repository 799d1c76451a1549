"""What a synthetic EMU dataset looks like: :class:`SynthConfig`."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Optional

from inference.synth.appearance import ROOM_BIAS_CHOICES
from inference.synth.camera import CAMERA_CHOICES


@dataclass(frozen=True)
class SynthConfig:
    """What a synthetic dataset looks like. Durations in seconds; ``size`` is (width, height).

    ``camera``: ``ceiling`` (straight down, the default), ``corner``, ``foot`` (oblique, with
    perspective) or ``mixed`` (one of the three per subject, seeded). ``blanket``: None keeps each
    subject's own blanket as it always was (about 4 in 5 subjects, joints under it not marked
    hidden); a probability 0..1 covers each recording's legs with that chance. The default
    (``ceiling``, no ``blanket``) renders the same bytes as before these options existed; any
    other setting also marks joints hidden by the blanket or the body itself (conf 0).

    ``room_bias`` (background-bias experiment): None keeps each subject's own room; ``train``
    films every recording with a seizure in fixed room A and every seizure-free one in room B,
    ``swapped`` the reverse. Only the room changes (sheet, floor, walls, light, always by day): the
    patient, movements and keypoints are those of the same seed without the option.
    """

    size: tuple[int, int] = (640, 480)
    fps: float = 30.0
    recordings_per_subject: tuple[int, int] = (1, 3)  # inclusive range
    duration_s: tuple[float, float] = (150.0, 300.0)  # per recording, inclusive range
    seizure_probability: float = 0.8  # for recordings after a subject's first (which always has one)
    night_fraction: float = 0.3  # share of subjects filmed in infrared night mode
    staff_probability: float = 0.5  # chance a recording has staff walking through
    prodrome: bool = False  # pre-ictal restlessness growing toward clinical onset (forecasting)
    codec: str = "mpeg4"  # or "libx264"
    face_blur: bool = True
    camera: str = "ceiling"  # ceiling | corner | foot | mixed
    blanket: Optional[float] = None  # chance a recording's legs are under a blanket; None: the subject's own
    eeg: bool = False  # also write an EDF+ EEG (and its clock truth) beside each video
    room_bias: Optional[str] = None  # None | train | swapped: seizure recordings in room A (train) or B

    def __post_init__(self) -> None:
        if self.camera not in CAMERA_CHOICES:
            raise ValueError(f"camera must be one of {', '.join(CAMERA_CHOICES)}, got {self.camera!r}")
        if self.blanket is not None and not 0.0 <= float(self.blanket) <= 1.0:
            raise ValueError(f"blanket must be a probability between 0 and 1, got {self.blanket!r}")
        if self.room_bias is not None and self.room_bias not in ROOM_BIAS_CHOICES:
            raise ValueError(f"room_bias must be one of {', '.join(ROOM_BIAS_CHOICES)} (or None), "
                             f"got {self.room_bias!r}")

    @property
    def legacy_view(self) -> bool:
        """The original rendering (ceiling camera, the subject's own blanket, no occlusion marking)."""
        return self.camera == "ceiling" and self.blanket is None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}
