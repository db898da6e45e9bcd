// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

import {CategoryRule, RuleSetTerms} from "./Common.sol";
import {IRuleBook} from "./interfaces/IRuleBook.sol";
import {IRuleSink} from "./interfaces/IRuleSink.sol";

/// @title RuleBook
/// @notice Versioned, published rules for computing credit. See {IRuleBook}.
/// @dev Trust: only GOVERNOR_ROLE publishes; nobody can edit or delete a published version, and a
/// new version waits `noticePeriod` seconds before it applies. The admin (DEFAULT_ADMIN_ROLE) and the
/// governor are meant to be multisigs or timelocks: the deployer holds both only while it binds the
/// ledger and publishes the first version, then hands both over and renounces them (see
/// credit/chain/deploy.py and docs/operations.md, "Keys and roles").
contract RuleBook is IRuleBook, AccessControl {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice May publish rule-set versions.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

    /// @dev Weight nibbles of the four evaluator kinds, and the bits of `requiredKinds`.
    uint256 private constant _KIND_COUNT = 4;

    struct VersionRecord {
        RuleSetTerms terms;
        uint48 publishedAt;
        uint48 effectiveAt;
        string uri;
        uint16[] categories;
    }

    /// @dev The newest version and the one in force before it, read in one slot on every record.
    struct Head {
        uint32 latest;
        uint32 previous;
        uint48 latestEffectiveAt;
    }

    uint48 private immutable _noticePeriod;
    /// @custom:security write-protection="onlyRole(bytes32)"
    /// @dev Written only by {bindLedger}, under DEFAULT_ADMIN_ROLE, once.
    IRuleSink private _ledger;
    /// @custom:security write-protection="onlyRole(bytes32)"
    /// @dev Written only by {publish}, under GOVERNOR_ROLE.
    Head private _head;
    /// @custom:security write-protection="onlyRole(bytes32)"
    /// @dev Written only by {publish}, under GOVERNOR_ROLE.
    Checkpoints.Trace208 private _history; // effectiveAt => ruleVersion
    /// @custom:security write-protection="onlyRole(bytes32)"
    /// @dev Written only by {publish}, under GOVERNOR_ROLE.
    mapping(uint32 ruleVersion => VersionRecord) private _versions;
    /// @custom:security write-protection="onlyRole(bytes32)"
    /// @dev Written only by {publish}, under GOVERNOR_ROLE.
    mapping(uint32 ruleVersion => mapping(uint16 category => CategoryRule)) private _rules;

    /// @param admin holder of DEFAULT_ADMIN_ROLE (a multisig or timelock in production)
    /// @param governor initial holder of GOVERNOR_ROLE
    /// @param noticePeriod_ seconds between publishing a ruleVersion and it taking effect
    constructor(address admin, address governor, uint48 noticePeriod_) {
        if (admin == address(0) || governor == address(0)) revert RuleBookInvalidAccount(address(0));
        _noticePeriod = noticePeriod_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNOR_ROLE, governor);
    }

    /// @inheritdoc IRuleBook
    function publish(
        RuleSetTerms calldata terms,
        string calldata uri,
        uint16[] calldata categories,
        CategoryRule[] calldata rules
    ) external onlyRole(GOVERNOR_ROLE) returns (uint32 ruleVersion) {
        Head memory head = _head;
        if (head.latest != 0 && block.timestamp < head.latestEffectiveAt) {
            revert RuleBookVersionPending(head.latest, head.latestEffectiveAt);
        }
        if (address(_ledger) == address(0)) revert RuleBookLedgerNotBound();
        if (terms.contentHash == bytes32(0)) revert RuleBookEmptyContentHash();
        if (categories.length == 0 || categories.length != rules.length) revert RuleBookInvalidCategoryList();

        ruleVersion = head.latest + 1;
        if (ruleVersion > type(uint16).max) revert RuleBookTooManyVersions();
        uint48 now_ = uint48(block.timestamp);
        uint48 effectiveAt = _effectiveAt(head.latest == 0, now_);

        _defineCategories(ruleVersion, categories, rules);

        VersionRecord storage record = _versions[ruleVersion];
        record.terms = terms;
        record.publishedAt = now_;
        record.effectiveAt = effectiveAt;
        record.uri = uri;
        record.categories = categories;

        _pushToLedger(ruleVersion, head.latest, effectiveAt, terms, categories);
        _history.push(effectiveAt, ruleVersion);
        _head = Head({latest: ruleVersion, previous: head.latest, latestEffectiveAt: effectiveAt});
        emit RuleSetPublished(ruleVersion, terms.contentHash, effectiveAt, uri);
    }

    /// @inheritdoc IRuleBook
    function bindLedger(IRuleSink ledger_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(_ledger) != address(0)) revert RuleBookLedgerAlreadyBound(address(_ledger));
        _ledger = ledger_;
        emit LedgerBound(address(ledger_));
    }

    /// @inheritdoc IRuleBook
    function ledger() external view returns (IRuleSink) {
        return _ledger;
    }

    /// @inheritdoc IRuleBook
    function noticePeriod() external view returns (uint48) {
        return _noticePeriod;
    }

    /// @inheritdoc IRuleBook
    function latestVersion() external view returns (uint32) {
        return _head.latest;
    }

    /// @inheritdoc IRuleBook
    function versionAt(uint48 timestamp) public view returns (uint32) {
        return uint32(_history.upperLookupRecent(timestamp));
    }

    /// @inheritdoc IRuleBook
    function versions() external view returns (uint32 inForce, uint32 pending, uint48 pendingEffectiveAt) {
        Head memory head = _head;
        if (block.timestamp >= head.latestEffectiveAt) return (head.latest, 0, 0);
        return (head.previous, head.latest, head.latestEffectiveAt);
    }

    /// @inheritdoc IRuleBook
    function ruleInForce(uint16 category) external view returns (uint32 ruleVersion, CategoryRule memory rule) {
        ruleVersion = _versionInForce();
        rule = _rules[ruleVersion][category];
        if (!rule.active) revert RuleBookUnknownCategory(category, ruleVersion);
    }

    /// @inheritdoc IRuleBook
    function ruleAt(uint32 ruleVersion, uint16 category) external view returns (CategoryRule memory) {
        return _rules[ruleVersion][category];
    }

    /// @inheritdoc IRuleBook
    function ruleSet(uint32 ruleVersion)
        external
        view
        returns (RuleSetTerms memory terms, string memory uri, uint48 publishedAt, uint48 effectiveAt)
    {
        VersionRecord storage record = _versions[ruleVersion];
        if (record.publishedAt == 0) revert RuleBookUnknownVersion(ruleVersion);
        return (record.terms, record.uri, record.publishedAt, record.effectiveAt);
    }

    /// @inheritdoc IRuleBook
    function categoriesOf(uint32 ruleVersion) external view returns (uint16[] memory) {
        return _versions[ruleVersion].categories;
    }

    /// @inheritdoc IRuleBook
    function rewardTermsAt(uint48 timestamp)
        external
        view
        returns (uint32 ruleVersion, uint80 rewardPerPoint, uint88 epochRewardCap)
    {
        ruleVersion = versionAt(timestamp);
        if (ruleVersion == 0) revert RuleBookNoVersionInForce(timestamp);
        RuleSetTerms storage terms = _versions[ruleVersion].terms;
        return (ruleVersion, terms.rewardPerPoint, terms.epochRewardCap);
    }

    /// @inheritdoc IRuleBook
    function expiryEpochsInForce() external view returns (uint16) {
        Head memory head = _head;
        uint32 inForce = block.timestamp >= head.latestEffectiveAt ? head.latest : head.previous;
        return _versions[inForce].terms.expiryEpochs; // zero (never) before the first ruleVersion
    }

    /// @inheritdoc IRuleBook
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    function _defineCategories(uint32 ruleVersion, uint16[] calldata categories, CategoryRule[] calldata rules)
        private
    {
        for (uint256 i = 0; i < categories.length; ++i) {
            uint16 category = categories[i];
            if (i > 0 && category <= categories[i - 1]) revert RuleBookInvalidCategoryList();
            CategoryRule memory rule = rules[i];
            _validate(category, rule);
            rule.active = true;
            _rules[ruleVersion][category] = rule;
            emit CategoryDefined(ruleVersion, category, rule);
        }
    }

    /// @dev Sends the new version to the ledger, with the categories of the version in force
    /// (`previous`) that it drops marked inactive. Both id lists are strictly ascending.
    function _pushToLedger(
        uint32 ruleVersion,
        uint32 previous,
        uint48 effectiveAt,
        RuleSetTerms calldata terms,
        uint16[] calldata categories
    ) private {
        uint16[] storage old = _versions[previous].categories;
        uint16[] memory ids = new uint16[](categories.length + old.length);
        CategoryRule[] memory merged = new CategoryRule[](ids.length);
        uint256 n;
        uint256 j;
        for (uint256 i = 0; i < categories.length; ++i) {
            for (; j < old.length && old[j] < categories[i]; ++j) {
                ids[n++] = old[j]; // dropped: inactive
            }
            if (j < old.length && old[j] == categories[i]) ++j;
            ids[n] = categories[i];
            merged[n++] = _rules[ruleVersion][categories[i]];
        }
        for (; j < old.length; ++j) {
            ids[n++] = old[j];
        }
        assembly ("memory-safe") {
            mstore(ids, n)
            mstore(merged, n)
        }
        _ledger.stageRules(ruleVersion, effectiveAt, terms.expiryEpochs, terms.appealWindow, ids, merged);
    }

    /// @dev When a version published now takes effect: at once for the first, after the notice
    /// period for every later one. Virtual only so that tests can deploy a tampered variant the
    /// auditor must catch; the deployed RuleBook never overrides it.
    function _effectiveAt(bool first, uint48 now_) internal view virtual returns (uint48) {
        return first ? now_ : now_ + _noticePeriod;
    }

    function _versionInForce() private view returns (uint32 ruleVersion) {
        Head memory head = _head;
        ruleVersion = block.timestamp >= head.latestEffectiveAt ? head.latest : head.previous;
        if (ruleVersion == 0) revert RuleBookNoVersionInForce(uint48(block.timestamp));
    }

    /// @dev A rule must be satisfiable: points and units positive, a quorum that evaluators can
    /// reach, and every required kind one that counts.
    function _validate(uint16 category, CategoryRule memory rule) private pure {
        uint256 countingKinds;
        for (uint256 kind = 0; kind < _KIND_COUNT; ++kind) {
            if ((rule.kindWeights >> (4 * kind)) & 0xF != 0) countingKinds |= 1 << kind;
        }
        bool invalid = rule.pointsPerUnit == 0 || rule.requiredKinds >> _KIND_COUNT != 0 || rule.maxUnits == 0
            || rule.minConfirmations == 0 || rule.threshold == 0 || countingKinds == 0
            || rule.kindWeights >> (4 * _KIND_COUNT) != 0 || rule.requiredKinds & ~countingKinds != 0
            || (rule.automated && rule.negative);
        if (invalid) revert RuleBookInvalidCategory(category);
    }
}
