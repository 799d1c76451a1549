"""Pose: the 14 joints, keypoint tracks, the backend protocol and registry (MediaPipe, keypoint files), the pose cache and track cleaning.

Layer pose of ``inference``; see README "Architecture". Keep this file free of imports so that
importing one module of the package loads nothing else."""
