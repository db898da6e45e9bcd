// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The credit expiry of the rule sets (epochs; 0 = never): in force (bits 0-15) | next
/// (16-31) | the time the next one takes effect (32-79).
type ExpiryTerms is uint256;

using ExpiryTermsWord for ExpiryTerms global;

/// @title ExpiryTermsWord
library ExpiryTermsWord {
    uint256 private constant _NEXT_SHIFT = 16;
    uint256 private constant _EFFECTIVE_AT_SHIFT = 32;

    /// @notice The expiry in force at `timestamp`.
    function at(ExpiryTerms terms, uint256 timestamp) internal pure returns (uint16) {
        uint256 word = ExpiryTerms.unwrap(terms);
        return timestamp >= word >> _EFFECTIVE_AT_SHIFT ? uint16(word >> _NEXT_SHIFT) : uint16(word);
    }

    /// @notice Terms keeping what is in force at `timestamp` until `next` takes effect at `effectiveAt`.
    function stage(ExpiryTerms terms, uint16 next, uint48 effectiveAt, uint256 timestamp)
        internal
        pure
        returns (ExpiryTerms)
    {
        return ExpiryTerms.wrap(
            uint256(at(terms, timestamp)) | (uint256(next) << _NEXT_SHIFT)
                | (uint256(effectiveAt) << _EFFECTIVE_AT_SHIFT)
        );
    }
}
