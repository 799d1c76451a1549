"""Video timing and decoding: the presentation-timestamp index, probing, the reader (random access, sequential, sampled) and the writer.

Layer video of ``inference``; see README "Architecture". Keep this file free of imports so that
importing one module of the package loads nothing else."""
