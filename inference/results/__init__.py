"""The analysis result file and the event rules that turn a probability trace into events.

Layer results of ``inference``; see README "Architecture". Keep this file free of imports so that
importing one module of the package loads nothing else."""
