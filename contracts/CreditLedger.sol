// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {
    CategoryRule,
    ClaimSkip,
    EvaluatorKind,
    Endorsement,
    SignedClaim,
    SignedReport,
    ViolationStatus
} from "./Common.sol";
import {IRuleSink} from "./interfaces/IRuleSink.sol";
import {ICreditLedger} from "./interfaces/ICreditLedger.sol";
import {IRewardToken} from "./interfaces/IRewardToken.sol";
import {IRuleBook} from "./interfaces/IRuleBook.sol";
import {CapUsage, CapUsageWord} from "./libraries/CapUsage.sol";
import {PackedClaim} from "./libraries/PackedClaim.sol";
import {Resident, ResidentSlot} from "./libraries/ResidentWord.sol";
import {RewardTerms, RewardTermsWord} from "./libraries/RewardTerms.sol";
import {Rule, RuleSlot, RuleWord} from "./libraries/RuleWord.sol";
import {SpilledEarnings, SpilledEarningsWord} from "./libraries/SpilledEarnings.sol";
import {StagedWord} from "./libraries/StagedWord.sol";
import {KindCounts, Tally, TallyWord} from "./libraries/Tally.sol";

/// @title CreditLedger
/// @notice The participation ledger and its reward token. See {ICreditLedger} and {IRewardToken}.
/// @dev Trust assumptions:
/// - REGISTRAR_ROLE registers residents (addresses only). It cannot credit anyone.
/// - Credit needs the resident's own signed claim plus a quorum of evaluators holding the roles of
///   the kinds they confirm as (PEER = another registered resident). Nobody confirms their own record.
/// - Violations need an official reporter plus the same kind of quorum; the resident may appeal and
///   only ARBITER_ROLE decides, by a transaction or by a signature anyone may relay; an arbiter never
///   decides an appeal against themselves. Overturning restores exactly what was deducted.
/// - Leaving is no escape: a former resident keeps their balance, so violations may still be
///   reported, recorded and appealed against them; only an address never registered cannot be.
/// - A relayed report is valid until its deadline and recorded at most once (by its record id); no
///   other use of the reporter's account nonce (permits, appeals, direct reports) can void it.
/// - MINTER_ROLE only triggers reward payments; amounts come from earnings and the published rate.
/// - Relaying is permissionless: signatures, not the sender, carry authority.
/// - A claim nonce only moves forward and never wraps, so a booked claim can never be booked again.
///   What a resident can do to their own claim after its evaluators signed (use or cancel its
///   nonce, deregister, let its deadline pass) skips that claim in a batch, never the others.
/// The reward token lives in this contract so that paying a reward touches one contract's storage;
/// it is an ordinary OpenZeppelin ERC-20 with permit. Credit itself has no transfer function.
contract CreditLedger is ICreditLedger, IRewardToken, IRuleSink, ERC20Permit, AccessControl {
    using PackedClaim for bytes;

    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    bytes32 public constant SUPERIOR_ROLE = keccak256("SUPERIOR_ROLE");
    bytes32 public constant PUBLIC_PANEL_ROLE = keccak256("PUBLIC_PANEL_ROLE");
    bytes32 public constant EXPERT_ROLE = keccak256("EXPERT_ROLE");
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");

    bytes32 private constant _CLAIM_TYPEHASH = keccak256(
        "Claim(address resident,uint16 category,uint16 units,uint48 occurredAt,bytes32 evidence,uint32 nonce,uint48 deadline)"
    );
    bytes32 private constant _REPORT_TYPEHASH = keccak256(
        "Report(address reporter,address resident,uint16 category,uint16 units,uint48 occurredAt,bytes32 evidence,uint32 nonce,uint48 deadline)"
    );
    bytes32 private constant _CONFIRMATION_TYPEHASH =
        keccak256("Confirmation(bytes32[] records,uint8 kind,uint48 deadline)");
    bytes32 private constant _APPEAL_TYPEHASH =
        keccak256("Appeal(bytes32 recordId,bytes32 statement,uint256 nonce,uint48 deadline)");
    bytes32 private constant _DECISION_TYPEHASH =
        keccak256("Decision(bytes32 recordId,bool overturn,bytes32 reason,uint256 nonce,uint48 deadline)");

    uint256 private constant _MAX_BATCH = 256;
    uint256 private constant _MAX_ENDORSEMENTS = 64;
    uint256 private constant _EXPIRY_BITS = 16; // an expiry in epochs, in `_expiry`

    /// @dev One record on its way to the books, whichever path it came by. (Its evidence is in its id.)
    struct Rec {
        bytes32 id;
        address resident;
        uint16 category;
        uint16 units;
        uint48 occurredAt;
        uint48 deadline; // of a relayed claim's signature, checked when booking (else unused)
        uint32 nonce; // a relayed claim's nonce, checked when booking (else unused)
        address reporter; // who reported a violation (may not confirm it); zero for claims
    }

    struct Violation {
        address resident;
        uint48 deducted;
        uint40 appealDeadline;
        ViolationStatus status;
    }

    struct Pending {
        address resident;
        uint16 category;
        uint16 units;
        uint48 occurredAt;
        KindCounts kindCounts;
        bool violation;
        address reporter; // who reported a violation (may not confirm it); zero for claims
        bytes32 evidence;
    }

    IRuleBook private immutable _ruleBook;
    uint48 private immutable _epochLength;
    uint48 private immutable _genesis;

    mapping(address resident => ResidentSlot) private _residents;
    mapping(address resident => mapping(uint16 category => CapUsage)) private _usage;
    mapping(address resident => mapping(uint24 epoch => SpilledEarnings)) private _spilled;
    mapping(bytes32 recordId => Violation) private _violations;
    mapping(bytes32 recordId => Pending) private _pending;
    mapping(bytes32 recordId => mapping(address evaluator => bool)) private _confirmedBy;
    /// @custom:security write-protection="onlyRole(bytes32)"
    /// @dev Written only by {mintRewards}, under MINTER_ROLE.
    mapping(uint24 epoch => RewardTerms) private _epochRewards;
    /// @custom:security write-protection="_checkRuleBook()"
    /// @dev Written only by {stageRules}, called by the rule book.
    mapping(uint16 category => RuleSlot) private _rules;
    /// @custom:security write-protection="_checkRuleBook()"
    mapping(uint256 versionCategory => uint32 cap) private _caps; // see {_capKey}
    /// @custom:security write-protection="_checkRuleBook()"
    mapping(uint16 ruleVersion => uint32 seconds_) private _appealWindows;
    /// @custom:security write-protection="_checkRuleBook()"
    /// @dev The credit expiry of the rule sets (epochs; 0 = never), a {StagedWord} of 16-bit values.
    uint256 private _expiry;

    /// @param admin holder of DEFAULT_ADMIN_ROLE (a multisig or timelock in production)
    /// @param ruleBook_ the published rules credit is computed under
    /// @param epochLength seconds per epoch (reward and cap period); epoch 0 starts now
    constructor(address admin, IRuleBook ruleBook_, uint48 epochLength)
        ERC20("Consensus Credit Reward", "CCR")
        ERC20Permit("Consensus Credit")
    {
        if (admin == address(0)) revert LedgerInvalidAdmin(admin);
        _ruleBook = ruleBook_;
        _epochLength = epochLength;
        _genesis = uint48(block.timestamp);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ================================================================ rules

    /// @inheritdoc IRuleSink
    function stageRules(
        uint32 ruleVersion,
        uint48 effectiveAt,
        uint16 expiryEpochs,
        uint32 appealWindow,
        uint16[] calldata categories,
        CategoryRule[] calldata rules
    ) external {
        _checkRuleBook();
        uint16 v = uint16(ruleVersion); // the rule book keeps versions below 2**16
        for (uint256 i = 0; i < categories.length; ++i) {
            uint16 category = categories[i];
            _rules[category] =
                _rules[category].stage(RuleWord.pack(rules[i], expiryEpochs, v), effectiveAt, block.timestamp);
            if (rules[i].capPerEpoch != 0) _caps[_capKey(v, category)] = rules[i].capPerEpoch;
        }
        _appealWindows[v] = appealWindow;
        _expiry = StagedWord.stage(_expiry, _EXPIRY_BITS, expiryEpochs, effectiveAt, block.timestamp);
        emit RulesStaged(ruleVersion, effectiveAt, categories.length);
    }

    // ================================================================ residents

    /// @inheritdoc ICreditLedger
    function registerResidents(address[] calldata residents) external onlyRole(REGISTRAR_ROLE) {
        for (uint256 i = 0; i < residents.length; ++i) {
            address account = residents[i];
            if (account == address(0)) revert LedgerInvalidResident(account);
            ResidentSlot word = _residents[account];
            if (word.isRegistered()) revert LedgerAlreadyRegistered(account);
            _residents[account] = word.register(); // keeps any balance from an earlier registration
            emit ResidentRegistered(account);
        }
    }

    /// @inheritdoc ICreditLedger
    function deregisterResident(address resident) external {
        if (msg.sender != resident) _checkRole(REGISTRAR_ROLE);
        ResidentSlot word = _residents[resident];
        if (!word.isRegistered()) revert LedgerNotRegistered(resident);
        _residents[resident] = word.deregister();
        emit ResidentDeregistered(resident);
    }

    /// @inheritdoc ICreditLedger
    function cancelClaimNonces(uint32 nextNonce) external {
        Resident memory r = _registered(msg.sender);
        if (nextNonce <= r.nonce) revert LedgerInvalidNonce(msg.sender, r.nonce, nextNonce);
        r.nonce = nextNonce;
        _residents[msg.sender] = r.encode();
        emit ClaimNonceCancelled(msg.sender, nextNonce);
    }

    // ================================================================ relayed records

    /// @inheritdoc ICreditLedger
    function relayClaims(SignedClaim[] calldata claims, Endorsement[] calldata endorsements) external {
        (Rec[] memory recs, bytes32[] memory ids, Rule[] memory rules) = _newBatch(claims.length);
        for (uint256 i = 0; i < recs.length; ++i) {
            SignedClaim calldata c = claims[i];
            bytes32 id = claimId(c.resident, c.category, c.units, c.occurredAt, c.evidence, c.nonce, c.deadline);
            Rec memory rec = Rec(id, c.resident, c.category, c.units, c.occurredAt, c.deadline, c.nonce, address(0));
            _checkSigner(ECDSA.recover(rec.id, c.r, c.vs), c.resident);
            (recs[i], ids[i]) = (rec, rec.id);
            rules[i] = i > 0 && c.category == claims[i - 1].category ? rules[i - 1] : _ruleOf(c.category, false);
        }
        _relay(recs, ids, rules, endorsements, false);
    }

    /// @inheritdoc ICreditLedger
    function relayClaimPacked(bytes calldata packed) external {
        (uint256 m, bool whole) = packed.endorsementCount();
        if (!whole) revert LedgerInvalidPackedLength(packed.length);
        (address resident, uint16 category, uint16 units, uint48 occurredAt, bytes32 evidence) = packed.record();
        (uint48 deadline, uint32 nonce) = packed.terms();
        _checkDeadline(deadline);
        bytes32 domain = _domainSeparatorV4();
        bytes32 id = MessageHashUtils.toTypedDataHash(
            domain, _claimHash(resident, category, units, occurredAt, evidence, nonce, deadline)
        );
        (bytes32 r, bytes32 vs) = packed.claimSignature();
        _checkSigner(ECDSA.recover(id, r, vs), resident);
        Rule rule = _ruleOf(category, false);
        _checkQuorum(id, rule, _tallyPacked(id, resident, rule, domain, packed, m));
        Resident memory word = _registered(resident);
        if (nonce != word.nonce) revert LedgerInvalidNonce(resident, word.nonce, nonce);
        word.nonce = _nextNonce(resident, nonce);
        _book(word, Rec(id, resident, category, units, occurredAt, deadline, nonce, address(0)), rule, _epochNow());
    }

    /// @inheritdoc ICreditLedger
    function relayReports(SignedReport[] calldata reports, Endorsement[] calldata endorsements) external {
        (Rec[] memory recs, bytes32[] memory ids, Rule[] memory rules) = _newBatch(reports.length);
        for (uint256 i = 0; i < recs.length; ++i) {
            SignedReport calldata c = reports[i];
            _checkDeadline(c.deadline);
            _checkOfficial(c.reporter);
            bytes32 id =
                reportId(c.reporter, c.resident, c.category, c.units, c.occurredAt, c.evidence, c.nonce, c.deadline);
            Rec memory rec = Rec(id, c.resident, c.category, c.units, c.occurredAt, c.deadline, c.nonce, c.reporter);
            _checkSigner(ECDSA.recover(rec.id, c.r, c.vs), c.reporter);
            (recs[i], ids[i], rules[i]) = (rec, rec.id, _ruleOf(c.category, true));
        }
        _relay(recs, ids, rules, endorsements, true);
    }

    // ================================================================ direct records

    /// @inheritdoc ICreditLedger
    function submitClaim(uint16 category, uint16 units, uint48 occurredAt, bytes32 evidence)
        external
        returns (bytes32 recordId)
    {
        Resident memory r = _registered(msg.sender);
        _checkShape(category, units, occurredAt, _ruleOf(category, false));
        recordId = claimId(msg.sender, category, units, occurredAt, evidence, r.nonce, 0);
        r.nonce = _nextNonce(msg.sender, r.nonce);
        _residents[msg.sender] = r.encode();
        _pending[recordId] =
            Pending(msg.sender, category, units, occurredAt, KindCounts.wrap(0), false, address(0), evidence);
        emit ClaimSubmitted(recordId, msg.sender, category, units, occurredAt, evidence);
    }

    /// @inheritdoc ICreditLedger
    function reportViolation(address resident, uint16 category, uint16 units, uint48 occurredAt, bytes32 evidence)
        external
        returns (bytes32 recordId)
    {
        _checkOfficial(msg.sender);
        _reportable(resident);
        _checkShape(category, units, occurredAt, _ruleOf(category, true));
        uint32 nonce = uint32(_useNonce(msg.sender));
        recordId = reportId(msg.sender, resident, category, units, occurredAt, evidence, nonce, 0);
        _pending[recordId] =
            Pending(resident, category, units, occurredAt, KindCounts.wrap(0), true, msg.sender, evidence);
        emit ViolationReported(recordId, resident, msg.sender, category, units, occurredAt, evidence);
    }

    /// @inheritdoc ICreditLedger
    function confirm(bytes32 recordId, EvaluatorKind kind) external returns (bool credited) {
        Pending memory p = _pending[recordId];
        if (p.resident == address(0)) revert LedgerUnknownPendingRecord(recordId);
        _checkEvaluator(msg.sender, uint8(kind));
        if (msg.sender == p.resident || msg.sender == p.reporter) revert LedgerSelfConfirmation(recordId, msg.sender);
        if (_confirmedBy[recordId][msg.sender]) revert LedgerAlreadyConfirmed(recordId, msg.sender);
        _confirmedBy[recordId][msg.sender] = true;
        // Counts per kind (8 bits each, refused beyond 255), weighed under the rule in force when
        // the quorum is evaluated.
        if (p.kindCounts.countOf(uint8(kind)) == type(uint8).max) revert LedgerTooManyConfirmations(recordId, kind);
        KindCounts kindCounts = p.kindCounts.increment(uint8(kind));
        emit ConfirmationRecorded(recordId, msg.sender, kind);

        Rule rule = _ruleOf(p.category, p.violation);
        if (!_quorumMet(rule, _tallyFromCounts(kindCounts, rule))) {
            _pending[recordId].kindCounts = kindCounts;
            return false;
        }
        delete _pending[recordId];
        Rec memory rec = Rec(recordId, p.resident, p.category, p.units, p.occurredAt, 0, 0, address(0));
        _book(p.violation ? _reportable(p.resident) : _registered(p.resident), rec, rule, _epochNow());
        return true;
    }

    // ================================================================ automated records

    /// @inheritdoc ICreditLedger
    function creditAutomated(uint16 category, address[] calldata residents, bytes32 ref)
        external
        onlyRole(VERIFIER_ROLE)
    {
        Rule rule = _rules[category].resolve(block.timestamp);
        if (!rule.active()) revert LedgerUnknownCategory(category);
        if (!rule.automated()) revert LedgerNotAutomatedCategory(category);
        uint24 epoch = _epochNow();
        for (uint256 i = 0; i < residents.length; ++i) {
            address resident = residents[i];
            bytes32 id = keccak256(abi.encode(ref, resident));
            Rec memory rec = Rec(id, resident, category, 1, uint48(block.timestamp), 0, 0, address(0));
            _book(_registered(resident), rec, rule, epoch);
        }
    }

    // ================================================================ appeals

    /// @inheritdoc ICreditLedger
    function fileAppeal(bytes32 recordId, bytes32 statement) external {
        _fileAppeal(msg.sender, recordId, statement);
    }

    /// @inheritdoc ICreditLedger
    function fileAppealBySig(bytes32 recordId, bytes32 statement, uint256 nonce, uint48 deadline, bytes32 r, bytes32 vs)
        external
    {
        _checkDeadline(deadline);
        address resident = _violations[recordId].resident;
        if (resident == address(0)) revert LedgerUnknownViolation(recordId);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(_APPEAL_TYPEHASH, recordId, statement, nonce, deadline)));
        _checkSigner(ECDSA.recover(digest, r, vs), resident);
        // The account nonce (as for permits), so an appeal never invalidates pending signed claims.
        _useCheckedNonce(resident, nonce);
        _fileAppeal(resident, recordId, statement);
    }

    /// @inheritdoc ICreditLedger
    function resolveAppeal(bytes32 recordId, bool overturn, bytes32 reason) external onlyRole(ARBITER_ROLE) {
        _resolveAppeal(msg.sender, recordId, overturn, reason);
    }

    /// @inheritdoc ICreditLedger
    function resolveAppealBySig(
        bytes32 recordId,
        bool overturn,
        bytes32 reason,
        uint256 nonce,
        uint48 deadline,
        bytes32 r,
        bytes32 vs
    ) external {
        _checkDeadline(deadline);
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(_DECISION_TYPEHASH, recordId, overturn, reason, nonce, deadline)));
        // Another record, the opposite decision or another reason recovers another address, which
        // holds no arbiter role: the signature only ever decides what the arbiter signed.
        address arbiter = ECDSA.recover(digest, r, vs);
        _checkRole(ARBITER_ROLE, arbiter);
        // The account nonce (as for permits and appeals): a decision is relayed at most once.
        _useCheckedNonce(arbiter, nonce);
        _resolveAppeal(arbiter, recordId, overturn, reason);
    }

    // ================================================================ rewards

    /// @inheritdoc IRewardToken
    function mintRewards(uint24 epoch, address[] calldata residents) external onlyRole(MINTER_ROLE) {
        if (epoch >= _epochNow()) revert RewardEpochNotEnded(epoch);
        RewardTerms terms = _epochRewards[epoch];
        if (!terms.isFixed()) terms = _fixRewardTerms(epoch);
        uint256 rate = terms.rate();
        uint256 cap = terms.cap();
        uint256 minted = terms.minted();
        for (uint256 i = 0; i < residents.length; ++i) {
            address resident = residents[i];
            uint40 points = _takeEarnings(resident, epoch);
            uint256 amount = points * rate;
            minted += amount;
            if (minted > cap) revert RewardEpochCapExceeded(epoch, cap, minted);
            if (amount != 0) _mint(resident, amount);
            emit RewardMinted(resident, epoch, points, amount);
        }
        _epochRewards[epoch] = terms.withMinted(minted);
    }

    // ================================================================ views

    /// @inheritdoc ICreditLedger
    function creditOf(address resident) external view returns (uint256) {
        Resident memory r = _residents[resident].decode();
        if (_lapsed(r, _expiryNow(), _epochNow())) return 0;
        return r.balance;
    }

    /// @inheritdoc ICreditLedger
    function isResident(address account) external view returns (bool) {
        return _residents[account].isRegistered();
    }

    /// @inheritdoc ICreditLedger
    function claimNonce(address resident) external view returns (uint32) {
        return _residents[resident].decode().nonce;
    }

    /// @inheritdoc ICreditLedger
    function residentState(address resident)
        external
        view
        returns (bool registered, uint32 nonce, uint48 rawBalance, uint24 lastActiveEpoch, uint24 expiresAfterEpoch)
    {
        Resident memory r = _residents[resident].decode();
        uint256 expiry = _expiryNow();
        uint24 lapse = expiry == 0 ? 0 : uint24(r.lastActiveEpoch + expiry);
        return (r.registered, r.nonce, r.balance, r.lastActiveEpoch, lapse);
    }

    /// @inheritdoc ICreditLedger
    function epochEarnings(address resident, uint24 epoch) external view returns (uint40 points, bool paid) {
        Resident memory r = _residents[resident].decode();
        if (r.currentEpoch == epoch) return (r.currentEarned, r.currentPaid);
        if (r.previousEpoch == epoch) return (r.previousEarned, r.previousPaid);
        SpilledEarnings spilled = _spilled[resident][epoch];
        return (spilled.points(), spilled.paid());
    }

    /// @inheritdoc IRewardToken
    function epochRewards(uint24 epoch) external view returns (uint80 rewardPerPoint, uint88 cap, uint88 minted) {
        RewardTerms terms = _epochRewards[epoch];
        return (terms.rate(), terms.cap(), terms.minted());
    }

    /// @inheritdoc ICreditLedger
    function violation(bytes32 recordId)
        external
        view
        returns (address resident, uint48 deducted, uint48 appealDeadline, ViolationStatus status)
    {
        Violation memory v = _violations[recordId];
        return (v.resident, v.deducted, v.appealDeadline, v.status);
    }

    /// @inheritdoc ICreditLedger
    function pendingRecord(bytes32 recordId)
        external
        view
        returns (
            address resident,
            uint16 category,
            uint16 units,
            uint16 weight,
            uint16 confirmations,
            uint8 kindsPresent
        )
    {
        Pending memory p = _pending[recordId];
        if (p.resident == address(0)) revert LedgerUnknownPendingRecord(recordId);
        Tally tally = _tallyFromCounts(p.kindCounts, _ruleOf(p.category, p.violation));
        return (p.resident, p.category, p.units, tally.weight(), tally.confirmations(), tally.kinds());
    }

    /// @inheritdoc ICreditLedger
    function claimId(
        address resident,
        uint16 category,
        uint16 units,
        uint48 occurredAt,
        bytes32 evidence,
        uint32 nonce,
        uint48 deadline
    ) public view returns (bytes32) {
        return _hashTypedDataV4(_claimHash(resident, category, units, occurredAt, evidence, nonce, deadline));
    }

    /// @inheritdoc ICreditLedger
    function reportId(
        address reporter,
        address resident,
        uint16 category,
        uint16 units,
        uint48 occurredAt,
        bytes32 evidence,
        uint32 nonce,
        uint48 deadline
    ) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(_REPORT_TYPEHASH, reporter, resident, category, units, occurredAt, evidence, nonce, deadline)
            )
        );
    }

    /// @inheritdoc ICreditLedger
    function currentEpoch() external view returns (uint24) {
        return _epochNow();
    }

    /// @inheritdoc ICreditLedger
    function epochSchedule() external view returns (uint48 length, uint48 genesis) {
        return (_epochLength, _genesis);
    }

    /// @notice The rule book this ledger computes credit under.
    function ruleBook() external view returns (IRuleBook) {
        return _ruleBook;
    }

    /// @inheritdoc ICreditLedger
    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    // ================================================================ internals: booking

    /// @dev Books a record whose quorum was checked: credits a claim or deducts a violation.
    function _book(Resident memory r, Rec memory rec, Rule rule, uint24 epoch) private {
        _checkShape(rec.category, rec.units, rec.occurredAt, rule);
        uint48 points = uint48(rec.units * rule.pointsPerUnit()); // < 2**32: uint16 * uint16
        uint16 ruleVersion = rule.version();
        if (_lapsed(r, rule.expiryEpochs(), epoch)) {
            emit CreditExpired(rec.resident, r.balance, r.lastActiveEpoch);
            r.balance = 0;
        }
        if (rule.negative()) {
            uint48 deducted = points < r.balance ? points : r.balance;
            r.balance -= deducted;
            uint40 appealDeadline = uint40(block.timestamp + _appealWindows[ruleVersion]);
            _violations[rec.id] = Violation(rec.resident, deducted, appealDeadline, ViolationStatus.RECORDED);
            _residents[rec.resident] = r.encode();
            emit ViolationRecorded(
                rec.id, rec.resident, rec.category, rec.units, points, deducted, ruleVersion, appealDeadline
            );
            return;
        }
        if (rule.capped()) _useCap(rec.resident, rec.category, ruleVersion, points, epoch);
        r.balance = SafeCast.toUint48(uint256(r.balance) + points);
        r.lastActiveEpoch = epoch;
        if (r.currentEpoch != epoch) _rollEarnings(rec.resident, r, epoch);
        r.currentEarned = SafeCast.toUint40(uint256(r.currentEarned) + points);
        _residents[rec.resident] = r.encode();
        emit RecordCredited(rec.id, rec.resident, rec.category, rec.units, points, ruleVersion);
    }

    /// @dev Moves the earnings window forward to `epoch`. Unpaid earnings that fall out of the
    /// two-epoch window are kept in `_spilled` so no reward is ever lost to a late payment run.
    function _rollEarnings(address resident, Resident memory r, uint24 epoch) private {
        if (r.previousEarned != 0 && !r.previousPaid) {
            _spilled[resident][r.previousEpoch] = SpilledEarningsWord.pack(r.previousEarned);
        }
        r.previousEpoch = r.currentEpoch;
        r.previousEarned = r.currentEarned;
        r.previousPaid = r.currentPaid;
        r.currentEpoch = epoch;
        r.currentEarned = 0;
        r.currentPaid = false;
    }

    function _useCap(address resident, uint16 category, uint16 ruleVersion, uint48 points, uint24 epoch) private {
        uint256 cap = _caps[_capKey(ruleVersion, category)];
        uint256 used = _usage[resident][category].pointsIn(epoch) + points;
        if (used > cap) revert LedgerCategoryCapExceeded(resident, category, cap, used);
        _usage[resident][category] = CapUsageWord.pack(epoch, used);
    }

    function _fileAppeal(address account, bytes32 recordId, bytes32 statement) private {
        Violation storage v = _violations[recordId];
        if (v.resident == address(0)) revert LedgerUnknownViolation(recordId);
        if (v.resident != account) revert LedgerNotAppellant(recordId, account);
        if (v.status != ViolationStatus.RECORDED) revert LedgerInvalidViolationStatus(recordId, v.status);
        if (block.timestamp > v.appealDeadline) revert LedgerAppealWindowClosed(recordId, v.appealDeadline);
        v.status = ViolationStatus.APPEALED;
        emit AppealFiled(recordId, account, statement);
    }

    /// @dev Decides `recordId`'s appeal as `arbiter`, who already proved the arbiter role.
    function _resolveAppeal(address arbiter, bytes32 recordId, bool overturn, bytes32 reason) private {
        Violation storage v = _violations[recordId];
        if (v.status != ViolationStatus.APPEALED) revert LedgerInvalidViolationStatus(recordId, v.status);
        if (v.resident == arbiter) revert LedgerArbiterIsAppellant(recordId, arbiter);
        uint48 restored;
        if (overturn) {
            restored = v.deducted;
            Resident memory r = _residents[v.resident].decode();
            r.balance = SafeCast.toUint48(uint256(r.balance) + restored);
            _residents[v.resident] = r.encode();
            v.status = ViolationStatus.OVERTURNED;
        } else {
            v.status = ViolationStatus.UPHELD;
        }
        emit AppealResolved(recordId, arbiter, overturn, restored, reason);
    }

    /// @dev Marks `resident`'s earnings of `epoch` as paid and returns them.
    function _takeEarnings(address resident, uint24 epoch) private returns (uint40 points) {
        Resident memory r = _residents[resident].decode();
        bool paid;
        if (r.currentEpoch == epoch && (r.currentEarned != 0 || r.currentPaid)) {
            (points, paid) = (r.currentEarned, r.currentPaid);
            r.currentPaid = true;
        } else if (r.previousEpoch == epoch && (r.previousEarned != 0 || r.previousPaid)) {
            (points, paid) = (r.previousEarned, r.previousPaid);
            r.previousPaid = true;
        } else {
            SpilledEarnings spilled = _spilled[resident][epoch];
            (points, paid) = (spilled.points(), spilled.paid());
            if (points != 0 && !paid) _spilled[resident][epoch] = spilled.markPaid();
        }
        if (paid) revert RewardAlreadyPaid(resident, epoch);
        if (points == 0) revert RewardNothingEarned(resident, epoch);
        _residents[resident] = r.encode();
    }

    function _fixRewardTerms(uint24 epoch) private returns (RewardTerms terms) {
        uint48 lastSecond = _genesis + (uint48(epoch) + 1) * _epochLength - 1;
        (uint32 ruleVersion, uint80 rate, uint88 cap) = _ruleBook.rewardTermsAt(lastSecond);
        emit RewardTermsFixed(epoch, ruleVersion, rate, cap);
        return RewardTermsWord.pack(rate, cap);
    }

    // ================================================================ internals: relaying

    /// @dev The empty arrays of a relayed batch of `n` records, after checking its size.
    function _newBatch(uint256 n) private pure returns (Rec[] memory recs, bytes32[] memory ids, Rule[] memory rules) {
        if (n == 0 || n > _MAX_BATCH) revert LedgerInvalidBatchSize(n);
        (recs, ids, rules) = (new Rec[](n), new bytes32[](n), new Rule[](n));
    }

    /// @dev Books the records of a relayed batch, whose signers were checked, once `endorsements`
    /// confirm them. A claim its own resident voided after its evaluators signed (expired, deregistered,
    /// nonce used or cancelled) is skipped alone; any other failure reverts the batch.
    function _relay(
        Rec[] memory recs,
        bytes32[] memory ids,
        Rule[] memory rules,
        Endorsement[] calldata endorsements,
        bool violations
    ) private {
        Tally[] memory tallies = _tally(recs, ids, rules, endorsements);
        uint24 epoch = _epochNow();
        for (uint256 i = 0; i < recs.length; ++i) {
            Rec memory rec = recs[i];
            if (violations) {
                _checkQuorum(rec.id, rules[i], tallies[i]);
                // Replay protection is the record id: booking sets the status, so a second copy, in
                // this batch or a later one, finds it. (The slot is written by {_book} right after.)
                ViolationStatus status = _violations[rec.id].status;
                if (status != ViolationStatus.NONE) revert LedgerInvalidViolationStatus(rec.id, status);
                _book(_reportable(rec.resident), rec, rules[i], epoch);
                continue;
            }
            Resident memory r = _residents[rec.resident].decode();
            // What the claim's own resident can change after its evaluators signed skips this claim
            // alone: one resident must not undo the confirmations of everyone else in the batch.
            ClaimSkip skip;
            if (block.timestamp > rec.deadline) {
                skip = ClaimSkip.EXPIRED;
            } else if (!r.registered) {
                skip = ClaimSkip.NOT_REGISTERED;
            } else if (rec.nonce != r.nonce || rec.nonce == type(uint32).max) {
                skip = ClaimSkip.NONCE;
            } else {
                _checkQuorum(rec.id, rules[i], tallies[i]);
                unchecked {
                    ++r.nonce; // r.nonce == rec.nonce < type(uint32).max: checked just above
                }
                _book(r, rec, rules[i], epoch);
                continue;
            }
            emit ClaimSkipped(rec.id, rec.resident, skip, r.nonce, rec.nonce);
        }
    }

    /// @dev Verifies every endorsement and adds its evaluator to the tally of each record it names.
    /// Nobody confirms a record about themselves, nor a violation they reported.
    function _tally(Rec[] memory recs, bytes32[] memory ids, Rule[] memory rules, Endorsement[] calldata endorsements)
        private
        view
        returns (Tally[] memory tallies)
    {
        uint256 n = recs.length;
        uint256 m = endorsements.length;
        if (m == 0 || m > _MAX_ENDORSEMENTS) revert LedgerInvalidEndorsementCount(m);
        tallies = new Tally[](n);
        uint256 all = n == _MAX_BATCH ? type(uint256).max : (1 << n) - 1;
        address previous;
        for (uint256 j = 0; j < m; ++j) {
            Endorsement calldata e = endorsements[j];
            uint256 mask = e.mask;
            if (mask == 0 || mask & ~all != 0) revert LedgerInvalidMask(mask);
            _checkDeadline(e.deadline);
            bytes32 digest = _confirmationDigest(ids, mask, all, e.kind, e.deadline);
            address evaluator = ECDSA.recover(digest, e.r, e.vs);
            if (evaluator <= previous) revert LedgerEvaluatorsNotSorted(evaluator, previous);
            previous = evaluator;
            uint256 kind = e.kind;
            _checkEvaluator(evaluator, uint8(kind));
            uint256 flag = TallyWord.kindFlag(kind);
            for (uint256 i = 0; i < n; ++i) {
                if ((mask >> i) & 1 == 0) continue;
                Rec memory rec = recs[i];
                if (rec.resident == evaluator || rec.reporter == evaluator) {
                    revert LedgerSelfConfirmation(rec.id, evaluator);
                }
                uint256 weight = rules[i].weightOf(kind);
                if (weight != 0) tallies[i] = tallies[i].add(weight, flag); // a kind of no weight adds nothing
            }
        }
    }

    /// @dev {_tally} for the one record of {relayClaimPacked}: `m` endorsements, each over its id.
    function _tallyPacked(bytes32 id, address subject, Rule rule, bytes32 domain, bytes calldata packed, uint256 m)
        private
        view
        returns (Tally tally)
    {
        if (m == 0 || m > _MAX_ENDORSEMENTS) revert LedgerInvalidEndorsementCount(m);
        bytes32 listHash;
        assembly ("memory-safe") {
            mstore(0, id)
            listHash := keccak256(0, 32)
        }
        bytes32 typeHash = _CONFIRMATION_TYPEHASH;
        address previous;
        for (uint256 j = 0; j < m; ++j) {
            (uint8 kind, uint48 deadline, bytes32 r, bytes32 vs) = packed.endorsement(j);
            _checkDeadline(deadline);
            bytes32 structHash;
            // keccak256(abi.encode(_CONFIRMATION_TYPEHASH, listHash, kind, deadline)), hashed in the
            // free memory it would be encoded in, without claiming it (kind and deadline are clean:
            // shifted down from calldata).
            assembly ("memory-safe") {
                let p := mload(0x40)
                mstore(p, typeHash)
                mstore(add(p, 0x20), listHash)
                mstore(add(p, 0x40), kind)
                mstore(add(p, 0x60), deadline)
                structHash := keccak256(p, 0x80)
            }
            bytes32 digest = MessageHashUtils.toTypedDataHash(domain, structHash);
            address evaluator = ECDSA.recover(digest, r, vs);
            if (evaluator <= previous) revert LedgerEvaluatorsNotSorted(evaluator, previous);
            previous = evaluator;
            _checkEvaluator(evaluator, kind);
            if (subject == evaluator) revert LedgerSelfConfirmation(id, evaluator);
            uint256 weight = rule.weightOf(kind);
            if (weight != 0) tally = tally.add(weight, TallyWord.kindFlag(kind)); // a kind of no weight adds nothing
        }
    }

    /// @dev EIP-712 digest an evaluator signs: the ids of the records selected by `mask`, in order
    /// (`all`: the mask of every record).
    function _confirmationDigest(bytes32[] memory recordIds, uint256 mask, uint256 all, uint8 kind, uint48 deadline)
        private
        view
        returns (bytes32)
    {
        bytes32 listHash;
        if (mask == all) {
            assembly ("memory-safe") {
                listHash := keccak256(add(recordIds, 32), mul(mload(recordIds), 32))
            }
        } else {
            listHash = _selectedHash(recordIds, mask);
        }
        return _hashTypedDataV4(keccak256(abi.encode(_CONFIRMATION_TYPEHASH, listHash, kind, deadline)));
    }

    /// @dev keccak256 of the ids selected by `mask`, in order, without padding.
    function _selectedHash(bytes32[] memory recordIds, uint256 mask) private pure returns (bytes32 listHash) {
        bytes memory ids = new bytes(32 * recordIds.length);
        uint256 count;
        for (uint256 i = 0; i < recordIds.length; ++i) {
            if ((mask >> i) & 1 == 0) continue;
            bytes32 id = recordIds[i];
            // Unchecked assembly arithmetic: count <= i < recordIds.length, so the word written lies
            // inside `ids` (32 bytes per record) and no offset comes near 2**256.
            assembly ("memory-safe") {
                mstore(add(add(ids, 32), mul(count, 32)), id)
            }
            ++count;
        }
        assembly ("memory-safe") {
            listHash := keccak256(add(ids, 32), mul(count, 32))
        }
    }

    // ================================================================ internals: checks

    function _tallyFromCounts(KindCounts counts, Rule rule) private pure returns (Tally tally) {
        for (uint256 kind = 0; kind < 4; ++kind) {
            uint256 count = counts.countOf(kind);
            uint256 weight = rule.weightOf(kind);
            if (count == 0 || weight == 0) continue;
            tally = tally.addMany(kind, weight, count);
        }
    }

    function _quorumMet(Rule rule, Tally tally) private pure returns (bool) {
        uint256 required = rule.requiredKinds();
        return tally.weight() >= rule.threshold() && tally.confirmations() >= rule.minConfirmations()
            && tally.kinds() & required == required;
    }

    function _checkQuorum(bytes32 id, Rule rule, Tally tally) private pure {
        if (!_quorumMet(rule, tally)) {
            revert LedgerQuorumNotMet(id, tally.weight(), tally.confirmations(), tally.kinds());
        }
    }

    /// @dev The rule in force for `category`; it must exist and be of the expected polarity.
    function _ruleOf(uint16 category, bool negative) private view returns (Rule rule) {
        rule = _rules[category].resolve(block.timestamp);
        if (!rule.active()) revert LedgerUnknownCategory(category);
        if (rule.negative() != negative) revert LedgerCategoryKindMismatch(category, rule.negative());
        if (rule.automated()) revert LedgerAutomatedCategory(category);
    }

    /// @dev Credit expiry (epochs) of the rule set in force; 0 = never.
    function _expiryNow() private view returns (uint16) {
        return uint16(StagedWord.inForce(_expiry, _EXPIRY_BITS, block.timestamp));
    }

    /// @dev The key of `category`'s cap under rule-set version `ruleVersion` in `_caps`.
    function _capKey(uint16 ruleVersion, uint16 category) private pure returns (uint256) {
        return (uint256(ruleVersion) << 16) | category;
    }

    /// @dev Only the rule book pushes rules (a function, so Slither can check every write of rule state).
    function _checkRuleBook() private view {
        if (msg.sender != address(_ruleBook)) revert RuleSinkUnauthorizedRuleBook(msg.sender);
    }

    /// @dev Virtual only so that tests can deploy a tampered variant the auditor must catch; the
    /// deployed CreditLedger never overrides it.
    function _checkEvaluator(address evaluator, uint8 kind) internal view virtual {
        bool ok;
        if (kind == uint8(EvaluatorKind.SUPERIOR)) ok = hasRole(SUPERIOR_ROLE, evaluator);
        else if (kind == uint8(EvaluatorKind.PEER)) ok = _residents[evaluator].isRegistered();
        else if (kind == uint8(EvaluatorKind.PUBLIC)) ok = hasRole(PUBLIC_PANEL_ROLE, evaluator);
        else if (kind == uint8(EvaluatorKind.EXPERT)) ok = hasRole(EXPERT_ROLE, evaluator);
        else revert LedgerInvalidEvaluatorKind(kind);
        if (!ok) revert LedgerEvaluatorLacksRole(evaluator, EvaluatorKind(kind));
    }

    function _checkOfficial(address reporter) private view {
        bool official =
            hasRole(SUPERIOR_ROLE, reporter) || hasRole(PUBLIC_PANEL_ROLE, reporter) || hasRole(EXPERT_ROLE, reporter);
        if (!official) revert LedgerNotOfficialReporter(reporter);
    }

    function _checkShape(uint16 category, uint16 units, uint48 occurredAt, Rule rule) private view {
        uint256 maxUnits = rule.maxUnits();
        if (units == 0 || units > maxUnits) revert LedgerInvalidUnits(category, units, uint16(maxUnits));
        if (occurredAt > block.timestamp) revert LedgerOccurredInFuture(occurredAt);
    }

    function _checkDeadline(uint48 deadline) private view {
        if (block.timestamp > deadline) revert LedgerExpiredSignature(deadline);
    }

    function _checkSigner(address signer, address expected) private pure {
        if (signer != expected) revert LedgerInvalidSigner(signer, expected);
    }

    /// @dev The claim nonce after `nonce`, `resident`'s current one. A nonce never returns to a value
    /// it held (that would make claims signed with it valid again): the last value is never used.
    function _nextNonce(address resident, uint32 nonce) private pure returns (uint32) {
        if (nonce == type(uint32).max) revert LedgerClaimNoncesExhausted(resident);
        unchecked {
            return nonce + 1; // nonce < type(uint32).max: checked on the line above
        }
    }

    function _registered(address account) private view returns (Resident memory r) {
        r = _residents[account].decode();
        if (!r.registered) revert LedgerNotRegistered(account);
    }

    /// @dev Who a violation may name: a resident, or a former one (deregistration keeps `joined`).
    function _reportable(address account) private view returns (Resident memory r) {
        r = _residents[account].decode();
        if (!r.joined) revert LedgerNotRegistered(account);
    }

    function _lapsed(Resident memory r, uint16 expiryEpochs, uint24 epoch) private pure returns (bool) {
        return expiryEpochs != 0 && r.balance != 0 && uint256(epoch) > uint256(r.lastActiveEpoch) + expiryEpochs;
    }

    function _epochNow() private view returns (uint24) {
        return uint24((block.timestamp - _genesis) / _epochLength);
    }

    function _claimHash(
        address resident,
        uint16 category,
        uint16 units,
        uint48 occurredAt,
        bytes32 evidence,
        uint32 nonce,
        uint48 deadline
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(_CLAIM_TYPEHASH, resident, category, units, occurredAt, evidence, nonce, deadline));
    }
}
