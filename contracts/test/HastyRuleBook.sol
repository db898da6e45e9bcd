// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RuleBook} from "../RuleBook.sol";

/// @title HastyRuleBook
/// @notice Test double: a rule book that makes every new version effective at once, ignoring the
/// notice period it still reports.
/// @dev Never deployed outside tests. The auditor must name every version published this way.
contract HastyRuleBook is RuleBook {
    constructor(address admin, address governor, uint48 noticePeriod_) RuleBook(admin, governor, noticePeriod_) {}

    function _effectiveAt(bool, uint48 now_) internal pure override returns (uint48) {
        return now_;
    }
}
