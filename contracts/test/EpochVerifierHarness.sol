// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";
import {EpochVerifier} from "../EpochVerifier.sol";

/// @notice Test double: the real {EpochVerifier} plus {seedReveals}, which books reveals of many
/// residents in one transaction (skipping commit, the windows and the commitment check) so that a
/// test can reach thousands of revealers on eth-tester in seconds. Everything else, finalisation and
/// crediting included, is the real contract's code. Never deployed outside tests and benchmarks.
contract EpochVerifierHarness is EpochVerifier {
    constructor(ICreditLedger ledger_, uint16 category_, uint32 quorum_, uint48 commitWindow_, uint48 revealWindow_)
        EpochVerifier(ledger_, category_, quorum_, commitWindow_, revealWindow_)
    {}

    /// @notice Books a reveal of `roots[i]` for `epoch` by each `residents[i]`; one root for all when
    /// `roots` has one element. Unchecked (no call per resident, which py-evm runs slowly): the test
    /// names each resident once per epoch, before the epoch is finalised, as {reveal} would allow.
    function seedReveals(uint24 epoch, bytes32[] calldata roots, address[] calldata residents) external {
        for (uint256 i = 0; i < residents.length; ++i) {
            _recordReveal(epoch, residents[i], roots.length == 1 ? roots[0] : roots[i]);
        }
    }
}
