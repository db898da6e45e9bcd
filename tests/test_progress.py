"""Progress lines for slow steps: the heartbeat of a step that cannot report its own progress."""

from __future__ import annotations

import threading

from credit.progress import ticking


def test_ticking_beats_until_the_step_ends_then_says_how_long() -> None:
    said: list[str] = []
    step_done = threading.Event()
    with ticking(said.append, "compiling", every=0.01):
        while sum(line.startswith("  ... compiling: ") for line in said) < 2:
            step_done.wait(0.01)
    lines = len(said)
    step_done.wait(0.05)
    assert said[-1] == "  compiling: done in 0 s"
    assert len(said) == lines  # no beat after the step ended
