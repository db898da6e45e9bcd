"""A resident's private identity: secret, commitment, scope and nullifier (pure).

- **Secret.** Derived from the resident's wallet so it can be recovered from the wallet alone and
  never leaves the device: ``keccak256(signature) mod p`` (0 mapped to 1) where ``signature`` is the
  wallet's EIP-191 signature of :func:`secret_message` (deterministic ECDSA, RFC 6979, as every
  common wallet signs). The browser derives it the same way (``js/zk/identity.js``).
- **Identity commitment.** ``Poseidon(secret)``, registered once on the IdentityRegistry, bound to
  the resident's address by their EIP-712 signature (relayed: no gas for them).
- **Scope.** ``keccak256(abi.encode(uint256 chainId, address gate, keccak256(bytes(label))))``
  reduced mod p: what ``CreditGate`` computes in its constructor. Binding chain and gate stops a
  proof for one gate (or one chain) from counting at another; the label lets one gate contract
  serve one period.
- **Nullifier.** ``Poseidon(secret, scope)``: the same for one resident at one scope (one use), and
  unlinkable across scopes without the secret.
"""

from __future__ import annotations

from eth_hash.auto import keccak

from credit.zk.poseidon import FIELD, poseidon


def secret_message(chain_id: int) -> str:
    """The fixed text a resident's wallet signs to derive their identity secret."""
    return (
        "Consensus Credit private proofs\n"
        "Sign to derive your identity secret. It stays on this device.\n"
        f"Chain: {chain_id}\nVersion: 1"
    )


def secret_from_signature(signature: bytes) -> int:
    """The identity secret from the wallet's signature of :func:`secret_message`."""
    if len(signature) != 65:
        raise ValueError(f"a wallet signature is 65 bytes, got {len(signature)}")
    return int.from_bytes(keccak(signature), "big") % FIELD or 1


def identity_commitment(secret: int) -> int:
    """``Poseidon(secret)``: what a resident registers."""
    return poseidon(secret)


def scope_of(chain_id: int, gate: str, label: str) -> int:
    """The scope of the gate at ``gate`` on ``chain_id`` with ``label`` (see module docstring)."""
    address = bytes.fromhex(gate.removeprefix("0x"))
    if len(address) != 20:
        raise ValueError(f"{gate!r} is not a 20-byte address")
    encoded = chain_id.to_bytes(32, "big") + bytes(12) + address + keccak(label.encode("utf-8"))
    return int.from_bytes(keccak(encoded), "big") % FIELD


def nullifier_of(secret: int, scope: int) -> int:
    """``Poseidon(secret, scope)``."""
    return poseidon(secret, scope)
