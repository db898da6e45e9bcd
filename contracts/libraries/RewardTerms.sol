// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice One epoch's reward terms, fixed by its first payment run: rate per point (bits 0-79) |
/// cap (80-167) | minted so far (168-255). Zero until fixed.
type RewardTerms is uint256;

using RewardTermsWord for RewardTerms global;

/// @title RewardTermsWord
library RewardTermsWord {
    uint256 private constant _CAP_SHIFT = 80;
    uint256 private constant _MINTED_SHIFT = 168;

    function pack(uint80 ratePerPoint, uint88 mintCap) internal pure returns (RewardTerms) {
        return RewardTerms.wrap(uint256(ratePerPoint) | (uint256(mintCap) << _CAP_SHIFT));
    }

    function isFixed(RewardTerms terms) internal pure returns (bool) {
        return RewardTerms.unwrap(terms) != 0;
    }

    function rate(RewardTerms terms) internal pure returns (uint80) {
        return uint80(RewardTerms.unwrap(terms));
    }

    function cap(RewardTerms terms) internal pure returns (uint88) {
        return uint88(RewardTerms.unwrap(terms) >> _CAP_SHIFT);
    }

    function minted(RewardTerms terms) internal pure returns (uint88) {
        return uint88(RewardTerms.unwrap(terms) >> _MINTED_SHIFT);
    }

    /// @notice `terms` with `amount` minted so far; the caller keeps it at most the cap (< 2**88).
    function withMinted(RewardTerms terms, uint256 amount) internal pure returns (RewardTerms) {
        return RewardTerms.wrap((RewardTerms.unwrap(terms) & ((1 << _MINTED_SHIFT) - 1)) | (amount << _MINTED_SHIFT));
    }
}
