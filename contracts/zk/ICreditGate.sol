// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ICreditGate
/// @notice A service's gate: "credit at least `threshold`", passed with a zero-knowledge proof that
/// names no resident. One pass per resident and scope (the nullifier); the proof binds its recipient.
interface ICreditGate {
    /// @notice A Groth16 proof, as snarkjs `exportsoliditycalldata` prints it.
    struct Proof {
        uint256[2] a;
        uint256[2][2] b;
        uint256[2] c;
    }

    /// @notice Someone with credit at least `threshold()` in `epoch` passed, for `recipient`.
    event Passed(uint256 indexed nullifier, address indexed recipient, uint24 epoch);

    /// @notice The constructor's verifier, root source or threshold is unusable.
    error GateInvalidConfig();
    /// @notice `root` is not the finalised Poseidon credit root of `epoch`.
    error GateUnknownRoot(uint24 epoch, uint256 root);
    /// @notice `nullifier` passed this gate already: one pass per resident and scope.
    error GateNullifierUsed(uint256 nullifier);
    /// @notice The proof does not verify for these public signals.
    error GateInvalidProof();

    /// @notice Passes the gate for `recipient` with `proof` over public signals (`root`, `threshold()`,
    /// `scope()`, `nullifier`, `recipient`), where `root` must be `epoch`'s finalised Poseidon root.
    function pass(uint24 epoch, uint256 root, uint256 nullifier, address recipient, Proof calldata proof) external;

    /// @notice Whether `nullifier` has passed.
    function isNullifierUsed(uint256 nullifier) external view returns (bool);

    /// @notice `keccak256(abi.encode(block.chainid, address(this), keccak256(bytes(label())))) mod p`.
    function scope() external view returns (uint256);

    /// @notice The least credit a pass proves.
    function threshold() external view returns (uint256);

    /// @notice The gate's label, e.g. "city library: credit >= 50".
    function label() external view returns (string memory);

    /// @notice The Groth16 verifier and the source of finalised Poseidon roots.
    function config() external view returns (address verifier, address roots);

    /// @notice The contract's version.
    function version() external pure returns (string memory);
}
