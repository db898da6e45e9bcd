"""The indexer: the chain's events in the database, and the reads the gateway serves from them."""

from credit.fold import ResidentCredit, RuleVersion, Schedule, StoredEvent
from credit.indexer.indexer import Indexer
from credit.indexer.queries import IndexReader

__all__ = ["IndexReader", "Indexer", "ResidentCredit", "RuleVersion", "Schedule", "StoredEvent"]
