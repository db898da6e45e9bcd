"""The relay's word-by-word ``relayClaims`` calldata is eth_abi's, and refuses what eth_abi
refuses (and a short bytes32, which eth_abi would pad)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.chain.rawtx import RELAY_CLAIMS_TYPES, encode_relay_claims


def _uint(bits: int) -> st.SearchStrategy[int]:
    return st.integers(0, 2**bits - 1)


B32 = st.binary(min_size=32, max_size=32)
ADDRESS = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
CLAIM = st.tuples(ADDRESS, _uint(16), _uint(16), _uint(48), _uint(48), _uint(32), B32, B32, B32)
ENDORSEMENT = st.tuples(_uint(8), _uint(48), _uint(256), B32, B32)


@settings(max_examples=200, deadline=None)
@given(st.lists(CLAIM, max_size=6), st.lists(ENDORSEMENT, max_size=4))
def test_the_calldata_is_eth_abis(claims: list[Any], endorsements: list[Any]) -> None:
    expected = abi_encode(list(RELAY_CLAIMS_TYPES), [claims, endorsements])
    assert encode_relay_claims(claims, endorsements) == expected


GOOD_CLAIM = ("0x" + "ab" * 20, 1, 2, 3, 4, 5, bytes(32), bytes(32), bytes(32))
GOOD_ENDORSEMENT = (0, 1, 1, bytes(32), bytes(32))


@pytest.mark.parametrize(
    ("claim", "endorsement"),
    [
        ((*GOOD_CLAIM[:1], 2**16, *GOOD_CLAIM[2:]), GOOD_ENDORSEMENT),
        ((*GOOD_CLAIM[:5], 2**32, *GOOD_CLAIM[6:]), GOOD_ENDORSEMENT),
        ((*GOOD_CLAIM[:3], -1, *GOOD_CLAIM[4:]), GOOD_ENDORSEMENT),
        (("0x" + "ab" * 19, *GOOD_CLAIM[1:]), GOOD_ENDORSEMENT),
        (GOOD_CLAIM, (256, *GOOD_ENDORSEMENT[1:])),
        (GOOD_CLAIM, (*GOOD_ENDORSEMENT[:2], 2**256, *GOOD_ENDORSEMENT[3:])),
    ],
)
def test_a_value_outside_its_type_is_refused(claim: Any, endorsement: Any) -> None:
    with pytest.raises(Exception):  # noqa: B017  (eth_abi's own error types vary)
        abi_encode(list(RELAY_CLAIMS_TYPES), [[claim], [endorsement]])
    with pytest.raises(ValueError):
        encode_relay_claims([claim], [endorsement])


def test_a_short_bytes32_is_refused_not_padded() -> None:
    """eth_abi pads 31 bytes to a bytes32; a stored signature part is never short."""
    claim = (*GOOD_CLAIM[:6], bytes(31), *GOOD_CLAIM[7:])
    with pytest.raises(ValueError):
        encode_relay_claims([claim], [GOOD_ENDORSEMENT])
