"""The cross-joint attention detector: the model, fine-tuning modes, checkpoints, joint clips and the token cache.

Layer detector of ``inference``; see README "Architecture". Keep this file free of imports so that
importing one module of the package loads nothing else."""
