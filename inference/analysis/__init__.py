"""Analysing videos with a trained run: engine settings, the streaming run (``run`` puts together
``state``, ``resume``, ``producer``, ``consumer`` and ``assembly``), the engine, batches over files and Ray.

Layer analysis of ``inference``; see README "Architecture". Keep this file free of imports so that
importing one module of the package loads nothing else."""
