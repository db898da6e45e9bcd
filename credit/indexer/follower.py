"""Following an indexer that runs in another process.

In the production shape the indexer is a process of its own (``credit index run``) and the API
processes only read. The indexer announces every move of its cursor on the ``credit_index``
channel when it commits (:mod:`credit.store.feed`); each API process's :class:`IndexFollower`
then takes the new position, so that

- every read between two moves skips the cursor query, and the whole-ledger reads keyed by the
  cursor (facts, evaluator kinds, rule versions, everyone's notices) are served from memory, as in
  the process where the indexer runs;
- open notice streams wake when the index moves (the indexer's subscribers are told).

While the feed is not listening, moves could be missed: the follower then unpins the position,
and every read asks the database where the index stands, until the feed listens again.
"""

from __future__ import annotations

from credit.indexer.indexer import INDEX_CHANNEL, Indexer
from credit.store.feed import ChangeFeed


class IndexFollower:
    """Keeps ``indexer``'s pinned position in step with the database, for a process where that
    indexer does not run (see the module's description); a :class:`~credit.store.feed.Follower`
    of ``feed``."""

    def __init__(self, indexer: Indexer, feed: ChangeFeed) -> None:
        self.indexer = indexer
        feed.follow(INDEX_CHANNEL, self)

    def changed(self, payload: str) -> None:
        """The indexer committed its cursor at block ``payload``."""
        self.resync()

    def resync(self) -> None:
        """Take the position; tell the subscribers if the index moved."""
        if self.indexer.refresh():
            self.indexer.notify(0)

    def lost(self) -> None:
        """Moves may be missed from now on: reads ask the database again."""
        self.indexer.unpin()
