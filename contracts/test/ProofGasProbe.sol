// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IEpochVerifier} from "../interfaces/IEpochVerifier.sol";

/// @notice Benchmark probe: what a contract pays, inside its own transaction, to check a resident's
/// Merkle proof with {IEpochVerifier-verifyCredit} (the call, measured with gasleft()). Never
/// deployed outside tests and benchmarks.
contract ProofGasProbe {
    event Measured(uint256 gasUsed, bool valid);

    function measure(
        IEpochVerifier verifier,
        uint24 epoch,
        address resident,
        uint256 credit,
        uint256 earned,
        bytes32[] calldata proof
    ) external {
        uint256 start = gasleft();
        bool valid = verifier.verifyCredit(epoch, resident, credit, earned, proof);
        uint256 used = start - gasleft();
        emit Measured(used, valid);
    }
}
