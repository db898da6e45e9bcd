// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title StagedWord
/// @notice A value that the clock replaces, in one word: the value in force (the lowest `bits` bits) |
/// the next value (the `bits` above them) | the time the next one takes effect (from bit 2 * `bits`
/// up). The switch needs no transaction: whoever reads the word from that time on reads the next
/// value. A {RuleSlot} stages 96-bit rules this way; the ledger's `_expiry`, 16-bit expiries.
/// @dev `bits` is a constant of the caller, at most 96, so no shift or mask below can overflow.
library StagedWord {
    /// @notice The value in force at `timestamp`.
    function inForce(uint256 word, uint256 bits, uint256 timestamp) internal pure returns (uint256) {
        unchecked {
            uint256 value = timestamp >= word >> (2 * bits) ? word >> bits : word;
            return value & ((1 << bits) - 1);
        }
    }

    /// @notice A word keeping what is in force at `timestamp` until `next` (below 2**bits) takes
    /// effect at `effectiveAt`.
    function stage(uint256 word, uint256 bits, uint256 next, uint48 effectiveAt, uint256 timestamp)
        internal
        pure
        returns (uint256)
    {
        unchecked {
            return inForce(word, bits, timestamp) | (next << bits) | (uint256(effectiveAt) << (2 * bits));
        }
    }
}
