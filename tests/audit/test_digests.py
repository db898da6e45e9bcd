"""The auditor's fast EIP-712 digests and signer recovery equal the chain layer's, byte for byte,
and relay calldata decodes back into what was signed."""

from __future__ import annotations

import pytest

from credit.artifacts import Artifact
from credit.audit.decoding import batch_from_call, metadata_trailer
from credit.audit.digests import HALF_ORDER, Digests, recover
from credit.audit.model import RelayedRecord
from credit.chain.calldata import CalldataDecoder
from credit.chain.eip712 import Domain, sign_digest
from credit.chain.signing import Claim, Report, endorsement_digest
from tests.support.world import PEER, SUPERIOR, World

KEY = (0xC0FFEE).to_bytes(32, "big")
LEDGER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SIGNER = "0x" + "00" * 20


@pytest.mark.parametrize(
    ("chain_id", "units", "evidence", "deadline"),
    [
        pytest.param(31337, 1, b"\x00" * 32, 2**48 - 1, id="anvil-no-evidence"),
        pytest.param(1, 255, b"\xab" * 32, 1_900_000_000, id="mainnet-evidence"),
        pytest.param(2**53 + 7, 65535, bytes(range(32)), 0, id="huge-chain-id"),
    ],
)
def test_digests_equal_the_chain_layers(
    chain_id: int, units: int, evidence: bytes, deadline: int
) -> None:
    resident = "0x" + "12" * 20
    fast = Digests(chain_id, LEDGER)
    domain = Domain(chain_id, LEDGER)
    claim = Claim(resident, 7, units, 1_700_000_000, 42, evidence, deadline)
    mine = RelayedRecord(resident, 7, units, 1_700_000_000, deadline, 42, evidence, b"", b"")
    assert fast.claim(mine) == claim.record_id(domain)
    reporter = "0x" + "34" * 20
    report = Report(resident, 7, units, 1_700_000_000, 42, evidence, deadline, reporter=reporter)
    assert fast.report(RelayedRecord(**{**mine.__dict__, "reporter": reporter})) == (
        report.record_id(domain)
    )
    ids = [bytes([i]) * 32 for i in range(5)]
    assert fast.confirmation(ids, 2, deadline) == endorsement_digest(domain, ids, 2, deadline)


def test_recover_follows_openzeppelin_ecdsa() -> None:
    digest = bytes(range(32))
    sig = sign_digest(KEY, digest)
    from eth_keys import keys

    signer = keys.PrivateKey(KEY).public_key.to_checksum_address().lower()
    assert recover(digest, sig.r, sig.vs) == signer
    parity = sig.vs[0] >> 7
    high = ((HALF_ORDER + 1) | (parity << 255)).to_bytes(32, "big")  # s in the upper half
    assert recover(digest, sig.r, high) is None
    assert recover(digest, b"\x00" * 32, sig.vs) is None  # r = 0: ecrecover gives nobody
    assert recover(digest, b"\xff" * 32, sig.vs) is None  # r beyond the curve order
    assert recover(b"\x01" * 32, sig.r, sig.vs) != signer  # another digest, another signer


def test_relay_calldata_decodes_into_the_signed_batch(
    world: World, artifacts: dict[str, Artifact]
) -> None:
    resident, peer = world.residents[0], world.residents[1]
    pairs = [world.claim(resident, 1, u, nonce=i) for i, u in enumerate((1, 3))]
    ids = [rid for _, rid in pairs]
    endorsements = world.endorse(ids, [(world.superior, SUPERIOR), (peer, PEER, [1])])
    data = world.ledger.encode_abi("relayClaims", [[s for s, _ in pairs], endorsements])
    call = CalldataDecoder(artifacts["CreditLedger"].abi).decode(bytes.fromhex(data[2:]))
    assert call is not None and call.function == "relayClaims"
    batch = batch_from_call("0x01", call.function, call.args)
    assert batch is not None
    fast = Digests(world.system.record.chain_id, world.ledger.address)
    assert [fast.claim(r) for r in batch.records] == ids
    assert [r.units for r in batch.records] == [1, 3]
    signers = {
        recover(
            fast.confirmation(
                [i for k, i in enumerate(ids) if e.mask >> k & 1], e.kind, e.deadline
            ),
            e.r,
            e.vs,
        )
        for e in batch.endorsements
    }
    assert signers == {world.superior.address.lower(), peer.address.lower()}
    assert CalldataDecoder(artifacts["CreditLedger"].abi).decode(b"\x12\x34\x56\x78") is None
    assert CalldataDecoder(artifacts["CreditLedger"].abi).decode(bytes.fromhex(data[2:12])) is None
    assert batch_from_call("0x01", "confirm", {}) is None


def test_metadata_trailer_is_the_cbor_solc_appends(artifacts: dict[str, Artifact]) -> None:
    code = bytes.fromhex(artifacts["CreditLedger"].deployed_bytecode[2:])
    trailer = metadata_trailer(code)
    assert trailer.startswith("a264697066735822") and trailer.endswith("0033")
    assert metadata_trailer(b"") == "" and metadata_trailer(b"\xff\xff") == ""
    assert trailer != metadata_trailer(
        bytes.fromhex(artifacts["LooseLedger"].deployed_bytecode[2:])
    )
