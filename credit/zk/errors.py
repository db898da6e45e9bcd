"""Errors of private proofs: one branch of the CreditError tree."""

from __future__ import annotations

from credit.errors import CreditError


class ZkError(CreditError):
    """A private proof could not be built, proved or checked."""

    default_message = "the private proof failed; see the message for what to do next"


class TreeError(ZkError, ValueError):
    """A Poseidon tree that cannot be built, or a leaf that is not in it."""


class ProofError(ZkError):
    """The prover or verifier (snarkjs) refused, or is missing."""
