"""EEG beside the video: EDF/EDF+/BDF files read lazily by pages, montages, display filters, and
the alignment of the EEG amplifier's clock with the camera's (offset and linear drift)."""
