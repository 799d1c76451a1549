"""Seizure forecasting (paper 004): VideoMAE domain pre-training with tube masking on mixed
unlabelled corpora, few-shot fine-tuning of a linear head, and a forecast trace over a video.

Modules: ``model`` (presets, folders), ``masking`` (tube masks), ``corpora`` (unlabelled clips,
balanced mixing, frame preparation), ``pretrain``, ``labels`` (forecast clips from manifests),
``fewshot`` (N-shot protocol and comparisons), ``report``, ``trace`` (P(onset within H) over a
video, alarms).
"""
