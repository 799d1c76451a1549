"""HED annotations of seizure labels: the ILAE types and the semiology signs in HED-SCORE tags.

Tags come from the HED-SCORE library schema 2.1.0 (hed-standard/hed-schemas,
``library_schemas/score/hedtsv/HED_score_2.1.0/HED_score_2.1.0_Tag.tsv``, partnered with the
standard schema 8.4.0), prefixed ``sc:``; body parts and sides from the standard schema 8.4.0
(``Upper-extremity``, ``Left``...). Every tag below was checked against those two files by name.
Only exact counterparts are mapped: a term without one (e.g. pedal automatisms, nystagmus,
staring, aura, bilateral or axial laterality) gets no HED rather than a guessed tag.
Dataset-level ``HEDVersion``: ``HED_VERSION``.
"""
from __future__ import annotations

from inference.dataset.semiology import SemiologySign

HED_VERSION = ["8.4.0", "sc:score_2.1.0"]
_SC = "sc:"

# ILAE key -> (onset tag, classifier tag or ""). Focal onsets take the awareness child below.
_FOCAL = "Focal-onset-epileptic-seizure"
_GENERALIZED = "Generalized-onset-epileptic-seizure"
_UNKNOWN = "Unknown-onset-epileptic-seizure"
ILAE_HED: dict[str, tuple[str, str]] = {
    "focal_motor_automatisms": (_FOCAL, "Automatism-seizure"),
    "focal_motor_atonic": (_FOCAL, "Atonic-seizure"),
    "focal_motor_clonic": (_FOCAL, "Clonic-seizure"),
    "focal_motor_spasms": (_FOCAL, "Epileptic-spasm"),
    "focal_motor_hyperkinetic": (_FOCAL, "Hyperkinetic-seizure"),
    "focal_motor_myoclonic": (_FOCAL, "Myoclonic-seizure"),
    "focal_motor_tonic": (_FOCAL, "Tonic-seizure"),
    "focal_motor_negative_myoclonus": (_FOCAL, "Negative-myoclonic-seizure"),
    "focal_nonmotor_autonomic": (_FOCAL, "Autonomic-seizure"),
    "focal_nonmotor_behaviour_arrest": (_FOCAL, "Behavior-arrest-seizure"),
    "focal_nonmotor_cognitive": (_FOCAL, "Cognitive-seizure"),
    "focal_nonmotor_emotional": (_FOCAL, "Emotional-seizure"),
    "focal_nonmotor_sensory": (_FOCAL, "Sensory-seizure"),
    "focal_unspecified": (_FOCAL, ""),
    "focal_to_bilateral_tonic_clonic": ("Focal-to-bilateral-tonic-clonic-focal-onset-epileptic-seizure", ""),
    "generalized_motor_tonic_clonic": (_GENERALIZED, "Tonic-clonic-seizure"),
    "generalized_motor_clonic": (_GENERALIZED, "Clonic-seizure"),
    "generalized_motor_tonic": (_GENERALIZED, "Tonic-seizure"),
    "generalized_motor_myoclonic": (_GENERALIZED, "Myoclonic-seizure"),
    "generalized_motor_myoclonic_tonic_clonic": (_GENERALIZED, "Myoclonic-tonic-clonic-seizure"),
    "generalized_motor_myoclonic_atonic": (_GENERALIZED, "Myoclonic-atonic-seizure"),
    "generalized_motor_atonic": (_GENERALIZED, "Atonic-seizure"),
    "generalized_motor_spasms": (_GENERALIZED, "Epileptic-spasm"),
    "absence_typical": (_GENERALIZED, "Typical-absence-seizure"),
    "absence_atypical": (_GENERALIZED, "Atypical-absence-seizure"),
    "absence_myoclonic": (_GENERALIZED, "Myoclonic-absence-seizure"),
    "absence_eyelid_myoclonia": (_GENERALIZED, "Eyelid-myoclonia-seizure"),
    "unknown_motor_tonic_clonic": (_UNKNOWN, "Tonic-clonic-seizure"),
    "unknown_motor_spasms": (_UNKNOWN, "Epileptic-spasm"),
    "unknown_nonmotor_behaviour_arrest": (_UNKNOWN, "Behavior-arrest-seizure"),
    "unclassified": ("Unclassified-epileptic-seizure", ""),
    # non_epileptic: no counterpart (Seizure-PNES is narrower: psychogenic only)
}
# Children of Focal-onset-epileptic-seizure (HED-SCORE 2.1.0).
FOCAL_AWARENESS_HED = {
    "aware": "Aware-focal-onset-epileptic-seizure",
    "impaired": "Impaired-awareness-focal-onset-epileptic-seizure",
    "unknown": "Awareness-unknown-focal-onset-epileptic-seizure",
}
# Sign key -> HED-SCORE Seizure-semiology / Postictal-semiology tag (whose definitions match the
# Blume glossary's for the term).
SIGN_HED: dict[str, str] = {
    "tonic": "Semiology-tonic",
    "clonic": "Semiology-clonic",
    "myoclonic": "Semiology-myoclonic-jerk",
    "atonic": "Semiology-atonic",
    "tonic_clonic": "Semiology-tonic-clonic",
    "epileptic_spasm": "Semiology-epileptic-spasm",
    "negative_myoclonus": "Semiology-negative-myoclonus",
    "versive": "Semiology-versive",
    "dystonic": "Semiology-dystonic",
    "fencing": "Semiology-postural",  # SCORE: "a posture ... (as in a fencing posture)"
    "hyperkinetic": "Semiology-hypermotor",  # ILAE 2017 renamed hypermotor to hyperkinetic
    "automatism_oroalimentary": "Semiology-oroalimentary",
    "automatism_manual": "Semiology-manual",
    "automatism_gestural": "Semiology-gestural",
    "automatism_vocal": "Semiology-vocalization",  # SCORE's definition is Blume's vocal automatism
    "vocalisation": "Semiology-vocalization",
    "behaviour_arrest": "Semiology-motor-behavioral-arrest",
    "autonomic": "Semiology-autonomic",
    "postictal_paresis": "Postictal-paresis",
    "postictal_nose_wiping": "Postictal-nose-wiping",
    "postictal_aphasia": "Postictal-aphasia-or-dysphasia",
}
# Standard schema 8.4.0 (Anatomical-item/Body-part, Categorical-location-value).
BODY_PART_HED = {"whole body": "Body", "face": "Face", "eyes": "Eye", "mouth": "Mouth", "head": "Head",
                 "neck": "Neck", "arm": "Upper-extremity", "hand": "Hand", "trunk": "Torso",
                 "leg": "Lower-extremity", "foot": "Foot"}
LATERALITY_HED = {"left": "Left", "right": "Right"}


def seizure_hed(ilae_type: str, awareness: str = "") -> str:
    """``sc:Impaired-awareness-focal-onset-epileptic-seizure, sc:Clonic-seizure``; "" when the
    type has no counterpart or is not given."""
    if ilae_type not in ILAE_HED:
        return ""
    onset, classifier = ILAE_HED[ilae_type]
    if onset == _FOCAL and awareness in FOCAL_AWARENESS_HED:
        onset = FOCAL_AWARENESS_HED[awareness]
    return ", ".join(_SC + t for t in (onset, classifier) if t)


def sign_hed(sign: SemiologySign) -> str:
    """``sc:Semiology-clonic, (Upper-extremity, Left)``; "" for a term without a counterpart."""
    tag = SIGN_HED.get(sign.term)
    if not tag:
        return ""
    where = [t for t in (BODY_PART_HED.get(sign.body_part), LATERALITY_HED.get(sign.laterality)) if t]
    return _SC + tag + (f", ({', '.join(where)})" if where else "")


__all__ = ["BODY_PART_HED", "FOCAL_AWARENESS_HED", "HED_VERSION", "ILAE_HED", "LATERALITY_HED", "SIGN_HED",
           "seizure_hed", "sign_hed"]
