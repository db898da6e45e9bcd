"""The relay's lock within a process (records.WriteTurns): one writer at a time, re-entrant,
and confirmations (``first``) before claims waiting with them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from credit.relay.records import WriteTurns


def _wait_until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_confirmation_goes_before_claims_that_waited_longer() -> None:
    turns, order = WriteTurns(), list[str]()
    release = threading.Event()

    def holder() -> None:
        with turns.turn():
            order.append("holder")
            release.wait(5)

    def writer(name: str, first: bool) -> None:
        with turns.turn(first):
            order.append(name)

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    _wait_until(lambda: order == ["holder"])
    for name in ("claims-1", "claims-2"):  # they queue first
        threads.append(threading.Thread(target=writer, args=(name, False)))
        threads[-1].start()
    time.sleep(0.1)
    threads.append(threading.Thread(target=writer, args=("confirmation", True)))
    threads[-1].start()
    _wait_until(lambda: turns.waiting == (1, 2))
    release.set()
    for t in threads:
        t.join(5)
    assert order[:2] == ["holder", "confirmation"]
    assert sorted(order[2:]) == ["claims-1", "claims-2"]


def test_one_writer_at_a_time_and_re_entrant() -> None:
    turns, inside, most = WriteTurns(), [0], [0]
    lock = threading.Lock()

    def work(first: bool) -> None:
        for _ in range(200):
            with turns.turn(first), turns.turn():  # nested in one thread: no deadlock
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0)
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=work, args=(i % 2 == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert most[0] == 1
