"""Progress lines for steps that take more than a few seconds (compiling, installing, seeding).

A step reports through a ``Progress`` callable so library code never decides where text goes:
the CLI and ``python -m`` entry points pass :func:`say_on_stderr`, tests pass None or a list's
``append``. :func:`ticking` adds a heartbeat for steps that cannot report their own progress
(one solc-js run compiles every contract at once and says nothing until it ends).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Progress = Callable[[str], None]

HEARTBEAT_SECONDS = 15.0


def say_on_stderr(message: str) -> None:
    """Print one progress line on stderr (stdout stays for the command's own output)."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def ticking(say: Progress, what: str, every: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """Say ``what`` and the elapsed time every ``every`` seconds until the block ends, then
    how long it took."""
    started = time.monotonic()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every):
            say(f"  ... {what}: {elapsed(started)}")

    thread = threading.Thread(target=beat, name=f"progress: {what}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
    say(f"  {what}: done in {elapsed(started)}")


def elapsed(started: float) -> str:
    """``time.monotonic() - started`` as ``42 s`` or ``3 min 05 s``."""
    seconds = round(time.monotonic() - started)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"
