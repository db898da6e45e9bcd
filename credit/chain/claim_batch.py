"""Many residents' registration and claim nonce in ONE ``eth_call``: creation code never deployed.

``eth_call`` without a ``to`` runs creation code and answers with what the constructor returns.
The constructor below reads ``isResident`` and ``claimNonce`` of each resident from the ledger
and returns them: one EVM execution for a whole bulk request instead of two calls per resident
(on the embedded chain each call costs milliseconds of py-evm setup; on a node, a JSON-RPC
request each). Nothing is deployed and nothing is signed: a read, as trustworthy as the two
calls it replaces.

The source is ``contracts/reads/ClaimReads.sol``, compiled with the other contracts by
``credit.compile``. ``INIT_CODE`` is a copy of its creation code, so that reading needs no
compiler at run time (``python -m credit.chain.claim_batch`` prints the compiled code);
``tests/chain/test_claim_batch.py`` checks the copy is byte-equal to the artifact.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

CONTRACT_NAME = "ClaimReads"
# A creation returning more than 24,576 bytes of "code" fails (EIP-170): 64 bytes per resident.
MAX_RESIDENTS_PER_CALL = 256

INIT_CODE = bytes.fromhex(
    "60808060405234610255576103a3803803809161001c828561032c565b833981016040828203126102555761"
    "00338261034f565b602083015190926001600160401b03821161025557019080601f83011215610255578151"
    "61006081610363565b9261006e604051948561032c565b81845260208085019260051b820101928311610255"
    "57602001905b8282106103145750508151600181901b91506001600160ff1b03811603610241576100cc6100"
    "b682610363565b916100c4604051938461032c565b808352610363565b602082019290601f19013684375f5b"
    "81518110156102ba576001600160a01b036100f6828461037a565b5116905f8060405160208101906368aca3"
    "3560e01b82528560248201526024815261012260448261032c565b5190895afa3d156102b2573d9060016001"
    "60401b0382116102775760405191610155601f8201601f19166020018461032c565b82523d5f602084013e5b"
    "1580156102a6575b610293576020818051810103126102555760200151600182901b92906001600160ff1b03"
    "831683036102415761019d848761037a565b525f806040516020810190633ee22fcd60e01b82528460248201"
    "52602481526101c760448261032c565b51908a5afa903d1561028b573d916001600160401b03831161027757"
    "604051926101fb601f8201601f19166020018561032c565b83523d5f602085013e5b15801561026b575b6102"
    "5957506020818051810103126102555760200151600183018093116102415761023a6001938661037a565b52"
    "016100db565b634e487b7160e01b5f52601160045260245ffd5b5f80fd5b63c87a6ba560e01b5f5260045260"
    "245ffd5b5060208251141561020d565b634e487b7160e01b5f52604160045260245ffd5b606091610205565b"
    "8263c87a6ba560e01b5f5260045260245ffd5b50602081511415610167565b60609061015f565b8383604051"
    "90816020810193604082019260208652518093526060820190925f5b8181106102fb5750506102f792500360"
    "1f19810183528261032c565b5190f35b84518352602094850194869450909201916001016102db565b602080"
    "916103218461034f565b815201910190610089565b601f909101601f19168101906001600160401b03821190"
    "82101761027757604052565b51906001600160a01b038216820361025557565b6001600160401b0381116102"
    "775760051b60200190565b805182101561038e5760209160051b010190565b634e487b7160e01b5f52603260"
    "045260245ffdfe"
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


def compiled_init_code() -> bytes:
    """``ClaimReads``'s creation code as ``credit.compile`` builds it (compiles if needed)."""
    from credit.compile import load_artifact

    return bytes.fromhex(load_artifact(CONTRACT_NAME).bytecode.removeprefix("0x"))


def main() -> int:
    print(compiled_init_code().hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
