// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClaimSkip, EvaluatorKind, Endorsement, SignedClaim, SignedReport, ViolationStatus} from "../Common.sol";

/// @title ICreditLedger
/// @notice The participation ledger. Residents are registered by address only. A claim of
/// participation becomes credit only when evaluators of the required kinds confirm it; points are
/// computed here from the rule version in force and stamped with that version. Violations are
/// reported and confirmed the same way and deduct points; a resident may appeal a violation and an
/// arbiter decides. Credit is not transferable.
interface ICreditLedger {
    // ---------------------------------------------------------------- errors
    /// @notice The address is zero or otherwise not a valid resident.
    error LedgerInvalidResident(address account);
    /// @notice The admin given to the constructor is the zero address.
    error LedgerInvalidAdmin(address admin);
    /// @notice The resident is already registered.
    error LedgerAlreadyRegistered(address resident);
    /// @notice The account is not a registered resident (for a violation: was never registered).
    error LedgerNotRegistered(address account);
    /// @notice A batch must hold between 1 and 256 records.
    error LedgerInvalidBatchSize(uint256 size);
    /// @notice The signature was made by `signer`, not by `expected`.
    error LedgerInvalidSigner(address signer, address expected);
    /// @notice The signature's deadline has passed.
    error LedgerExpiredSignature(uint48 deadline);
    /// @notice The nonce is not the signer's next one.
    error LedgerInvalidNonce(address account, uint256 expected, uint256 given);
    /// @notice The resident's claim nonce is at its last value (type(uint32).max), which is never
    /// used: they can make no more claims from this address.
    error LedgerClaimNoncesExhausted(address resident);
    /// @notice Units are zero or more than the category allows per record.
    error LedgerInvalidUnits(uint16 category, uint16 units, uint16 maxUnits);
    /// @notice The activity lies in the future.
    error LedgerOccurredInFuture(uint48 occurredAt);
    /// @notice The category does not exist in the rule version in force.
    error LedgerUnknownCategory(uint16 category);
    /// @notice The category is credited only by the verifier contract, never by claims.
    error LedgerAutomatedCategory(uint16 category);
    /// @notice Only automated categories can be credited by the verifier contract.
    error LedgerNotAutomatedCategory(uint16 category);
    /// @notice A claim names a violation category, or a report names a participation category.
    error LedgerCategoryKindMismatch(uint16 category, bool negative);
    /// @notice The record would take the resident over the category's per-epoch cap.
    error LedgerCategoryCapExceeded(address resident, uint16 category, uint256 cap, uint256 wouldBe);
    /// @notice {relayClaimPacked} takes one claim plus whole endorsements; `length` is not that.
    error LedgerInvalidPackedLength(uint256 length);
    /// @notice A batch must carry between 1 and 64 endorsements.
    error LedgerInvalidEndorsementCount(uint256 count);
    /// @notice The evaluator kind is not one of SUPERIOR, PEER, PUBLIC, EXPERT.
    error LedgerInvalidEvaluatorKind(uint8 kind);
    /// @notice The endorsement mask names records outside the batch or none at all.
    error LedgerInvalidMask(uint256 mask);
    /// @notice Evaluators must appear in strictly increasing address order (so each only once).
    error LedgerEvaluatorsNotSorted(address evaluator, address previous);
    /// @notice The evaluator does not hold the role of the kind it confirms as.
    error LedgerEvaluatorLacksRole(address evaluator, EvaluatorKind kind);
    /// @notice A kind's confirmation count of a pending record is at its maximum (255).
    error LedgerTooManyConfirmations(bytes32 recordId, EvaluatorKind kind);
    /// @notice Nobody may confirm a record about themselves, nor a violation they reported.
    error LedgerSelfConfirmation(bytes32 recordId, address evaluator);
    /// @notice The evaluator already confirmed this pending record.
    error LedgerAlreadyConfirmed(bytes32 recordId, address evaluator);
    /// @notice The confirmations do not meet the category's quorum.
    error LedgerQuorumNotMet(bytes32 recordId, uint256 weight, uint256 confirmations, uint8 kindsPresent);
    /// @notice No pending record with this id.
    error LedgerUnknownPendingRecord(bytes32 recordId);
    /// @notice No violation with this id.
    error LedgerUnknownViolation(bytes32 recordId);
    /// @notice Only the resident the violation is about may appeal it.
    error LedgerNotAppellant(bytes32 recordId, address account);
    /// @notice The violation is not in a state that allows this step.
    error LedgerInvalidViolationStatus(bytes32 recordId, ViolationStatus status);
    /// @notice The appeal window closed at `deadline`.
    error LedgerAppealWindowClosed(bytes32 recordId, uint48 deadline);
    /// @notice Nobody decides their own appeal, not even an arbiter.
    error LedgerArbiterIsAppellant(bytes32 recordId, address arbiter);
    /// @notice The reporter does not hold an official evaluator role.
    error LedgerNotOfficialReporter(address reporter);

    // ---------------------------------------------------------------- events
    /// @notice A resident was registered (address only, no personal data).
    event ResidentRegistered(address indexed resident);
    /// @notice A resident left; their records and balance stay, they can no longer take part, and
    /// violations may still be reported against them (leaving is no escape from a report).
    event ResidentDeregistered(address indexed resident);
    /// @notice A resident cancelled every signature made with a nonce below `nextNonce`.
    event ClaimNonceCancelled(address indexed resident, uint32 nextNonce);
    /// @notice {relayClaims} left a claim out of its batch for `reason` and booked the others.
    /// Nothing of the claim was booked and the resident's nonce did not move.
    /// @param expectedNonce the resident's claim nonce at that point of the batch
    /// @param givenNonce the nonce the claim was signed with
    event ClaimSkipped(
        bytes32 indexed recordId, address indexed resident, ClaimSkip reason, uint32 expectedNonce, uint32 givenNonce
    );
    /// @notice A claim was submitted directly and waits for confirmations.
    event ClaimSubmitted(
        bytes32 indexed recordId,
        address indexed resident,
        uint16 category,
        uint16 units,
        uint48 occurredAt,
        bytes32 evidence
    );
    /// @notice A violation was reported directly and waits for confirmations.
    event ViolationReported(
        bytes32 indexed recordId,
        address indexed resident,
        address indexed reporter,
        uint16 category,
        uint16 units,
        uint48 occurredAt,
        bytes32 evidence
    );
    /// @notice An evaluator confirmed a pending record directly.
    event ConfirmationRecorded(bytes32 indexed recordId, address indexed evaluator, EvaluatorKind kind);
    /// @notice A participation record reached its quorum and credited `points`.
    /// @dev Relayed records name their evaluators only in the transaction's calldata, where anyone can
    /// recover them from the signatures (see docs/architecture.md); direct ones in ConfirmationRecorded.
    event RecordCredited(
        bytes32 indexed recordId,
        address indexed resident,
        uint16 category,
        uint16 units,
        uint48 points,
        uint16 ruleVersion
    );
    /// @notice A violation reached its quorum; `deducted` points (at most the balance) were removed.
    event ViolationRecorded(
        bytes32 indexed recordId,
        address indexed resident,
        uint16 category,
        uint16 units,
        uint48 points,
        uint48 deducted,
        uint16 ruleVersion,
        uint48 appealDeadline
    );
    /// @notice A balance lapsed after the rule set's expiry period without activity.
    event CreditExpired(address indexed resident, uint48 amount, uint24 lastActiveEpoch);
    /// @notice A resident appealed a violation; `statement` commits to their off-chain statement.
    event AppealFiled(bytes32 indexed recordId, address indexed resident, bytes32 statement);
    /// @notice An arbiter decided an appeal; if overturned, `restored` points were given back.
    event AppealResolved(
        bytes32 indexed recordId, address indexed arbiter, bool overturned, uint48 restored, bytes32 reason
    );

    // ---------------------------------------------------------------- residents
    /// @notice Registers residents by address. Only the registrar. All or nothing.
    function registerResidents(address[] calldata residents) external;

    /// @notice Deregisters a resident. The registrar, or the resident themself. Their balance stays
    /// (restored in full if they register again) and remains answerable to violation reports.
    function deregisterResident(address resident) external;

    /// @notice Cancels the caller's pending claim signatures by moving their nonce past them.
    /// @dev A claim nonce only moves forward and never wraps: `type(uint32).max` is never used by a
    /// claim, so moving there closes the caller's claims for good.
    function cancelClaimNonces(uint32 nextNonce) external;

    // ---------------------------------------------------------------- records, relayed
    /// @notice Credits a batch of claims, each signed by its resident, confirmed by evaluators who
    /// each sign once for the records they confirm. A claim its own resident voided after the
    /// evaluators signed (see {ClaimSkip}) is skipped with {ClaimSkipped}, without its quorum being
    /// checked; the batch reverts as a whole on anything else that is invalid.
    function relayClaims(SignedClaim[] calldata claims, Endorsement[] calldata endorsements) external;

    /// @notice {relayClaims} for one claim, in the tight encoding of {PackedClaim} (the same fields
    /// without ABI padding): the cheapest way to credit a single record. Each endorsement confirms
    /// that one record, so its evaluator signs the same `Confirmation` as for a batch of one. It
    /// has no other claim to protect, so it reverts where {relayClaims} would skip.
    function relayClaimPacked(bytes calldata packed) external;

    /// @notice Records a batch of reported violations, confirmed like claims. A report may name a
    /// resident or a former one. It is valid until its deadline and recorded once: a report whose
    /// record id is already recorded reverts with {LedgerInvalidViolationStatus}. Its nonce only
    /// tells apart otherwise identical reports; it is not the account nonce of {nonces}, so no
    /// permit, appeal or direct report can void a signed report.
    function relayReports(SignedReport[] calldata reports, Endorsement[] calldata endorsements) external;

    // ---------------------------------------------------------------- records, direct
    /// @notice Submits a claim from the caller (a registered resident); it waits for confirmations.
    function submitClaim(uint16 category, uint16 units, uint48 occurredAt, bytes32 evidence)
        external
        returns (bytes32 recordId);

    /// @notice Reports a violation by `resident` (registered now or before); the caller must hold an
    /// official evaluator role. Uses the caller's account nonce of {nonces} for the record id.
    function reportViolation(address resident, uint16 category, uint16 units, uint48 occurredAt, bytes32 evidence)
        external
        returns (bytes32 recordId);

    /// @notice Confirms a pending record as `kind`; credits it once its quorum is met.
    /// @return credited whether this confirmation completed the quorum
    function confirm(bytes32 recordId, EvaluatorKind kind) external returns (bool credited);

    // ---------------------------------------------------------------- automated records
    /// @notice Credits one unit of an automated category (e.g. ledger verification) to each of
    /// `residents`, under the rule in force and its cap. Only VERIFIER_ROLE (the verifier contract,
    /// whose consensus of distinct residents stands in for the evaluators' quorum).
    /// @param ref what was verified (e.g. the finalised epoch root); record id = keccak(ref, resident)
    function creditAutomated(uint16 category, address[] calldata residents, bytes32 ref) external;

    // ---------------------------------------------------------------- appeals
    /// @notice Appeals a confirmed violation; only the resident it is about, within the window.
    function fileAppeal(bytes32 recordId, bytes32 statement) external;

    /// @notice {fileAppeal} relayed with the resident's EIP-712 signature. Uses the account nonce of
    /// {nonces} (shared with permits), never the claim nonce, so pending claims stay valid.
    function fileAppealBySig(bytes32 recordId, bytes32 statement, uint256 nonce, uint48 deadline, bytes32 r, bytes32 vs)
        external;

    /// @notice Decides an appeal. Only the arbiter role, never on their own appeal. Overturning
    /// restores the deduction exactly. `reason` commits to the arbiter's written reasoning.
    function resolveAppeal(bytes32 recordId, bool overturn, bytes32 reason) external;

    /// @notice {resolveAppeal} relayed with the arbiter's EIP-712 signature of
    /// `Decision(bytes32 recordId,bool overturn,bytes32 reason,uint256 nonce,uint48 deadline)`.
    /// The signer must hold the arbiter role and not be the appellant; {AppealResolved} names the
    /// signer. Uses the signer's account nonce of {nonces}, so a signed decision is used once.
    /// @param nonce the arbiter's current account nonce
    /// @param deadline the last second (block time) the signature is valid
    /// @param r the signature's r (EIP-2098 compact form)
    /// @param vs the signature's s with the y-parity in its top bit
    function resolveAppealBySig(
        bytes32 recordId,
        bool overturn,
        bytes32 reason,
        uint256 nonce,
        uint48 deadline,
        bytes32 r,
        bytes32 vs
    ) external;

    // ---------------------------------------------------------------- views
    /// @notice Current credit of `resident`, with expiry applied. O(1).
    function creditOf(address resident) external view returns (uint256);

    /// @notice Whether `account` is a registered resident.
    function isResident(address account) external view returns (bool);

    /// @notice The resident's next claim nonce.
    function claimNonce(address resident) external view returns (uint32);

    /// @notice The resident's storage word, decoded, and the epoch after which credit lapses (0 = never).
    function residentState(address resident)
        external
        view
        returns (bool registered, uint32 nonce, uint48 rawBalance, uint24 lastActiveEpoch, uint24 expiresAfterEpoch);

    /// @notice Points `resident` earned in `epoch` and whether their reward for it was paid.
    function epochEarnings(address resident, uint24 epoch) external view returns (uint40 points, bool paid);

    /// @notice A violation's state.
    function violation(bytes32 recordId)
        external
        view
        returns (address resident, uint48 deducted, uint48 appealDeadline, ViolationStatus status);

    /// @notice A pending record's tally.
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
        );

    /// @notice The EIP-712 id of a claim (also its record id once credited).
    function claimId(
        address resident,
        uint16 category,
        uint16 units,
        uint48 occurredAt,
        bytes32 evidence,
        uint32 nonce,
        uint48 deadline
    ) external view returns (bytes32);

    /// @notice The EIP-712 id of a violation report.
    function reportId(
        address reporter,
        address resident,
        uint16 category,
        uint16 units,
        uint48 occurredAt,
        bytes32 evidence,
        uint32 nonce,
        uint48 deadline
    ) external view returns (bytes32);

    /// @notice Current epoch number (0 at deployment).
    function currentEpoch() external view returns (uint24);

    /// @notice Length of an epoch in seconds, and the start of epoch 0.
    function epochSchedule() external view returns (uint48 length, uint48 genesis);

    /// @notice Semantic version of this contract's code.
    function version() external pure returns (string memory);
}
