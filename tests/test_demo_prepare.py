"""`semioscope demo` prepares its folder once at a time: a second preparer waits for the first
instead of deleting the model it is writing (seen when the demo bench ran beside a first demo)."""
from __future__ import annotations

import threading
import time

import app.commands.demo as demo


def test_two_preparers_of_one_folder_take_turns(tmp_path, monkeypatch):
    log: list[tuple[str, str, float]] = []

    def step(name):
        def fn(root, *a):
            who = threading.current_thread().name
            log.append((who, name + " start", time.monotonic()))
            time.sleep(0.3)
            log.append((who, name + " end", time.monotonic()))
            return name
        return fn

    monkeypatch.setattr(demo, "prepare_recording", step("recording"))
    monkeypatch.setattr(demo, "prepare_dataset", step("dataset"))
    monkeypatch.setattr(demo, "prepare_model", step("model"))
    threads = [threading.Thread(target=demo.prepare, args=(tmp_path,), name=n) for n in ("first", "second")]
    threads[0].start()
    time.sleep(0.1)
    threads[1].start()
    for t in threads:
        t.join(10)
    order = [(who, what) for who, what, _ in log]
    first_done = order.index(("first", "model end"))
    assert order.index(("second", "recording start")) > first_done  # the second waited for the whole first
    assert len(order) == 12
