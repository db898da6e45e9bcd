"""The checks every signed payload goes through (its signature, its signer, its deadline), and
what to tell a client whose signature does not recover to the account it names.

The usual causes are a wrong domain (another chain id or contract than the ledger's), a field
signed under another value or name (``occurredAt`` is sent as ``occurred_at``), or another key.
The answer names the published domain, so that the client can compare it with what it signed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_utils import to_checksum_address

from credit.chain.eip712 import CompactSignature, Domain
from credit.chain.recover import SignatureFormatError, recover_address
from credit.errors import Invalid
from credit.relay.models import _Signed

Refuse = Callable[[str, str, Any], Exception]  # (code, message, details) -> the error to raise


def signature_of(
    payload: _Signed, what: str = "the message", refuse: Refuse = Invalid
) -> CompactSignature:
    """The payload's signature in EIP-2098 form, or ``refuse("invalid_signature", …)`` if the
    contract would refuse it whatever it signs."""
    try:
        return payload.compact()
    except SignatureFormatError as exc:
        raise refuse("invalid_signature", f"{exc}: sign {what} again", None) from exc


def check_deadline(
    deadline: int, now: int, margin: int, refuse: Refuse = Invalid, then: str = "relay it"
) -> None:
    """Refuse a deadline already past (``expired``) or closer than ``margin`` seconds to chain
    time ``now`` (``deadline_too_close``: too little time to ``then``)."""
    if deadline < now:
        raise refuse(
            "expired", f"the signature expired at {deadline} (chain time {now}): sign again", None
        )
    if deadline < now + margin:
        raise refuse(
            "deadline_too_close",
            f"the deadline leaves less than {margin} s to {then}: sign with a later deadline",
            {"deadline": deadline, "now": now, "margin": margin},
        )


def check_deadline_within(
    deadline: int, now: int, max_seconds: int, what: str, refuse: Refuse = Invalid
) -> None:
    """Refuse (``deadline_too_far``) a ``what`` whose deadline is more than ``max_seconds``
    after chain time ``now``."""
    if deadline > now + max_seconds:
        raise refuse(
            "deadline_too_far",
            f"the deadline is more than {max_seconds} s after chain time {now}: sign with "
            f"an earlier deadline (a {what} nobody confirms by then is rejected as expired)",
            {"deadline": deadline, "now": now, "max_seconds": max_seconds},
        )


def require_signer(
    domain: Domain,
    digest: bytes,
    sig: CompactSignature,
    expected: str,
    who: str,
    primary_type: str,
    refuse: Refuse = Invalid,
) -> None:
    """Refuse (``invalid_signature``, with :func:`not_the_signer`'s hint) unless ``sig`` over
    ``digest`` recovers to ``expected`` (lower-case)."""
    signer = recover_address(digest, sig)
    if signer != expected:
        message, details = not_the_signer(who, primary_type, domain, signer)
        raise refuse("invalid_signature", message, details)


def not_the_signer(
    who: str, primary_type: str, domain: Domain, recovered: str | None
) -> tuple[str, dict[str, Any]]:
    """The message and details of an ``invalid_signature`` refusal of a ``primary_type``."""
    published = domain.as_dict()
    message = (
        f"the signature does not recover to the {who}: sign the {primary_type} with the {who}'s "
        f"key under the domain GET /v1/config publishes (eip712.domain: chainId "
        f"{published['chainId']}, verifyingContract {published['verifyingContract']}) with "
        f"eip712.messages.{primary_type}.types, over exactly the values sent in this body"
    )
    details = {
        "recovered": None if recovered is None else to_checksum_address(recovered),
        "domain": published,
        "primaryType": primary_type,
    }
    return message, details
