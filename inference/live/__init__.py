"""Live monitoring of a camera or stream (``semioscope monitor``): see ``inference.live.monitor``.

- ``source``: reading a V4L2 camera, a network stream or a growing file, with reconnection.
- ``recorder``: MPEG-TS segments on the night's clock, and their remux into ``night.mp4``.
- ``windows``: 6 fps samples -> keypoints -> cleaned joint crops -> the detector's windows.
- ``alarms``: the run's event rules applied causally, the alarm log, acknowledgements.
- ``night``: the growing trace and the night's result file.
- ``observer``: what a watching window hears (picture, pose, windows, alarms).
- ``sender``: a file served as a real-time MPEG-TS stream (tests, benchmark, demos).
"""
