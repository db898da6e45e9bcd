// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CategoryRule} from "../Common.sol";

/// @title RuleWord
/// @notice The ledger's copy of one category's rules, packed in one storage word: the rule in force,
/// the next rule and the time the next one takes effect. One read gives a record everything it is
/// checked against, and the switch to a new version needs no transaction: it happens by the clock.
/// @dev Word layout: current half (bits 0-95) | next half (96-191) | next effective-at (192-239).
/// Half layout: pointsPerUnit 16 | maxUnits 8 | minConfirmations 8 | threshold 8 | kindWeights 16 |
/// requiredKinds 4, negative 1, active 1, capped 1, automated 1 | expiryEpochs 16 | version 16.
library RuleWord {
    uint256 private constant _HALF_MASK = (1 << 96) - 1;
    uint256 private constant _NEGATIVE = 1 << 60;
    uint256 private constant _ACTIVE = 1 << 61;
    uint256 private constant _CAPPED = 1 << 62;
    uint256 private constant _AUTOMATED = 1 << 63;

    /// @notice Packs a published rule into a half.
    function pack(CategoryRule memory rule, uint16 expiry, uint16 ruleVersion) internal pure returns (uint256) {
        if (!rule.active) return uint256(ruleVersion) << 80; // an inactive category keeps only its version
        return uint256(rule.pointsPerUnit) | (uint256(rule.maxUnits) << 16) | (uint256(rule.minConfirmations) << 24)
            | (uint256(rule.threshold) << 32) | (uint256(rule.kindWeights) << 40)
            | (uint256(rule.requiredKinds & 0xF) << 56) | (rule.negative ? _NEGATIVE : 0) | _ACTIVE
            | (rule.capPerEpoch != 0 ? _CAPPED : 0) | (rule.automated ? _AUTOMATED : 0) | (uint256(expiry) << 64)
            | (uint256(ruleVersion) << 80);
    }

    /// @notice The half in force at `timestamp`.
    function resolve(uint256 word, uint256 timestamp) internal pure returns (uint256) {
        return timestamp >= word >> 192 ? (word >> 96) & _HALF_MASK : word & _HALF_MASK;
    }

    /// @notice A word whose current half is what is in force at `timestamp` and whose next half is `next`.
    function stage(uint256 word, uint256 next, uint48 effectiveAt, uint256 timestamp) internal pure returns (uint256) {
        return resolve(word, timestamp) | (next << 96) | (uint256(effectiveAt) << 192);
    }

    function pointsPerUnit(uint256 half) internal pure returns (uint256) {
        return uint16(half);
    }

    function maxUnits(uint256 half) internal pure returns (uint256) {
        return uint8(half >> 16);
    }

    function minConfirmations(uint256 half) internal pure returns (uint256) {
        return uint8(half >> 24);
    }

    function threshold(uint256 half) internal pure returns (uint256) {
        return uint8(half >> 32);
    }

    /// @notice Weight of evaluator kind `kind` (0-3).
    function weightOf(uint256 half, uint256 kind) internal pure returns (uint256) {
        return (half >> (40 + 4 * kind)) & 0xF;
    }

    function requiredKinds(uint256 half) internal pure returns (uint256) {
        return (half >> 56) & 0xF;
    }

    function negative(uint256 half) internal pure returns (bool) {
        return half & _NEGATIVE != 0;
    }

    function active(uint256 half) internal pure returns (bool) {
        return half & _ACTIVE != 0;
    }

    function capped(uint256 half) internal pure returns (bool) {
        return half & _CAPPED != 0;
    }

    function automated(uint256 half) internal pure returns (bool) {
        return half & _AUTOMATED != 0;
    }

    function expiryEpochs(uint256 half) internal pure returns (uint16) {
        return uint16(half >> 64);
    }

    function version(uint256 half) internal pure returns (uint16) {
        return uint16(half >> 80);
    }
}
