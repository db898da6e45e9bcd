// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PackedClaim
/// @notice Reads one signed claim and its endorsements from the tight encoding taken by
/// {ICreditLedger-relayClaimPacked}: the fields of {SignedClaim} and {Endorsement} back to back,
/// big-endian, without ABI padding. A confirmed record costs about 1,500 gas less in calldata.
/// @dev Layout (byte offsets, the constants below): resident 0-19 | category 20-21 | units 22-23 |
/// occurredAt 24-29 | deadline 30-35 | nonce 36-39 | evidence 40-71 | r 72-103 | vs 104-135; then,
/// for each endorsement, 71 bytes: kind 0 | deadline 1-6 | r 7-38 | vs 39-70. Every endorsement
/// confirms the one record (it is the `mask = 1` endorsement of a batch of one). The caller checks
/// the length with {endorsementCount} before reading: the readers themselves do not.
library PackedClaim {
    uint256 internal constant CLAIM_BYTES = 136;
    uint256 internal constant ENDORSEMENT_BYTES = 71;

    // Claim field offsets.
    uint256 private constant _RESIDENT = 0;
    uint256 private constant _CATEGORY = 20;
    uint256 private constant _UNITS = 22;
    uint256 private constant _OCCURRED_AT = 24;
    uint256 private constant _DEADLINE = 30;
    uint256 private constant _NONCE = 36;
    uint256 private constant _EVIDENCE = 40;
    uint256 private constant _R = 72;
    uint256 private constant _VS = 104;

    // Endorsement field offsets, from the endorsement's first byte.
    uint256 private constant _E_KIND = 0;
    uint256 private constant _E_DEADLINE = 1;
    uint256 private constant _E_R = 7;
    uint256 private constant _E_VS = 39;

    // Right shifts that leave an n-byte big-endian field of a 32-byte calldata word: 256 - 8n.
    uint256 private constant _SHR_ADDRESS = 96;
    uint256 private constant _SHR_UINT8 = 248;
    uint256 private constant _SHR_UINT16 = 240;
    uint256 private constant _SHR_UINT32 = 224;
    uint256 private constant _SHR_UINT48 = 208;

    /// @notice Number of endorsements after the claim; `ok` is false when the length is not
    /// exactly one claim plus whole endorsements.
    function endorsementCount(bytes calldata packed) internal pure returns (uint256 count, bool ok) {
        if (packed.length < CLAIM_BYTES) return (0, false);
        uint256 rest = packed.length - CLAIM_BYTES;
        (count, ok) = (rest / ENDORSEMENT_BYTES, rest % ENDORSEMENT_BYTES == 0);
    }

    /// @notice The record the claim asks to book.
    function record(bytes calldata packed)
        internal
        pure
        returns (address resident, uint16 category, uint16 units, uint48 occurredAt, bytes32 evidence)
    {
        assembly ("memory-safe") {
            let p := packed.offset
            resident := shr(_SHR_ADDRESS, calldataload(add(p, _RESIDENT)))
            category := shr(_SHR_UINT16, calldataload(add(p, _CATEGORY)))
            units := shr(_SHR_UINT16, calldataload(add(p, _UNITS)))
            occurredAt := shr(_SHR_UINT48, calldataload(add(p, _OCCURRED_AT)))
            evidence := calldataload(add(p, _EVIDENCE))
        }
    }

    /// @notice The claim's signature terms: its deadline and the resident's claim nonce.
    function terms(bytes calldata packed) internal pure returns (uint48 deadline, uint32 nonce) {
        assembly ("memory-safe") {
            deadline := shr(_SHR_UINT48, calldataload(add(packed.offset, _DEADLINE)))
            nonce := shr(_SHR_UINT32, calldataload(add(packed.offset, _NONCE)))
        }
    }

    /// @notice The claim's EIP-2098 compact signature.
    function claimSignature(bytes calldata packed) internal pure returns (bytes32 r, bytes32 vs) {
        assembly ("memory-safe") {
            r := calldataload(add(packed.offset, _R))
            vs := calldataload(add(packed.offset, _VS))
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
            kind := shr(_SHR_UINT8, calldataload(add(q, _E_KIND)))
            deadline := shr(_SHR_UINT48, calldataload(add(q, _E_DEADLINE)))
            r := calldataload(add(q, _E_R))
            vs := calldataload(add(q, _E_VS))
        }
    }
}
