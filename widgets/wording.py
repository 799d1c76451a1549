"""Small wording rules for messages and labels: counts with the right plural, quoted names."""
from __future__ import annotations


def plural(n: int, noun: str, plural_form: str = "") -> str:
    """``plural(1, "event")`` -> ``"1 event"``; ``plural(3, "event")`` -> ``"3 events"``."""
    n = int(n)
    return f"{n} {noun if n == 1 else (plural_form or noun + 's')}"


def named(kind: str, name: object) -> str:
    """``named("model", "model")`` -> ``'model "model"'``: a name in quotes, so a run folder
    called like its kind does not read as a repeated word ("model model")."""
    return f"{kind} \u201c{name}\u201d"
