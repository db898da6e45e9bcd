// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IEpochVerifier
/// @notice Residents' computers verify the ledger: for each epoch E, every registered resident may
/// recompute the Merkle root of the ledger's state at the end of E (each resident's credit and their
/// earnings in E) from on-chain events alone, and submit it by commit-reveal. When at least `quorum`
/// distinct residents revealed the same root, and that root holds a strict majority of the reveals,
/// the root is finalised and each of its revealers earns one unit of the automated "ledger
/// verification" category on the ledger. Disagreeing roots and epochs without consensus are emitted
/// for auditors. A finalised root lets any resident prove "my credit at E was at least X" with a
/// Merkle proof, without showing their history.
/// @dev Windows of epoch E follow the ledger's schedule (`epochSchedule()`), and all lie in the
/// ledger epochs after E, when E's events are final:
/// - commit:   [start(E+1), start(E+1) + commitWindow)
/// - reveal:   [commit close, commit close + revealWindow)
/// - finalize: from the reveal close on, by anyone. Verification credit is paid only while the ledger
///   epoch that contains the reveal close lasts (the "credit window"): each ledger epoch then credits
///   at most one verified epoch, so the category cap (one unit per epoch) never makes a finalisation
///   fail. A later finalisation still records the root (and the disagreements), without credit.
/// Leaves are `keccak256(bytes.concat(keccak256(abi.encode(address resident, uint256 credit,
/// uint256 earned))))`, sorted-pair hashing: OpenZeppelin's StandardMerkleTree with leaf encoding
/// `["address", "uint256", "uint256"]` builds the same root.
interface IEpochVerifier {
    /// @notice What became of an epoch.
    enum Outcome {
        OPEN, // not finalised yet
        FINALIZED, // a root reached quorum and a strict majority
        NO_CONSENSUS // finalised without a root: too few reveals, or no strict majority
    }

    // ---------------------------------------------------------------- errors
    /// @notice Constructor parameters: quorum >= 1, both windows > 0, and together at most one epoch.
    error VerifierInvalidConfig(uint256 quorum, uint256 commitWindow, uint256 revealWindow, uint256 epochLength);
    /// @notice Only registered residents of the ledger may commit.
    error VerifierNotResident(address account);
    /// @notice The commit window of `epoch` is [opensAt, closesAt).
    error VerifierOutsideCommitWindow(uint24 epoch, uint48 opensAt, uint48 closesAt);
    /// @notice The reveal window of `epoch` is [opensAt, closesAt).
    error VerifierOutsideRevealWindow(uint24 epoch, uint48 opensAt, uint48 closesAt);
    /// @notice A commitment must not be zero (zero means "no commitment").
    error VerifierInvalidCommitment(bytes32 commitment);
    /// @notice The resident already committed for `epoch`; a commitment cannot be replaced.
    error VerifierAlreadyCommitted(uint24 epoch, address resident);
    /// @notice The resident made no commitment for `epoch`, so has nothing to reveal.
    error VerifierNotCommitted(uint24 epoch, address resident);
    /// @notice `keccak256(abi.encode(root, salt, msg.sender))` is not the resident's commitment
    /// (e.g. a commitment copied from another resident, or a changed root).
    error VerifierCommitmentMismatch(uint24 epoch, address resident);
    /// @notice The resident already revealed for `epoch`.
    error VerifierAlreadyRevealed(uint24 epoch, address resident);
    /// @notice The zero root is never a valid state root.
    error VerifierInvalidRoot(bytes32 root);
    /// @notice `epoch` can be finalised from `opensAt` (the close of its reveal window).
    error VerifierFinalizeTooEarly(uint24 epoch, uint48 opensAt);
    /// @notice `epoch` was finalised already.
    error VerifierAlreadyFinalized(uint24 epoch);
    /// @notice Roots must be listed in strictly increasing order (so each only once).
    error VerifierRootsNotSorted(bytes32 root, bytes32 previous);
    /// @notice Nobody revealed `root` for `epoch`.
    error VerifierRootNotRevealed(uint24 epoch, bytes32 root);
    /// @notice The listed roots account for `listed` reveals, but `revealed` were made: list them all.
    error VerifierRootsIncomplete(uint24 epoch, uint256 listed, uint256 revealed);
    /// @notice The winning root was revealed by `expected` residents but `given` were listed.
    error VerifierWinnersMismatch(uint24 epoch, uint256 expected, uint256 given);
    /// @notice Winners must be listed in strictly increasing address order (so each only once).
    error VerifierWinnersNotSorted(address winner, address previous);
    /// @notice `account` did not reveal `root` for `epoch`.
    error VerifierNotRevealer(uint24 epoch, address account, bytes32 root);
    /// @notice No root was finalised for `epoch` (yet, or ever: no consensus).
    error VerifierNotFinalized(uint24 epoch);
    /// @notice The ledger call ran out of gas: retry the finalisation with a higher gas limit.
    error VerifierCreditingOutOfGas(uint24 epoch);

    // ---------------------------------------------------------------- events
    /// @notice A resident committed to a root for `epoch` without showing it.
    event Committed(uint24 indexed epoch, address indexed resident, bytes32 commitment);
    /// @notice A resident revealed the root committed to.
    event Revealed(uint24 indexed epoch, address indexed resident, bytes32 indexed root);
    /// @notice `root` is the consensus state root of `epoch`; `credited` of its `revealers` were paid.
    event EpochFinalized(uint24 indexed epoch, bytes32 indexed root, uint256 revealers, uint256 credited);
    /// @notice `count` residents revealed `root` for `epoch`, which is not the finalised root.
    event RootDisagreement(uint24 indexed epoch, bytes32 indexed root, uint256 count);
    /// @notice `epoch` closed without consensus: the leading root had `leadingCount` of `reveals`.
    event NoConsensus(uint24 indexed epoch, bytes32 leadingRoot, uint256 leadingCount, uint256 reveals, uint256 quorum);
    /// @notice The root was finalised but nobody was credited: finalised after the credit window
    /// (`late`), or the ledger refused (`reason` holds its revert data, e.g. the category is no
    /// longer active under the rules in force).
    event CreditingSkipped(uint24 indexed epoch, bool late, bytes reason);

    // ---------------------------------------------------------------- commit-reveal
    /// @notice Commits `commitment = keccak256(abi.encode(root, salt, msg.sender))` for `epoch`.
    /// Only registered residents, once per epoch, during the commit window.
    function commit(uint24 epoch, bytes32 commitment) external;

    /// @notice Reveals the committed `root` and `salt` for `epoch`, during the reveal window.
    function reveal(uint24 epoch, bytes32 root, bytes32 salt) external;

    /// @notice Closes `epoch` after its reveal window. Anyone may call it.
    /// @param roots every distinct root revealed for `epoch`, in strictly increasing order (from the
    /// {Revealed} events); checked complete against the number of reveals
    /// @param winners every resident who revealed the winning root, in strictly increasing address
    /// order; empty when no root reaches quorum and a strict majority
    function finalize(uint24 epoch, bytes32[] calldata roots, address[] calldata winners) external;

    // ---------------------------------------------------------------- selective disclosure
    /// @notice Whether `proof` shows that `resident` had `credit` at the end of `epoch` and earned
    /// `earned` points in it, against the finalised root. Reverts if `epoch` has no finalised root.
    function verifyCredit(uint24 epoch, address resident, uint256 credit, uint256 earned, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice Whether `proof` shows that `resident`'s credit at the end of `epoch` was at least
    /// `threshold`: the resident discloses the leaf (`credit`, `earned`) and its proof, nothing else.
    function provesAtLeast(
        uint24 epoch,
        address resident,
        uint256 threshold,
        uint256 credit,
        uint256 earned,
        bytes32[] calldata proof
    ) external view returns (bool);

    // ---------------------------------------------------------------- views
    /// @notice The commitment a resident makes for `root` and `salt`.
    function commitmentOf(bytes32 root, bytes32 salt, address resident) external pure returns (bytes32);

    /// @notice When the windows of `epoch` open and close (unix seconds).
    function windows(uint24 epoch)
        external
        view
        returns (uint48 commitOpens, uint48 revealOpens, uint48 revealCloses, uint48 creditCloses);

    /// @notice Reveals so far, the outcome and (if finalised) the root of `epoch`.
    function epochTally(uint24 epoch) external view returns (uint256 reveals, Outcome outcome, bytes32 root);

    /// @notice How many distinct residents revealed `root` for `epoch`.
    function revealCount(uint24 epoch, bytes32 root) external view returns (uint256);

    /// @notice Whether `resident` committed and whether they revealed for `epoch`.
    function ballotOf(uint24 epoch, address resident) external view returns (bool committed, bool revealed);

    /// @notice Whether `resident` revealed `root` for `epoch`.
    function hasRevealed(uint24 epoch, address resident, bytes32 root) external view returns (bool);

    /// @notice The finalised root of `epoch`, or zero.
    function finalRoot(uint24 epoch) external view returns (bytes32);

    /// @notice The ledger verified, the category its verifiers earn, and the quorum.
    function config() external view returns (address ledger, uint16 category, uint256 quorum);

    /// @notice Semantic version of this contract's code.
    function version() external pure returns (string memory);
}
