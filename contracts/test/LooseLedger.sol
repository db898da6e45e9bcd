// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CreditLedger} from "../CreditLedger.sol";
import {IRuleBook} from "../interfaces/IRuleBook.sol";

/// @title LooseLedger
/// @notice Test double: a ledger with a back door that mints reward tokens outside the rules.
/// @dev Never deployed outside tests. The auditor must name every such mint (a Transfer from the
/// zero address that no RewardMinted of the same transaction accounts for).
contract LooseLedger is CreditLedger {
    constructor(address admin, IRuleBook ruleBook_, uint48 epochLength) CreditLedger(admin, ruleBook_, epochLength) {}

    /// @notice Mints `amount` to `to` with no earnings, no rate and no cap.
    function backdoorMint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
