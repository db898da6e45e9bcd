// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Shared types of the Consensus Credit contracts. Nothing here is personal data: only addresses,
// hashes and numbers ever reach the chain.

/// @notice The kinds of evaluator whose confirmations make a record count ("diversified evaluation").
/// @dev SUPERIOR, PUBLIC and EXPERT are AccessControl roles on the ledger; PEER is any registered
/// resident other than the one the record is about.
enum EvaluatorKind {
    SUPERIOR, // an organiser or municipal department
    PEER, // another registered resident
    PUBLIC, // a member of the citizens' evaluation panel
    EXPERT // an appointed domain expert
}

/// @notice One activity category under one rule-set version, as published in the rule book.
/// @dev The ledger keeps it packed (see {RuleWord}) so that one read gives every check its data.
struct CategoryRule {
    uint16 pointsPerUnit; // credit points per unit; for a violation, points deducted per unit
    uint8 maxUnits; // most units a single record may carry
    uint32 capPerEpoch; // most points one resident may earn in this category per epoch; 0 = uncapped
    uint8 minConfirmations; // distinct evaluators needed
    uint8 threshold; // summed evaluator weight needed
    uint16 kindWeights; // 4 bits per EvaluatorKind, SUPERIOR in the lowest nibble; 0 = kind does not count
    uint8 requiredKinds; // bit i set = EvaluatorKind(i) must be among the confirmers
    bool negative; // a violation category: confirmed records deduct points
    bool automated; // credited only by a contract holding VERIFIER_ROLE (e.g. ledger verification)
    bool active; // the category exists in this version (set by the rule book)
}

/// @notice Rule-set wide terms published with each version.
struct RuleSetTerms {
    bytes32 contentHash; // keccak256 of the canonical JSON of the whole rule set, off-chain notice rules included
    uint16 expiryEpochs; // credit lapses after this many epochs without a credited record; 0 = never
    uint32 appealWindow; // seconds a resident has to appeal a confirmed violation
    uint80 rewardPerPoint; // reward-token base units paid per credit point earned in an epoch
    uint88 epochRewardCap; // most reward-token base units minted for one epoch
}

/// @notice A resident's claim of participation, relayed with the resident's EIP-712 signature.
/// @dev Static struct (no dynamic members) so calldata decoding stays cheap. `r`/`vs` is an
/// EIP-2098 compact signature.
struct SignedClaim {
    address resident; // who took part (and signed)
    uint16 category; // activity category id
    uint16 units; // how much (hours, sessions, ...), as the category defines
    uint48 occurredAt; // when it happened (unix seconds)
    uint48 deadline; // signature expiry (unix seconds)
    uint32 nonce; // the resident's claim nonce
    bytes32 evidence; // salted commitment to off-chain evidence, or zero
    bytes32 r;
    bytes32 vs;
}

/// @notice A report of a violation by an official evaluator, relayed with the reporter's signature.
struct SignedReport {
    address reporter; // who reports (holds an official evaluator role) and signed
    address resident; // who the report is about
    uint16 category; // a negative (violation) category
    uint16 units;
    uint48 occurredAt;
    uint48 deadline;
    uint32 nonce; // any number: tells apart otherwise identical reports (replays fail by record id)
    bytes32 evidence;
    bytes32 r;
    bytes32 vs;
}

/// @notice Why {ICreditLedger-relayClaims} skipped a claim instead of booking it. Each is something the
/// claim's own resident can bring about after its evaluators signed, so it voids that claim only and
/// never the rest of the batch.
enum ClaimSkip {
    EXPIRED, // the resident's signature expired before the batch was mined
    NOT_REGISTERED, // the resident is not (or no longer) registered
    NONCE // the nonce is not the resident's next one (used or cancelled), or it is the last value
}

/// @notice One evaluator's confirmation of several records of a batch with one signature.
/// @dev The evaluator signs `Confirmation(bytes32[] records,uint8 kind,uint48 deadline)` over the ids
/// of the records whose bits are set in `mask`, in batch order. Signers must be in strictly increasing
/// address order across a batch, which makes them distinct without storage.
struct Endorsement {
    uint8 kind; // EvaluatorKind the evaluator confirms as
    uint48 deadline;
    uint256 mask; // bit i set = confirms the i-th record of the batch
    bytes32 r;
    bytes32 vs;
}

/// @notice Lifecycle of a confirmed violation.
enum ViolationStatus {
    NONE,
    RECORDED, // deducted; may be appealed until its deadline
    APPEALED, // an appeal waits for an arbiter
    UPHELD, // the arbiter upheld the violation
    OVERTURNED // the arbiter overturned it and the deduction was restored exactly
}
