"""The bottom layer: errors, atomic writes, fingerprints, progress, versioned JSON, device, typed configuration, the cache root and the version. Imports no other layer.

Layer core of ``inference``; see README "Architecture". Keep this file free of imports so that
importing one module of the package loads nothing else."""
