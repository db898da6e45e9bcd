// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CategoryRule, RuleSetTerms} from "../Common.sol";
import {IRuleSink} from "./IRuleSink.sol";

/// @title IRuleBook
/// @notice The published, versioned rules under which credit is computed. Each version names the
/// canonical hash of its full text (including the off-chain reminder and warning rules) and a URI
/// where anyone can read it. A new version takes effect only after a notice period, so residents
/// see a change before it applies. Versions are never edited or deleted.
interface IRuleBook {
    /// @notice A version whose categories are not strictly ascending, or empty.
    error RuleBookInvalidCategoryList();
    /// @notice A category's parameters cannot be satisfied or make no sense.
    error RuleBookInvalidCategory(uint16 category);
    /// @notice The content hash of a rule set must not be zero.
    error RuleBookEmptyContentHash();
    /// @notice A version is already waiting for its notice period to end.
    error RuleBookVersionPending(uint32 ruleVersion, uint48 effectiveAt);
    /// @notice No version is in force yet at the given time.
    error RuleBookNoVersionInForce(uint48 timestamp);
    /// @notice The category does not exist in the version in force.
    error RuleBookUnknownCategory(uint16 category, uint32 ruleVersion);
    /// @notice No ledger is bound yet: bind it before publishing.
    error RuleBookLedgerNotBound();
    /// @notice The ledger can be bound only once.
    error RuleBookLedgerAlreadyBound(address ledger);
    /// @notice Version numbers are limited to 65,535.
    error RuleBookTooManyVersions();
    /// @notice The version was never published.
    error RuleBookUnknownVersion(uint32 ruleVersion);
    /// @notice The admin or governor given to the constructor is the zero address.
    error RuleBookInvalidAccount(address account);

    /// @notice A rule-set version was published and will take effect at `effectiveAt`.
    event RuleSetPublished(uint32 indexed ruleVersion, bytes32 indexed contentHash, uint48 effectiveAt, string uri);
    /// @notice The ledger that receives every published version was bound.
    event LedgerBound(address indexed ledger);
    /// @notice A category of `version` was defined (one event per category of the version).
    event CategoryDefined(uint32 indexed ruleVersion, uint16 indexed category, CategoryRule rule);

    /// @notice Publishes a new rule-set version. Only the governor role.
    /// @dev The first version takes effect at once (nobody holds credit yet); every later version
    /// after `noticePeriod()` seconds. Only one version may be pending at a time.
    /// @param terms rule-set wide terms (hash, expiry, appeal window, reward rate and cap)
    /// @param uri where the full rule-set text can be read
    /// @param categories strictly ascending category ids; categories not listed are inactive
    /// @param rules one rule per category id (`active` is set here)
    /// @return ruleVersion the new ruleVersion number (1, 2, ...)
    function publish(
        RuleSetTerms calldata terms,
        string calldata uri,
        uint16[] calldata categories,
        CategoryRule[] calldata rules
    ) external returns (uint32 ruleVersion);

    /// @notice Binds the ledger that receives a copy of every published version. Admin, once.
    function bindLedger(IRuleSink ledger_) external;

    /// @notice The bound ledger.
    function ledger() external view returns (IRuleSink);

    /// @notice Seconds between publishing a version and it taking effect.
    function noticePeriod() external view returns (uint48);

    /// @notice Number of versions published so far.
    function latestVersion() external view returns (uint32);

    /// @notice The version in force at `timestamp` (0 if none).
    function versionAt(uint48 timestamp) external view returns (uint32);

    /// @notice The version in force now, and the pending one with its start time (0, 0 if none).
    function versions() external view returns (uint32 inForce, uint32 pending, uint48 pendingEffectiveAt);

    /// @notice The rule for `category` in the version in force now. Reverts if none or unknown.
    function ruleInForce(uint16 category) external view returns (uint32 ruleVersion, CategoryRule memory rule);

    /// @notice The rule for `category` in `version` (inactive if the version does not define it).
    function ruleAt(uint32 ruleVersion, uint16 category) external view returns (CategoryRule memory);

    /// @notice The terms, URI and timing of `version`.
    function ruleSet(uint32 ruleVersion)
        external
        view
        returns (RuleSetTerms memory terms, string memory uri, uint48 publishedAt, uint48 effectiveAt);

    /// @notice Category ids defined by `version`.
    function categoriesOf(uint32 ruleVersion) external view returns (uint16[] memory);

    /// @notice Reward terms of the version in force at `timestamp`.
    function rewardTermsAt(uint48 timestamp)
        external
        view
        returns (uint32 ruleVersion, uint80 rewardPerPoint, uint88 epochRewardCap);

    /// @notice Credit expiry (in epochs) of the version in force now; 0 = never.
    function expiryEpochsInForce() external view returns (uint16);

    /// @notice Semantic version of this contract's code.
    function version() external pure returns (string memory);
}
