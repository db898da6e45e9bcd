// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICreditGate} from "./ICreditGate.sol";

/// @notice The exported Groth16 verifier of circuits/credit_at_least.circom (five public signals).
interface ICreditAtLeastVerifier {
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[5] calldata publicSignals
    ) external view returns (bool);
}

/// @notice Where finalised Poseidon credit roots are read: the EpochVerifier instance on which
/// residents commit-reveal each epoch's Poseidon root (`finalRoot` is 0 until finalised).
interface IFinalRoots {
    function finalRoot(uint24 epoch) external view returns (bytes32);
}

/// @title CreditGate
/// @notice A service's "credit at least X" gate over zero-knowledge proofs. See {ICreditGate}.
/// @dev Trust assumptions:
/// - The root comes from the residents' consensus (`IFinalRoots`), never from the caller: a proof
///   against any other root fails with {GateUnknownRoot}. Any finalised epoch is accepted; a service
///   wanting recent credit checks the event's epoch.
/// - Threshold and scope are fixed at deployment and fed to the verifier as public signals, so a
///   proof for another threshold, gate, chain or label fails.
/// - Replay protection is the nullifier, stored before the event; never the proof bytes (Groth16
///   proofs are malleable).
/// - The recipient is a public signal the circuit binds: a copied proof sent for another recipient
///   fails, and one sent for the same recipient only helps that recipient.
/// - No role, no upgrade, no personal data: the event carries the nullifier and the recipient only.
contract CreditGate is ICreditGate {
    /// @dev BN254's scalar field order.
    uint256 private constant _FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    ICreditAtLeastVerifier private immutable _verifier;
    IFinalRoots private immutable _roots;
    uint256 private immutable _threshold;
    uint256 private immutable _scope;
    string private _label;

    mapping(uint256 nullifier => bool used) private _used;

    /// @param verifier_ the Groth16 verifier of the credit_at_least circuit
    /// @param roots_ the EpochVerifier instance finalising Poseidon credit roots
    /// @param threshold_ the least credit a pass proves (the circuit range-checks it to 64 bits)
    /// @param label_ what the gate is for, part of the scope (e.g. "city library: credit >= 50")
    constructor(ICreditAtLeastVerifier verifier_, IFinalRoots roots_, uint256 threshold_, string memory label_) {
        if (address(verifier_).code.length == 0 || address(roots_).code.length == 0 || threshold_ >= 2 ** 64) {
            revert GateInvalidConfig();
        }
        _verifier = verifier_;
        _roots = roots_;
        _threshold = threshold_;
        _label = label_;
        _scope = uint256(keccak256(abi.encode(block.chainid, address(this), keccak256(bytes(label_))))) % _FIELD;
    }

    /// @inheritdoc ICreditGate
    function pass(uint24 epoch, uint256 root, uint256 nullifier, address recipient, Proof calldata proof) external {
        if (root == 0 || bytes32(root) != _roots.finalRoot(epoch)) revert GateUnknownRoot(epoch, root);
        if (_used[nullifier]) revert GateNullifierUsed(nullifier);
        uint256[5] memory signals = [root, _threshold, _scope, nullifier, uint256(uint160(recipient))];
        if (!_verifier.verifyProof(proof.a, proof.b, proof.c, signals)) revert GateInvalidProof();
        _used[nullifier] = true;
        emit Passed(nullifier, recipient, epoch);
    }

    /// @inheritdoc ICreditGate
    function isNullifierUsed(uint256 nullifier) external view returns (bool) {
        return _used[nullifier];
    }

    /// @inheritdoc ICreditGate
    function scope() external view returns (uint256) {
        return _scope;
    }

    /// @inheritdoc ICreditGate
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc ICreditGate
    function label() external view returns (string memory) {
        return _label;
    }

    /// @inheritdoc ICreditGate
    function config() external view returns (address verifier, address roots) {
        return (address(_verifier), address(_roots));
    }

    /// @inheritdoc ICreditGate
    function version() external pure returns (string memory) {
        return "1.0.0";
    }
}
