"""Everything in Semioscope that is not GUI. Never imports Qt; runs headless on a server."""
