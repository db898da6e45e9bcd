// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CategoryRule} from "../Common.sol";

/// @title IRuleSink
/// @notice A contract that keeps its own packed copy of the rules the rule book publishes.
interface IRuleSink {
    /// @notice Only the bound rule book may stage rules.
    error RuleSinkUnauthorizedRuleBook(address caller);

    /// @notice Version `ruleVersion` was staged to take effect at `effectiveAt`.
    event RulesStaged(uint32 indexed ruleVersion, uint48 effectiveAt, uint256 categories);

    /// @notice Stages `rules` of version `ruleVersion` to take effect at `effectiveAt`. Categories of
    /// the version in force that the new version drops arrive with `active == false`.
    function stageRules(
        uint32 ruleVersion,
        uint48 effectiveAt,
        uint16 expiryEpochs,
        uint32 appealWindow,
        uint16[] calldata categories,
        CategoryRule[] calldata rules
    ) external;
}
