"""Recordings and their labels: manifests and their checks, the WU-SAHZU importer, segment labels and subject-wise splits.

Layer dataset of ``inference``; see README "Architecture". Keep this file free of imports so that
importing one module of the package loads nothing else."""
