"""Relaying residents' signed claims and evaluators' confirmations to the ledger in batches."""
