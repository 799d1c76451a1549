"""Labels and recordings leaving and entering Semioscope: EDF+ annotations, BIDS, the seizure
report, de-identified clips. Works on manifests, result files and plain label data; no Qt."""
