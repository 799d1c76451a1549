"""Training and evaluating the detector: training data, the loop, recording scoring and event rules, evaluation, multi-seed runs and metrics.

Layer training of ``inference``; see README "Architecture". Keep this file free of imports so that
importing one module of the package loads nothing else."""
