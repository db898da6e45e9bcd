"""The relay's one-call reads of many residents equal the ledger's own answers, one by one.

:mod:`credit.chain.claim_batch` runs creation code through ``eth_call``; its hex must be the
Solidity source beside it, compiled again here, and what it reads must be what ``isResident`` and
``claimNonce`` answer, for registered residents with used nonces, unregistered addresses, and
more residents than one call takes.
"""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode

from credit.chain import claim_batch, relay_reads
from credit.chain.claim_reads import claim_contexts
from credit.gateway.services import Services
from tests.support.world import World


def test_init_code_is_the_source_compiled() -> None:
    assert claim_batch.compile_init_code() == claim_batch.INIT_CODE


def test_reads_equal_the_ledgers_answers(services: Services, gateway_world: World) -> None:
    w = gateway_world  # ``services`` rolls the chain back afterwards
    w.credit_one(w.residents[0])  # claim nonce 1 now
    strangers = ["0x" + (i + 1).to_bytes(20, "big").hex() for i in range(300)]
    asked = [w.residents[0].address, w.outsider.address, *strangers, w.residents[1].address]
    contexts = claim_contexts(w.system, asked)
    assert len(asked) > claim_batch.MAX_RESIDENTS_PER_CALL  # two calls
    assert contexts.chain_time == relay_reads.chain_time(w.system)
    for address in [*asked[:2], *asked[-3:]]:
        state = contexts.residents[address.lower()]
        assert state.registered == relay_reads.is_resident(w.system, address)
        assert state.claim_nonce == relay_reads.claim_nonce(w.system, address)
    assert contexts.of(w.residents[0].address).claim_nonce == 1
    assert contexts.of(w.residents[1].address).registered
    assert not any(contexts.residents[s].registered for s in strangers)


def test_one_call_takes_at_most_256_residents() -> None:
    too_many = ["0x" + "11" * 20] * (claim_batch.MAX_RESIDENTS_PER_CALL + 1)
    with pytest.raises(ValueError, match="at most 256"):
        claim_batch.call_data("0x" + "22" * 20, too_many)
    with pytest.raises(ValueError, match="expected 4 words"):
        claim_batch.decode(abi_encode(["uint256[]"], [[1, 0, 1]]), 2)
