// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title DecoyLedger
/// @notice Test double: emits events that look exactly like the ledger's, from another address.
/// @dev The indexer must ignore it: only the deployed ledger and rule book are sources of facts.
contract DecoyLedger {
    /// @notice Same signature as {ICreditLedger-RecordCredited}, so the same topic.
    event RecordCredited(
        bytes32 indexed recordId,
        address indexed resident,
        uint16 category,
        uint16 units,
        uint48 points,
        uint16 ruleVersion
    );
    /// @notice Same signature as {ICreditLedger-ResidentRegistered}.
    event ResidentRegistered(address indexed resident);

    /// @notice Emits a look-alike credit of `points` to `resident`.
    function fakeCredit(bytes32 recordId, address resident, uint48 points) external {
        emit ResidentRegistered(resident);
        emit RecordCredited(recordId, resident, 1, 1, points, 1);
    }
}
