// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A resident's earnings of an epoch that left the two-epoch window before being paid:
/// points (bits 0-39) | paid (bit 255).
type SpilledEarnings is uint256;

using SpilledEarningsWord for SpilledEarnings global;

/// @title SpilledEarningsWord
library SpilledEarningsWord {
    uint256 private constant _PAID = 1 << 255;

    function pack(uint40 earnedPoints) internal pure returns (SpilledEarnings) {
        return SpilledEarnings.wrap(earnedPoints);
    }

    function points(SpilledEarnings spilled) internal pure returns (uint40) {
        return uint40(SpilledEarnings.unwrap(spilled));
    }

    function paid(SpilledEarnings spilled) internal pure returns (bool) {
        return SpilledEarnings.unwrap(spilled) & _PAID != 0;
    }

    function markPaid(SpilledEarnings spilled) internal pure returns (SpilledEarnings) {
        return SpilledEarnings.wrap(SpilledEarnings.unwrap(spilled) | _PAID);
    }
}
