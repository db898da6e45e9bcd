// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PackedClaim
/// @notice Reads one signed claim and its endorsements from the tight encoding taken by
/// {ICreditLedger-relayClaimPacked}: the fields of {SignedClaim} and {Endorsement} back to back,
/// big-endian, without ABI padding. A confirmed record costs about 1,500 gas less in calldata.
/// @dev Layout (byte offsets): resident 0-19 | category 20-21 | units 22-23 | occurredAt 24-29 |
/// deadline 30-35 | nonce 36-39 | evidence 40-71 | r 72-103 | vs 104-135; then, for each
/// endorsement, 71 bytes: kind 0 | deadline 1-6 | r 7-38 | vs 39-70. Every endorsement confirms
/// the one record (it is the `mask = 1` endorsement of a batch of one). The caller checks the
/// length with {endorsementCount} before reading: the readers themselves do not.
library PackedClaim {
    uint256 internal constant CLAIM_BYTES = 136;
    uint256 internal constant ENDORSEMENT_BYTES = 71;

    /// @notice Number of endorsements after the claim; `ok` is false when the length is not
    /// exactly one claim plus whole endorsements.
    function endorsementCount(bytes calldata packed) internal pure returns (uint256 count, bool ok) {
        if (packed.length < CLAIM_BYTES) return (0, false);
        uint256 rest = packed.length - CLAIM_BYTES;
        (count, ok) = (rest / ENDORSEMENT_BYTES, rest % ENDORSEMENT_BYTES == 0);
    }

    /// @notice The claim's fields except its signature.
    function claim(bytes calldata packed)
        internal
        pure
        returns (
            address resident,
            uint16 category,
            uint16 units,
            uint48 occurredAt,
            uint48 deadline,
            uint32 nonce,
            bytes32 evidence
        )
    {
        assembly ("memory-safe") {
            let p := packed.offset
            resident := shr(96, calldataload(p))
            category := shr(240, calldataload(add(p, 20)))
            units := shr(240, calldataload(add(p, 22)))
            occurredAt := shr(208, calldataload(add(p, 24)))
            deadline := shr(208, calldataload(add(p, 30)))
            nonce := shr(224, calldataload(add(p, 36)))
            evidence := calldataload(add(p, 40))
        }
    }

    /// @notice The claim's EIP-2098 compact signature.
    function claimSignature(bytes calldata packed) internal pure returns (bytes32 r, bytes32 vs) {
        assembly ("memory-safe") {
            r := calldataload(add(packed.offset, 72))
            vs := calldataload(add(packed.offset, 104))
        }
    }

    /// @notice The `j`-th endorsement (0-based).
    /// @dev The offsets below are unchecked assembly arithmetic: with `j` below {endorsementCount}
    /// (the caller's check), every byte read lies inside `packed`, whose calldata offset and length
    /// are far below 2**64, so no sum or product comes near 2**256.
    function endorsement(bytes calldata packed, uint256 j)
        internal
        pure
        returns (uint8 kind, uint48 deadline, bytes32 r, bytes32 vs)
    {
        assembly ("memory-safe") {
            let q := add(packed.offset, add(CLAIM_BYTES, mul(j, ENDORSEMENT_BYTES)))
            kind := shr(248, calldataload(q))
            deadline := shr(208, calldataload(add(q, 1)))
            r := calldataload(add(q, 7))
            vs := calldataload(add(q, 39))
        }
    }
}
