// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CreditLedger} from "../CreditLedger.sol";
import {IRuleBook} from "../interfaces/IRuleBook.sol";

/// @title NoRoleCheckLedger
/// @notice Test double: a ledger that accepts confirmations from anyone, whatever role they hold.
/// @dev Never deployed outside tests. The auditor must name every record whose quorum counted an
/// evaluator without the role of its kind at that block.
contract NoRoleCheckLedger is CreditLedger {
    constructor(address admin, IRuleBook ruleBook_, uint48 epochLength) CreditLedger(admin, ruleBook_, epochLength) {}

    /// @dev Accepts every evaluator: the role check this double leaves out on purpose.
    // solhint-disable-next-line no-empty-blocks
    function _checkEvaluator(address, uint8) internal pure override {}
}
