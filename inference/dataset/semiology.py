"""Seizure semiology in controlled vocabulary: the ILAE 2017 seizure types (with the 2025 update's
wording where it differs) at the top, and below them an ordered sequence of signs from the
Blume glossary, each with its time, body part and laterality.

A seizure's ``ilae_type`` is one key of ``ILAE_TYPES`` ("" = not classified yet); focal types
take an ``awareness`` (ILAE 2025: consciousness) of ``aware``, ``impaired`` or ``unknown``.
``coarse_type`` maps a type to the detector's training classes (focal / fbtc / unknown / none).
``SemiologySign`` is one sign; ``signs_to_text``/``signs_from_text`` write them in a CSV cell.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

# key -> (group, label). Groups: focal motor, focal non-motor, focal, generalized motor,
# generalized non-motor (absence), unknown, other.
ILAE_TYPES: dict[str, tuple[str, str]] = {
    "focal_motor_automatisms": ("focal motor", "Focal automatisms"),
    "focal_motor_atonic": ("focal motor", "Focal atonic"),
    "focal_motor_clonic": ("focal motor", "Focal clonic"),
    "focal_motor_spasms": ("focal motor", "Focal epileptic spasms"),
    "focal_motor_hyperkinetic": ("focal motor", "Focal hyperkinetic"),
    "focal_motor_myoclonic": ("focal motor", "Focal myoclonic"),
    "focal_motor_tonic": ("focal motor", "Focal tonic"),
    "focal_motor_negative_myoclonus": ("focal motor", "Focal epileptic negative myoclonus (ILAE 2025)"),
    "focal_nonmotor_autonomic": ("focal non-motor", "Focal autonomic"),
    "focal_nonmotor_behaviour_arrest": ("focal non-motor", "Focal behaviour arrest"),
    "focal_nonmotor_cognitive": ("focal non-motor", "Focal cognitive"),
    "focal_nonmotor_emotional": ("focal non-motor", "Focal emotional"),
    "focal_nonmotor_sensory": ("focal non-motor", "Focal sensory"),
    "focal_unspecified": ("focal", "Focal, onset type not specified"),
    "focal_to_bilateral_tonic_clonic": ("focal", "Focal to bilateral tonic-clonic"),
    "generalized_motor_tonic_clonic": ("generalized motor", "Generalized tonic-clonic"),
    "generalized_motor_clonic": ("generalized motor", "Generalized clonic"),
    "generalized_motor_tonic": ("generalized motor", "Generalized tonic"),
    "generalized_motor_myoclonic": ("generalized motor", "Generalized myoclonic"),
    "generalized_motor_myoclonic_tonic_clonic": ("generalized motor", "Generalized myoclonic-tonic-clonic"),
    "generalized_motor_myoclonic_atonic": ("generalized motor", "Generalized myoclonic-atonic"),
    "generalized_motor_atonic": ("generalized motor", "Generalized atonic"),
    "generalized_motor_spasms": ("generalized motor", "Generalized epileptic spasms"),
    "absence_typical": ("generalized non-motor", "Typical absence"),
    "absence_atypical": ("generalized non-motor", "Atypical absence"),
    "absence_myoclonic": ("generalized non-motor", "Myoclonic absence"),
    "absence_eyelid_myoclonia": ("generalized non-motor", "Absence with eyelid myoclonia"),
    "unknown_motor_tonic_clonic": ("unknown", "Unknown onset tonic-clonic"),
    "unknown_motor_spasms": ("unknown", "Unknown onset epileptic spasms"),
    "unknown_nonmotor_behaviour_arrest": ("unknown", "Unknown onset behaviour arrest"),
    "unclassified": ("unknown", "Unclassified"),
    "non_epileptic": ("other", "Non-epileptic event"),
}
AWARENESS = ("aware", "impaired", "unknown")
AWARENESS_LABELS = {"aware": "aware (consciousness preserved)", "impaired": "impaired awareness",
                    "unknown": "awareness unknown"}

# Blume et al. 2001 glossary terms (and the ILAE 2025 additions a review tool needs), in groups.
SIGNS: dict[str, tuple[str, str]] = {
    "tonic": ("motor", "tonic"),
    "clonic": ("motor", "clonic"),
    "myoclonic": ("motor", "myoclonic"),
    "atonic": ("motor", "atonic"),
    "tonic_clonic": ("motor", "tonic-clonic"),
    "epileptic_spasm": ("motor", "epileptic spasm"),
    "negative_myoclonus": ("motor", "epileptic negative myoclonus"),
    "versive": ("motor", "versive (head or eye version)"),
    "dystonic": ("motor", "dystonic posturing"),
    "figure_of_4": ("motor", "figure-of-4"),
    "fencing": ("motor", "fencing posture"),
    "hyperkinetic": ("motor", "hyperkinetic"),
    "automatism_oroalimentary": ("automatism", "oroalimentary automatisms"),
    "automatism_manual": ("automatism", "manual automatisms"),
    "automatism_pedal": ("automatism", "pedal automatisms"),
    "automatism_gestural": ("automatism", "gestural automatisms"),
    "automatism_vocal": ("automatism", "vocal automatisms"),
    "eye_deviation": ("motor", "eye deviation"),
    "nystagmus": ("motor", "ictal nystagmus"),
    "grimace": ("motor", "ictal grimace"),
    "vocalisation": ("speech", "vocalisation / ictal cry"),
    "speech_arrest": ("speech", "speech arrest"),
    "behaviour_arrest": ("non-motor", "behaviour arrest"),
    "staring": ("non-motor", "staring / unresponsive"),
    "autonomic": ("non-motor", "autonomic sign (flushing, pallor, tachycardia)"),
    "aura": ("non-motor", "aura reported"),
    "postictal_paresis": ("postictal", "postictal (Todd's) paresis"),
    "postictal_nose_wiping": ("postictal", "postictal nose wiping"),
    "postictal_confusion": ("postictal", "postictal confusion"),
    "postictal_aphasia": ("postictal", "postictal aphasia"),
}
BODY_PARTS = ("whole body", "face", "eyes", "mouth", "head", "neck", "arm", "hand", "trunk", "leg", "foot", "")
LATERALITY = ("left", "right", "bilateral", "bilateral asymmetric", "axial", "")


def coarse_type(ilae_type: str) -> Optional[str]:
    """The detector's training class for an ILAE type (focal / fbtc / unknown / none); None for ""."""
    if not ilae_type:
        return None
    if ilae_type == "focal_to_bilateral_tonic_clonic":
        return "fbtc"
    if ilae_type == "non_epileptic":
        return "none"
    return "focal" if ilae_type.startswith("focal") else "unknown"


def ilae_label(ilae_type: str, awareness: str = "") -> str:
    """Readable name: ``Focal clonic, impaired awareness``; "" when unclassified."""
    if not ilae_type:
        return ""
    label = ILAE_TYPES[ilae_type][1]
    focal = ilae_type.startswith("focal") and ilae_type != "focal_to_bilateral_tonic_clonic"
    return f"{label}, {AWARENESS_LABELS[awareness]}" if focal and awareness else label


def check_ilae_type(value: Any) -> str:
    text = str(value or "").strip()
    if text and text not in ILAE_TYPES:
        raise ValueError(f"unknown ILAE seizure type {text!r}")
    return text


def check_awareness(value: Any) -> str:
    text = str(value or "").strip()
    if text and text not in AWARENESS:
        raise ValueError(f"unknown awareness {text!r} (expected one of {', '.join(AWARENESS)})")
    return text


@dataclass(frozen=True)
class SemiologySign:
    """One sign: ``term`` (a key of SIGNS) at ``time_s`` (seconds from the video's start), with
    ``body_part`` and ``laterality`` ("" = not said). ``id`` tells signs of one seizure apart."""

    id: str
    term: str
    time_s: float
    body_part: str = ""
    laterality: str = ""

    def __post_init__(self):
        if self.term not in SIGNS:
            raise ValueError(f"unknown semiology sign {self.term!r}")
        if self.body_part not in BODY_PARTS:
            raise ValueError(f"unknown body part {self.body_part!r}")
        if self.laterality not in LATERALITY:
            raise ValueError(f"unknown laterality {self.laterality!r}")
        if not self.time_s >= 0:
            raise ValueError(f"sign time must be a non-negative number of seconds, got {self.time_s!r}")

    @property
    def label(self) -> str:
        where = " ".join(p for p in (self.laterality, self.body_part) if p)
        return f"{SIGNS[self.term][1]}" + (f" ({where})" if where else "")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "term": self.term, "time_s": self.time_s, "body_part": self.body_part,
                "laterality": self.laterality}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SemiologySign":
        return cls(str(d.get("id", "")), str(d["term"]), float(d["time_s"]), str(d.get("body_part", "")),
                   str(d.get("laterality", "")))


def ordered(signs: Iterable[SemiologySign]) -> tuple[SemiologySign, ...]:
    """Signs in chronological order (the sequence is what the 2025 update asks for)."""
    return tuple(sorted(signs, key=lambda s: (s.time_s, s.id)))


def signs_to_text(signs: Iterable[SemiologySign]) -> str:
    """``72.400 clonic arm left; 80.000 versive head right`` (a CSV cell; ids are not kept)."""
    out = []
    for s in ordered(signs):
        parts = [f"{s.time_s:.3f}", s.term, s.body_part.replace(" ", "_") or "-", s.laterality.replace(" ", "_") or "-"]
        out.append(" ".join(parts))
    return "; ".join(out)


def signs_from_text(text: str) -> tuple[SemiologySign, ...]:
    """The inverse of ``signs_to_text`` (ValueError naming the bad entry)."""
    signs = []
    for k, entry in enumerate(p.strip() for p in str(text or "").split(";")):
        if not entry:
            continue
        parts = entry.split()
        if len(parts) != 4:
            raise ValueError(f"semiology entry {entry!r}: expected 'TIME TERM BODY_PART LATERALITY'")
        body, side = (p.replace("_", " ") if p != "-" else "" for p in parts[2:])
        try:
            signs.append(SemiologySign(f"g{k + 1}", parts[1], float(parts[0]), body, side))
        except ValueError as exc:
            raise ValueError(f"semiology entry {entry!r}: {exc}") from None
    return ordered(signs)


__all__ = ["AWARENESS", "AWARENESS_LABELS", "BODY_PARTS", "ILAE_TYPES", "LATERALITY", "SIGNS", "SemiologySign",
           "check_awareness", "check_ilae_type", "coarse_type", "ilae_label", "ordered", "signs_from_text",
           "signs_to_text"]
