"""Synthetic EMU recordings and animal clip corpora (see ``generator`` and ``animal``)."""
from inference.synth.animal import generate_animal_corpus
from inference.synth.generator import (
    SynthConfig,
    generate_dataset,
    generate_recording,
    plan_dataset,
    subject_seizure_type,
)

__all__ = ["SynthConfig", "generate_dataset", "generate_recording", "generate_animal_corpus", "plan_dataset",
           "subject_seizure_type"]
