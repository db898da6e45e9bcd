// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IIdentityRegistry
/// @notice Residents' identity commitments for private credit proofs: `Poseidon(secret)`, one per
/// resident, registered once and bound to their address. The Poseidon credit root of an epoch has a
/// leaf `Poseidon(commitment, credit)` for each resident registered here before the epoch's end.
interface IIdentityRegistry {
    /// @notice `resident` registered `commitment`.
    event IdentityRegistered(address indexed resident, uint256 commitment);

    /// @notice `resident` already has a commitment: one per resident, for ever.
    error IdentityAlreadyRegistered(address resident);
    /// @notice Someone registered `commitment` already: a commitment names one leaf.
    error IdentityCommitmentTaken(uint256 commitment);
    /// @notice `commitment` is 0 or not below the BN254 scalar field order.
    error IdentityInvalidCommitment(uint256 commitment);
    /// @notice `resident` is not a registered resident of the ledger.
    error IdentityNotResident(address resident);
    /// @notice The signature's deadline passed.
    error IdentityExpiredSignature(uint256 deadline);
    /// @notice The signature is not `resident`'s over this registration.
    error IdentityInvalidSignature(address resident);

    /// @notice Registers the caller's `commitment`.
    function register(uint256 commitment) external;

    /// @notice Registers `resident`'s `commitment` with their EIP-712
    /// `RegisterIdentity(address resident,uint256 commitment,uint256 deadline)` signature; anyone may
    /// relay it (the resident pays no gas). A contract account signs by ERC-1271.
    function registerBySig(address resident, uint256 commitment, uint256 deadline, bytes calldata signature) external;

    /// @notice `resident`'s commitment, 0 if none.
    function commitmentOf(address resident) external view returns (uint256);

    /// @notice The ledger whose residents may register.
    function ledger() external view returns (address);

    /// @notice The contract's version.
    function version() external pure returns (string memory);
}
