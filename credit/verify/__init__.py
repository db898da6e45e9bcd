"""Ledger verification by residents' computers: epoch state, its Merkle root, the worker.

``state`` and ``merkle`` are pure; ``replay`` reads the chain through ``credit.chain``; ``worker``
runs commit-reveal for one resident. See ``contracts/EpochVerifier.sol``.
"""
