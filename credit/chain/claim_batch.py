"""Many residents' registration and claim nonce in ONE ``eth_call``: creation code never deployed.

``eth_call`` without a ``to`` runs creation code and answers with what the constructor returns.
The constructor below reads ``isResident`` and ``claimNonce`` of each resident from the ledger
and returns them: one EVM execution for a whole bulk request instead of two calls per resident
(on the embedded chain each call costs milliseconds of py-evm setup; on a node, a JSON-RPC
request each). Nothing is deployed and nothing is signed: a read, as trustworthy as the two
calls it replaces.

``INIT_CODE`` is the source compiled with the project's solc (``python -m
credit.chain.claim_batch`` prints it); ``tests/chain/test_claim_batch.py`` compiles the source again
and checks it is byte-equal, so the hex below is exactly the Solidity above it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

# A creation returning more than 24,576 bytes of "code" fails (EIP-170): 64 bytes per resident.
MAX_RESIDENTS_PER_CALL = 256

SOURCE = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Run by eth_call as creation code, never deployed: returns abi.encode(uint256[]) with
/// isResident (1/0) and claimNonce of each resident, in order.
contract ClaimReads {
    error ClaimReadsFailed(address resident);

    bytes4 private constant IS_RESIDENT = bytes4(keccak256("isResident(address)"));
    bytes4 private constant CLAIM_NONCE = bytes4(keccak256("claimNonce(address)"));

    constructor(address ledger, address[] memory residents) {
        uint256[] memory out = new uint256[](2 * residents.length);
        for (uint256 i = 0; i < residents.length; ++i) {
            address resident = residents[i];
            out[2 * i] = _read(ledger, resident, IS_RESIDENT);
            out[2 * i + 1] = _read(ledger, resident, CLAIM_NONCE);
        }
        bytes memory answer = abi.encode(out);
        assembly ("memory-safe") {
            return(add(answer, 32), mload(answer))
        }
    }

    function _read(address ledger, address resident, bytes4 selector)
        private
        view
        returns (uint256 word)
    {
        bytes memory call = abi.encodeWithSelector(selector, resident);
        (bool ok, bytes memory answer) = ledger.staticcall(call);
        if (!ok || answer.length != 32) revert ClaimReadsFailed(resident);
        word = abi.decode(answer, (uint256));
    }
}
"""

INIT_CODE = bytes.fromhex(
    "608060405234801561000f575f5ffd5b5060405161046038038061046083398101604081905261002e916102"
    "ba565b5f8151600261003d91906103ac565b6001600160401b03811115610054576100546102a6565b604051"
    "90808252806020026020018201604052801561007d578160200160208202803683370190505b5090505f5b82"
    "51811015610166575f83828151811061009e5761009e6103c9565b602002602001015190506100d985827f68"
    "aca33582d26018c20f19ed56efbdb4245ffab42fc56067e3eb040184fac9f761019260201b60201c565b8361"
    "00e58460026103ac565b815181106100f5576100f56103c9565b602090810291909101015261012b85827f3e"
    "e22fcd45cdfd12a5c06a4592f294a3432c896a349e2e30fec46ee91186859e610192565b8361013784600261"
    "03ac565b6101429060016103dd565b81518110610152576101526103c9565b60209081029190910101525060"
    "0101610082565b505f8160405160200161017991906103f0565b604051602081830303815290604052905080"
    "5160208201f35b604080516001600160a01b0384811660248084019190915283518084039091018152604490"
    "920183526020820180516001600160e01b03166001600160e01b0319861617905291515f9283918291881690"
    "6101ee908590610432565b5f60405180830381855afa9150503d805f8114610226576040519150601f19603f"
    "3d011682016040523d82523d5f602084013e61022b565b606091505b509150915081158061023f5750805160"
    "2014155b1561026c5760405163c87a6ba560e01b81526001600160a01b038716600482015260240160405180"
    "910390fd5b808060200190518101906102809190610448565b979650505050505050565b80516001600160a0"
    "1b03811681146102a1575f5ffd5b919050565b634e487b7160e01b5f52604160045260245ffd5b5f5f604083"
    "850312156102cb575f5ffd5b6102d48361028b565b60208401519092506001600160401b038111156102ef57"
    "5f5ffd5b8301601f810185136102ff575f5ffd5b80516001600160401b03811115610318576103186102a656"
    "5b604051600582901b90603f8201601f191681016001600160401b0381118282101715610346576103466102"
    "a6565b604052918252602081840181019290810188841115610363575f5ffd5b6020850194505b8385101561"
    "03895761037b8561028b565b81526020948501940161036a565b50809450505050509250929050565b634e48"
    "7b7160e01b5f52601160045260245ffd5b80820281158282048414176103c3576103c3610398565b92915050"
    "565b634e487b7160e01b5f52603260045260245ffd5b808201808211156103c3576103c3610398565b602080"
    "825282518282018190525f918401906040840190835b81811015610427578351835260209384019390920191"
    "600101610409565b509095945050505050565b5f82518060208501845e5f920191825250919050565b5f6020"
    "8284031215610458575f5ffd5b505191905056fe"
)


def call_data(ledger: str, residents: Sequence[str]) -> bytes:
    """The ``eth_call`` data (no ``to``) reading ``residents`` (at most 256) from ``ledger``."""
    if len(residents) > MAX_RESIDENTS_PER_CALL:
        raise ValueError(f"at most {MAX_RESIDENTS_PER_CALL} residents per call")
    return INIT_CODE + abi_encode(["address", "address[]"], [ledger, list(residents)])


def decode(answer: bytes, count: int) -> list[tuple[bool, int]]:
    """(registered, claim nonce) of each of the ``count`` residents asked about."""
    (words,) = abi_decode(["uint256[]"], answer)
    if len(words) != 2 * count:
        raise ValueError(f"expected {2 * count} words, got {len(words)}")
    return [(words[2 * i] == 1, int(words[2 * i + 1])) for i in range(count)]


def solc_input() -> dict[str, Any]:
    """The standard-JSON input ``INIT_CODE`` is compiled from (no metadata: reproducible)."""
    from credit.compile import EVM_VERSION, OPTIMIZER_RUNS

    return {
        "language": "Solidity",
        "sources": {"ClaimReads.sol": {"content": SOURCE}},
        "settings": {
            "evmVersion": EVM_VERSION,
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "metadata": {"bytecodeHash": "none", "appendCBOR": False},
            "outputSelection": {"*": {"*": ["evm.bytecode.object"]}},
        },
    }


def compile_init_code() -> bytes:
    """``SOURCE`` compiled with the project's solc (needs node; used by the test and ``main``)."""
    import solcx

    from credit.compile import SOLC_BINARY

    output = solcx.compile_standard(solc_input(), solc_binary=SOLC_BINARY)
    code = output["contracts"]["ClaimReads.sol"]["ClaimReads"]["evm"]["bytecode"]["object"]
    return bytes.fromhex(code)


def main() -> int:
    print(compile_init_code().hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
