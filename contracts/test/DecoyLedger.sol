// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";

/// @title DecoyLedger
/// @notice Test double: emits events that look exactly like the ledger's, from another address.
/// @dev The indexer must ignore it: only the deployed ledger and rule book are sources of facts.
/// It emits the ledger's own events (same signatures, so the same topics).
contract DecoyLedger {
    /// @notice Emits a look-alike credit of `points` to `resident`.
    function fakeCredit(bytes32 recordId, address resident, uint48 points) external {
        emit ICreditLedger.ResidentRegistered(resident);
        emit ICreditLedger.RecordCredited(recordId, resident, 1, 1, points, 1);
    }
}
