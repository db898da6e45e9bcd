// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";
import {IIdentityRegistry} from "./IIdentityRegistry.sol";

/// @title IdentityRegistry
/// @notice Residents' identity commitments. See {IIdentityRegistry}.
/// @dev Trust assumptions:
/// - No role: a resident registers by their own transaction or by their signature, relayed by
///   anyone. A relayer can withhold a signature, never alter it; a registration happens at most
///   once per resident, which is also the signature's replay protection.
/// - A commitment is taken at most once, so one secret names one leaf of the Poseidon tree. Someone
///   who copies a resident's pending commitment and registers it first cannot prove with it (they
///   lack the secret); they block the resident's registration and hand the resident a leaf with the
///   copier's own credit. Binding the address into the commitment would stop that (a circuit change).
/// - No personal data: a commitment is a hash of a secret that never leaves the resident's device.
contract IdentityRegistry is IIdentityRegistry, EIP712 {
    bytes32 private constant _REGISTER_TYPEHASH =
        keccak256("RegisterIdentity(address resident,uint256 commitment,uint256 deadline)");
    /// @dev BN254's scalar field order: every circuit signal, so every commitment, is below it.
    uint256 private constant _FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    ICreditLedger private immutable _ledger;

    mapping(address resident => uint256 commitment) private _commitments;
    mapping(uint256 commitment => bool taken) private _taken;

    constructor(ICreditLedger ledger_) EIP712("IdentityRegistry", "1") {
        _ledger = ledger_;
    }

    /// @inheritdoc IIdentityRegistry
    function register(uint256 commitment) external {
        _register(msg.sender, commitment);
    }

    /// @inheritdoc IIdentityRegistry
    function registerBySig(address resident, uint256 commitment, uint256 deadline, bytes calldata signature) external {
        if (block.timestamp > deadline) revert IdentityExpiredSignature(deadline);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(_REGISTER_TYPEHASH, resident, commitment, deadline)));
        if (!SignatureChecker.isValidSignatureNowCalldata(resident, digest, signature)) {
            revert IdentityInvalidSignature(resident);
        }
        _register(resident, commitment);
    }

    /// @inheritdoc IIdentityRegistry
    function commitmentOf(address resident) external view returns (uint256) {
        return _commitments[resident];
    }

    /// @inheritdoc IIdentityRegistry
    function ledger() external view returns (address) {
        return address(_ledger);
    }

    /// @inheritdoc IIdentityRegistry
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    function _register(address resident, uint256 commitment) private {
        if (commitment == 0 || commitment >= _FIELD) revert IdentityInvalidCommitment(commitment);
        if (_commitments[resident] != 0) revert IdentityAlreadyRegistered(resident);
        if (_taken[commitment]) revert IdentityCommitmentTaken(commitment);
        if (!_ledger.isResident(resident)) revert IdentityNotResident(resident);
        _commitments[resident] = commitment;
        _taken[commitment] = true;
        emit IdentityRegistered(resident, commitment);
    }
}
