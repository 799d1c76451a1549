"""``semioscope monitor-ack OUT --by NAME``: acknowledge live alarms, and put acknowledgements into
the night's annotations so that review shows who acknowledged what, and when."""
from __future__ import annotations

import argparse
from pathlib import Path

from app.annotations import AnnotationStore, annotations_path_for, event_key
from inference.core.errors import InputFileError, SemioscopeError
from inference.live.alarms import ACK_STATUSES, Alarm, append_ack, apply_ack, read_acks
from inference.live.night import NIGHT_RESULT, NIGHT_VIDEO
from inference.results.result_file import AnalysisResult

NAME = "monitor-ack"
HELP = "acknowledge the alarms of a running (or finished) `semioscope monitor`"
ORDER = 46
DESCRIPTION = """\
Acknowledge alarms raised by `semioscope monitor ... --out OUT`. An alarm stays raised (and is
listed as unacknowledged in the monitor's status lines) until someone acknowledges it. The
acknowledgement is appended to OUT/acks.jsonl, which the running monitor reads about once a
second; it prints it and logs it in OUT/events.csv.

When the night is over (OUT/night.result.npz exists), each acknowledged alarm is also written to
the night's annotations (OUT/night.mp4.semioscope-annotations.json) as a review of its event:
author = who acknowledged, status = the verdict (confirmed unless --reject), with the alarm
number and the acknowledgement time (acknowledged_utc) in the edit's data. `semioscope review
OUT/night.mp4` then shows the events as reviewed. The monitor does the same when it ends.

examples:
  semioscope monitor-ack night1 --by "nurse A"              # every alarm raised now
  semioscope monitor-ack night1 --by "Dr B" --alarm 3 --reject
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="OUT", help="the monitor's output folder (--out)")
    p.add_argument("--by", required=True, metavar="NAME", help="who acknowledges")
    p.add_argument("--alarm", type=int, metavar="N", help="the alarm number (default: every raised alarm)")
    p.add_argument("--reject", action="store_true", help="a false alarm (the event's review says rejected)")


def run(args) -> int:
    out = Path(args.out)
    if not out.is_dir():
        raise InputFileError(out, "not a monitor output folder")
    try:
        rec = append_ack(out, args.by, args.alarm, "rejected" if args.reject else "confirmed")
    except ValueError as exc:
        raise SemioscopeError(str(exc)) from None
    which = f"alarm #{args.alarm}" if args.alarm is not None else "every raised alarm"
    print(f"acknowledged {which} as {rec['status']} by {rec['by']} at {rec['time_utc']} -> {out / 'acks.jsonl'}")
    if (out / NIGHT_RESULT).exists():
        n = sync_acknowledgements(out)
        print(f"{n} new review(s) written to {annotations_path_for(out / NIGHT_VIDEO)}")
    return 0


def sync_acknowledgements(out: Path) -> int:
    """Write every acknowledged alarm of ``OUT/night.result.npz`` (acknowledged during the night
    or in ``acks.jsonl`` since) to the night's annotation store as a ``review_event`` edit,
    once. Returns how many reviews were added."""
    res = AnalysisResult.load(out / NIGHT_RESULT, keypoints=False)
    alarms = [Alarm(**d) for d in res.notes.get("alarms", [])]
    for rec in read_acks(out)[0]:
        apply_ack(alarms, rec)
    acked = [a for a in alarms if a.acked_by]
    if not acked:
        return 0
    store = AnnotationStore.open(annotations_path_for(out / NIGHT_VIDEO), "semioscope monitor",
                                 video={"path": NIGHT_VIDEO, "fingerprint": res.fingerprint})
    done = {(e.data.get("alarm"), e.data.get("acknowledged_utc")) for e in store.edits if e.op == "review_event"}
    threshold = (res.config.get("events") or {}).get("threshold")
    added = 0
    for a in acked:
        if (a.id, a.acked_utc) in done:
            continue
        data = {"key": event_key(a.start_s, a.end_s), "start_s": a.start_s, "end_s": a.end_s,
                "peak_prob": a.peak_prob, "status": a.status if a.status in ACK_STATUSES else "confirmed",
                "alarm": a.id, "acknowledged_utc": a.acked_utc, "raised_utc": a.raised_utc}
        if threshold is not None:
            data["threshold"] = float(threshold)
        store.apply("review_event", data, author=a.acked_by)
        added += 1
    if store.conflict is not None:
        print(store.conflict.message())
    return added
