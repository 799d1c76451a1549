"""Training and evaluating the detector.

Modules, lowest first: ``config`` (TrainConfig), ``data`` (clip cache, window sets), ``prepared``
(split + cached windows of a manifest), ``sampling`` (epoch draws, order, flip augmentation),
``metrics``, ``scoring`` (window sets, recording traces, SzCORE events, event-rule choice),
``train_state`` (the resumable state), ``validation`` (best epoch, threshold and event rules on
validation), ``loop`` (``train_run``), ``evaluation`` (test subjects), ``seeds`` (multi-seed runs).

Layer training of ``inference``; see README "Architecture". Keep this file free of imports so that
importing one module of the package loads nothing else."""
