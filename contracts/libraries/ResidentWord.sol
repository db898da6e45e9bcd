// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Everything the ledger keeps about one resident, decoded from its single storage word.
/// @dev One word per resident keeps every record at one warm read and one write; the 22,100-gas
/// zero-to-non-zero write is paid once, at registration. Earnings are kept for the two latest
/// epochs in which the resident earned, so rewards can be paid after an epoch ends without a new
/// storage slot per epoch.
struct Resident {
    bool registered;
    bool joined; // was registered at some time (never cleared): violations may still be reported
    bool currentPaid; // reward for `currentEpoch` was paid
    bool previousPaid; // reward for `previousEpoch` was paid
    uint32 nonce; // next claim / appeal nonce
    uint48 balance; // credit before expiry is applied
    uint24 lastActiveEpoch; // epoch of the latest credited participation
    uint24 currentEpoch; // latest epoch with earnings
    uint40 currentEarned; // points earned in `currentEpoch`
    uint24 previousEpoch; // the epoch with earnings before `currentEpoch`
    uint40 previousEarned; // points earned in `previousEpoch`
}

/// @notice A {Resident} packed in one storage word. Layout (low to high bits): flags 8 (registered,
/// currentPaid, previousPaid, joined) | nonce 32 | balance 48 | lastActiveEpoch 24 | currentEpoch 24 |
/// currentEarned 40 | previousEpoch 24 | previousEarned 40 (240 bits used).
type ResidentSlot is uint256;

using ResidentWord for ResidentSlot global;
using ResidentWord for Resident global;

/// @title ResidentWord
/// @notice Packs a {Resident} into a {ResidentSlot} and back.
library ResidentWord {
    uint256 private constant _REGISTERED = 1;
    uint256 private constant _CURRENT_PAID = 2;
    uint256 private constant _PREVIOUS_PAID = 4;
    uint256 private constant _JOINED = 8;

    function decode(ResidentSlot slot) internal pure returns (Resident memory r) {
        uint256 word = ResidentSlot.unwrap(slot);
        r.registered = word & _REGISTERED != 0;
        r.currentPaid = word & _CURRENT_PAID != 0;
        r.previousPaid = word & _PREVIOUS_PAID != 0;
        r.joined = word & _JOINED != 0;
        r.nonce = uint32(word >> 8);
        r.balance = uint48(word >> 40);
        r.lastActiveEpoch = uint24(word >> 88);
        r.currentEpoch = uint24(word >> 112);
        r.currentEarned = uint40(word >> 136);
        r.previousEpoch = uint24(word >> 176);
        r.previousEarned = uint40(word >> 200);
    }

    function encode(Resident memory r) internal pure returns (ResidentSlot) {
        return ResidentSlot.wrap(
            (r.registered ? _REGISTERED : 0) | (r.currentPaid ? _CURRENT_PAID : 0)
                | (r.previousPaid ? _PREVIOUS_PAID : 0) | (r.joined ? _JOINED : 0) | (uint256(r.nonce) << 8)
                | (uint256(r.balance) << 40) | (uint256(r.lastActiveEpoch) << 88) | (uint256(r.currentEpoch) << 112)
                | (uint256(r.currentEarned) << 136) | (uint256(r.previousEpoch) << 176)
                | (uint256(r.previousEarned) << 200)
        );
    }

    function isRegistered(ResidentSlot slot) internal pure returns (bool) {
        return ResidentSlot.unwrap(slot) & _REGISTERED != 0;
    }

    /// @dev `slot` registered, and marked as having joined (a mark that deregistration keeps).
    function register(ResidentSlot slot) internal pure returns (ResidentSlot) {
        return ResidentSlot.wrap(ResidentSlot.unwrap(slot) | _REGISTERED | _JOINED);
    }

    /// @dev `slot` no longer registered; everything else (balance, nonce, joined) stays.
    function deregister(ResidentSlot slot) internal pure returns (ResidentSlot) {
        return ResidentSlot.wrap(ResidentSlot.unwrap(slot) & ~_REGISTERED);
    }
}
