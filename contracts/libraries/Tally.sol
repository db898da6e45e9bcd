// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The confirmations counted for one record so far (in memory, never stored): summed evaluator
/// weight in bits 0-15 | number of confirmations in bits 16-31 | kinds present in bits 32-35 (bit 32 + k
/// set = some confirmer of EvaluatorKind k counted).
type Tally is uint256;

/// @notice A pending record's confirmations per evaluator kind: 8 bits per EvaluatorKind, SUPERIOR in
/// the lowest byte.
type KindCounts is uint32;

using TallyWord for Tally global;
using TallyWord for KindCounts global;

/// @title TallyWord
/// @notice Counting confirmations: the {Tally} of a record and the {KindCounts} of a pending one.
library TallyWord {
    uint256 private constant _CONFIRMATIONS_SHIFT = 16;
    uint256 private constant _KINDS_SHIFT = 32;
    uint256 private constant _ONE_CONFIRMATION = 1 << _CONFIRMATIONS_SHIFT;

    /// @notice The {Tally} bit that marks evaluator kind `kind` (0-3) as present.
    function kindFlag(uint256 kind) internal pure returns (uint256) {
        return 1 << (_KINDS_SHIFT + kind);
    }

    /// @notice `tally` plus one confirmation of `confirmerWeight` by the kind whose {kindFlag} is `flag`.
    /// At most 64 endorsements of weight <= 15 each: the weight and count fields cannot overflow.
    function add(Tally tally, uint256 confirmerWeight, uint256 flag) internal pure returns (Tally) {
        unchecked {
            // Far below 2**256: the tally is under 2**36 and the weight under 16.
            return Tally.wrap((Tally.unwrap(tally) + confirmerWeight + _ONE_CONFIRMATION) | flag);
        }
    }

    /// @notice `tally` plus `count` confirmations of `confirmerWeight` each by evaluator kind `kind` (0-3).
    /// At most 4 kinds of 255 confirmations of weight <= 15 each: no field overflows.
    function addMany(Tally tally, uint256 kind, uint256 confirmerWeight, uint256 count) internal pure returns (Tally) {
        unchecked {
            // Far below 2**256: the tally is under 2**36, the count under 256 and the weight under 16.
            return
                Tally.wrap((Tally.unwrap(tally) + count * confirmerWeight + count * _ONE_CONFIRMATION) | kindFlag(kind));
        }
    }

    function weight(Tally tally) internal pure returns (uint16) {
        return uint16(Tally.unwrap(tally));
    }

    function confirmations(Tally tally) internal pure returns (uint16) {
        return uint16(Tally.unwrap(tally) >> _CONFIRMATIONS_SHIFT);
    }

    /// @notice Bit k set = some confirmer of EvaluatorKind k counted.
    function kinds(Tally tally) internal pure returns (uint8) {
        return uint8(Tally.unwrap(tally) >> _KINDS_SHIFT);
    }

    /// @notice Confirmations of evaluator kind `kind` (0-3).
    function countOf(KindCounts counts, uint256 kind) internal pure returns (uint256) {
        return uint8(KindCounts.unwrap(counts) >> (8 * kind));
    }

    /// @notice `counts` with one more confirmation of `kind`; the caller checks it stays below 256.
    function increment(KindCounts counts, uint256 kind) internal pure returns (KindCounts) {
        return KindCounts.wrap(KindCounts.unwrap(counts) + uint32(1 << (8 * kind)));
    }
}
