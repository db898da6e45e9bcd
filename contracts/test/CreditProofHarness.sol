// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {CreditProof} from "../libraries/CreditProof.sol";

/// @notice Test double: exposes {CreditProof} against any root, so tests can compare the Solidity
/// and Python Merkle trees on random inputs. Never deployed outside tests.
contract CreditProofHarness {
    function leaf(address resident, uint256 credit, uint256 earned) external pure returns (bytes32) {
        return CreditProof.leaf(resident, credit, earned);
    }

    function rootOf(bytes32 leafHash, bytes32[] calldata proof) external pure returns (bytes32) {
        return MerkleProof.processProofCalldata(proof, leafHash);
    }

    function verify(bytes32 root, address resident, uint256 credit, uint256 earned, bytes32[] calldata proof)
        external
        pure
        returns (bool)
    {
        return CreditProof.verify(proof, root, resident, credit, earned);
    }
}
