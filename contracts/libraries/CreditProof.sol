// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title CreditProof
/// @notice Leaves and proofs of an epoch's state tree: one leaf per resident holding their credit at
/// the end of the epoch and the points they earned in it.
/// @dev Compatible with OpenZeppelin's StandardMerkleTree (leaf encoding `["address", "uint256",
/// "uint256"]`): the leaf is hashed twice (so no inner node can pass for a leaf) and pairs are hashed
/// sorted. The Python twin is `credit/verify/merkle.py`.
library CreditProof {
    /// @notice The leaf of `resident` with `credit` at the epoch's end and `earned` points in it.
    function leaf(address resident, uint256 credit, uint256 earned) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(resident, credit, earned))));
    }

    /// @notice Whether `proof` links the leaf (`resident`, `credit`, `earned`) to `root`.
    function verify(bytes32[] calldata proof, bytes32 root, address resident, uint256 credit, uint256 earned)
        internal
        pure
        returns (bool)
    {
        return MerkleProof.verifyCalldata(proof, root, leaf(resident, credit, earned));
    }
}
