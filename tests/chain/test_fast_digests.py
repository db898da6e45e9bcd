"""The chain layer's direct EIP-712 hashing and coincurve recovery equal eth-account's exactly.

``claim_digest`` / ``report_digest`` / ``confirmation_digest`` hash ABI-encoded structs with
keccak; :func:`credit.chain.eip712.digest` runs eth-account's generic typed-data encoder over the
dictionaries a wallet signs (``eth_signTypedData_v4``). Recovery must name the same signer as
eth-account and refuse what OpenZeppelin's ``ECDSA.recover`` refuses.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.chain.eip712 import (
    CompactSignature,
    Domain,
    claim_digest,
    claim_message,
    confirmation_digest,
    confirmation_message,
    digest,
    domain_separator,
    report_digest,
    sign_digest,
    typed_data,
)
from credit.chain.recover import HALF_ORDER, recover_address, recover_digest
from credit.chain.signing import Claim, Report, endorsement_digest

addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
words = st.binary(min_size=32, max_size=32)
uint16 = st.integers(0, 2**16 - 1)
uint48 = st.integers(0, 2**48 - 1)
domains = st.builds(Domain, st.integers(1, 2**64), addresses)


@settings(max_examples=60, deadline=None)
@given(domains, addresses, uint16, uint16, uint48, words, st.integers(0, 2**32 - 1), uint48)
def test_claim_digest_equals_eth_accounts_typed_data(
    domain: Domain,
    resident: str,
    category: int,
    units: int,
    occurred_at: int,
    evidence: bytes,
    nonce: int,
    deadline: int,
) -> None:
    reference = digest(
        domain,
        "Claim",
        claim_message((resident, category, units, occurred_at, evidence, nonce, deadline)),
    )
    fast = claim_digest(domain, (resident, category, units, occurred_at, evidence, nonce, deadline))
    assert fast == reference
    assert (
        Claim(resident, category, units, occurred_at, nonce, evidence, deadline).record_id(domain)
        == reference
    )


@settings(max_examples=40, deadline=None)
@given(domains, addresses, addresses, uint16, uint16, uint48, words, uint48)
def test_report_digest_equals_eth_accounts_typed_data(
    domain: Domain,
    reporter: str,
    resident: str,
    category: int,
    units: int,
    occurred_at: int,
    evidence: bytes,
    deadline: int,
) -> None:
    report = Report(
        resident, category, units, occurred_at, 7, evidence, deadline, reporter=reporter
    )
    reference = digest(domain, "Report", report.message())
    assert report.record_id(domain) == reference
    assert (
        report_digest(
            domain, reporter, (resident, category, units, occurred_at, evidence, 7, deadline)
        )
        == reference
    )


@settings(max_examples=40, deadline=None)
@given(domains, st.lists(words, min_size=0, max_size=40), st.integers(0, 255), uint48)
def test_confirmation_digest_equals_eth_accounts_typed_data(
    domain: Domain, records: list[bytes], kind: int, deadline: int
) -> None:
    reference = digest(domain, "Confirmation", confirmation_message(records, kind, deadline))
    assert confirmation_digest(domain, records, kind, deadline) == reference
    assert endorsement_digest(domain, records, kind, deadline) == reference


def test_domain_separator_equals_eth_accounts() -> None:
    domain = Domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    message = confirmation_message([], 0, 0)
    signable = encode_typed_data(full_message=typed_data(domain, "Confirmation", message))
    assert domain_separator(domain) == signable.header


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("evidence", b"\x00" * 31, id="short-evidence"),
        pytest.param("resident", "0x1234", id="short-address"),
    ],
)
def test_malformed_values_are_refused_not_hashed(field: str, value: object) -> None:
    args: dict[str, object] = {
        "resident": "0x" + "12" * 20,
        "category": 1,
        "units": 1,
        "occurred_at": 1,
        "evidence": bytes(32),
        "nonce": 0,
        "deadline": 1,
    }
    args[field] = value
    with pytest.raises(ValueError):
        claim_digest(Domain(1, "0x" + "00" * 20), tuple(args.values()))  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 2**255).map(lambda k: k.to_bytes(32, "big")), words)
def test_recovery_names_the_signer_eth_account_names(key: bytes, message_hash: bytes) -> None:
    sig = sign_digest(key, message_hash)
    expected = Account._recover_hash(message_hash, vrs=_vrs(sig))
    assert expected == Account.from_key(key).address
    assert recover_digest(message_hash, sig) == expected
    assert recover_address(message_hash, sig) == expected.lower()


def test_recovery_refuses_what_the_contract_refuses() -> None:
    key, message_hash = (0xC0FFEE).to_bytes(32, "big"), bytes(range(32))
    sig = sign_digest(key, message_hash)
    parity = sig.vs[0] >> 7
    high_s = ((HALF_ORDER + 1) | (parity << 255)).to_bytes(32, "big")
    zero_s = (parity << 255).to_bytes(32, "big")
    for bad in (
        CompactSignature(sig.r, high_s),  # malleable upper-half s (EIP-2)
        CompactSignature(sig.r, zero_s),
        CompactSignature(b"\x00" * 32, sig.vs),  # r = 0
        CompactSignature(b"\xff" * 32, sig.vs),  # r beyond the curve order
    ):
        assert recover_address(message_hash, bad) is None
        assert recover_digest(message_hash, bad) is None
    assert recover_address(b"\x01" * 32, sig) != Account.from_key(key).address.lower()


def _vrs(sig: CompactSignature) -> tuple[int, int, int]:
    vs = int.from_bytes(sig.vs, "big")
    return 27 + (vs >> 255), int.from_bytes(sig.r, "big"), vs & ((1 << 255) - 1)
