"""The paper's Table 1 baselines (``semioscope benchmark``): VSViG on joint patches, R(2+1)D on
whole frames and on their optical flow. ``models``: the networks; ``frames``: the whole-frame
and flow cache the frame baselines read."""
