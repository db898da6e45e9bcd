// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What one resident used of one category's cap: points (bits 0-63) in epoch (bits 64-87).
type CapUsage is uint256;

using CapUsageWord for CapUsage global;

/// @title CapUsageWord
library CapUsageWord {
    uint256 private constant _EPOCH_SHIFT = 64;

    function pack(uint24 epoch, uint256 points) internal pure returns (CapUsage) {
        return CapUsage.wrap((uint256(epoch) << _EPOCH_SHIFT) | points);
    }

    /// @notice Points used in `epoch`: zero when the usage is of an earlier epoch.
    function pointsIn(CapUsage usage, uint24 epoch) internal pure returns (uint256) {
        uint256 word = CapUsage.unwrap(usage);
        return word >> _EPOCH_SHIFT == epoch ? uint64(word) : 0;
    }
}
