// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CategoryRule} from "../Common.sol";
import {StagedWord} from "./StagedWord.sol";

/// @notice One category's rule as the ledger checks it, 96 bits: pointsPerUnit 16 | maxUnits 8 |
/// minConfirmations 8 | threshold 8 | kindWeights 16 | requiredKinds 4, negative 1, active 1, capped 1,
/// automated 1 | expiryEpochs 16 | version 16 (low to high bits).
type Rule is uint256;

/// @notice One category's storage word, a {StagedWord} of rules: the rule in force (bits 0-95) | the
/// next rule (96-191) | the time the next one takes effect (192-239).
type RuleSlot is uint256;

using RuleWord for Rule global;
using RuleWord for RuleSlot global;

/// @title RuleWord
/// @notice The ledger's copy of one category's rules, packed in one storage word: the rule in force,
/// the next rule and the time the next one takes effect. One read gives a record everything it is
/// checked against, and the switch to a new version needs no transaction: it happens by the clock.
library RuleWord {
    uint256 private constant _RULE_BITS = 96;
    uint256 private constant _NEGATIVE = 1 << 60;
    uint256 private constant _ACTIVE = 1 << 61;
    uint256 private constant _CAPPED = 1 << 62;
    uint256 private constant _AUTOMATED = 1 << 63;

    /// @notice Packs a published rule.
    function pack(CategoryRule memory rule, uint16 expiry, uint16 ruleVersion) internal pure returns (Rule) {
        if (!rule.active) return Rule.wrap(uint256(ruleVersion) << 80); // an inactive category keeps only its version
        return Rule.wrap(
            uint256(rule.pointsPerUnit) | (uint256(rule.maxUnits) << 16) | (uint256(rule.minConfirmations) << 24)
                | (uint256(rule.threshold) << 32) | (uint256(rule.kindWeights) << 40)
                | (uint256(rule.requiredKinds & 0xF) << 56) | (rule.negative ? _NEGATIVE : 0) | _ACTIVE
                | (rule.capPerEpoch != 0 ? _CAPPED : 0) | (rule.automated ? _AUTOMATED : 0) | (uint256(expiry) << 64)
                | (uint256(ruleVersion) << 80)
        );
    }

    /// @notice The rule in force at `timestamp`.
    function resolve(RuleSlot slot, uint256 timestamp) internal pure returns (Rule) {
        return Rule.wrap(StagedWord.inForce(RuleSlot.unwrap(slot), _RULE_BITS, timestamp));
    }

    /// @notice A slot whose rule in force is the one in force at `timestamp` and whose next rule is `next`.
    function stage(RuleSlot slot, Rule next, uint48 effectiveAt, uint256 timestamp) internal pure returns (RuleSlot) {
        return
            RuleSlot.wrap(
                StagedWord.stage(RuleSlot.unwrap(slot), _RULE_BITS, Rule.unwrap(next), effectiveAt, timestamp)
            );
    }

    function pointsPerUnit(Rule rule) internal pure returns (uint256) {
        return uint16(Rule.unwrap(rule));
    }

    function maxUnits(Rule rule) internal pure returns (uint256) {
        return uint8(Rule.unwrap(rule) >> 16);
    }

    function minConfirmations(Rule rule) internal pure returns (uint256) {
        return uint8(Rule.unwrap(rule) >> 24);
    }

    function threshold(Rule rule) internal pure returns (uint256) {
        return uint8(Rule.unwrap(rule) >> 32);
    }

    /// @notice Weight of evaluator kind `kind` (0-3).
    function weightOf(Rule rule, uint256 kind) internal pure returns (uint256) {
        return (Rule.unwrap(rule) >> (40 + 4 * kind)) & 0xF;
    }

    function requiredKinds(Rule rule) internal pure returns (uint256) {
        return (Rule.unwrap(rule) >> 56) & 0xF;
    }

    function negative(Rule rule) internal pure returns (bool) {
        return Rule.unwrap(rule) & _NEGATIVE != 0;
    }

    function active(Rule rule) internal pure returns (bool) {
        return Rule.unwrap(rule) & _ACTIVE != 0;
    }

    function capped(Rule rule) internal pure returns (bool) {
        return Rule.unwrap(rule) & _CAPPED != 0;
    }

    function automated(Rule rule) internal pure returns (bool) {
        return Rule.unwrap(rule) & _AUTOMATED != 0;
    }

    function expiryEpochs(Rule rule) internal pure returns (uint16) {
        return uint16(Rule.unwrap(rule) >> 64);
    }

    function version(Rule rule) internal pure returns (uint16) {
        return uint16(Rule.unwrap(rule) >> 80);
    }
}
