// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IEpochVerifier
/// @notice Residents' computers verify the ledger: for each epoch E, every registered resident may
/// recompute the Merkle root of the ledger's state at the end of E (each resident's credit and their
/// earnings in E) from on-chain events alone, and submit it by commit-reveal. When at least `quorum`
/// distinct residents revealed the same root, and that root holds a strict majority of the reveals,
/// the root is finalised and each of its revealers earns one unit of the automated "ledger
/// verification" category on the ledger, paid in pages of at most {creditPageLimit} winners that
/// anyone may push. Disagreeing roots and epochs without consensus are emitted for auditors. A
/// finalised root lets any resident prove "my credit at E was at least X" with a Merkle proof,
/// without showing their history.
/// @dev Windows of epoch E follow the ledger's schedule (`epochSchedule()`), and all lie in the
/// ledger epochs after E, when E's events are final:
/// - commit:   [start(E+1), start(E+1) + commitWindow)
/// - reveal:   [commit close, commit close + revealWindow)
/// - finalize: from the reveal close on, by anyone. The root is final (and proofs against it hold)
///   from that transaction on, whatever the crediting's progress.
/// - credit: pages of winners, by anyone, while the ledger epoch that contains the reveal close lasts
///   (the "credit window"): each ledger epoch then credits at most one verified epoch, so the
///   category cap (one unit per epoch) never refuses a page. After it, the root stands unpaid.
/// Leaves are `keccak256(bytes.concat(keccak256(abi.encode(address resident, uint256 credit,
/// uint256 earned))))`, sorted-pair hashing: OpenZeppelin's StandardMerkleTree with leaf encoding
/// `["address", "uint256", "uint256"]` builds the same root.
/// Residents pay no gas if they wish: a resident signs `Commit(uint24 epoch,bytes32 commitment,uint256
/// deadline)` (EIP-712 domain "EpochVerifier", version "1", this chain, this contract) and anyone
/// relays it with {commitBySig}; anyone may relay the reveal with {revealFor}, which needs no
/// signature because the commitment already binds the resident's address.
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
    /// @notice `keccak256(abi.encode(root, salt, resident))` is not the resident's commitment
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
    /// @notice `account` did not reveal `root` for `epoch`.
    error VerifierNotRevealer(uint24 epoch, address account, bytes32 root);
    /// @notice No root was finalised for `epoch` (yet, or ever: no consensus).
    error VerifierNotFinalized(uint24 epoch);
    /// @notice A crediting page lists from 1 to `max` winners; `given` were listed.
    error VerifierInvalidPage(uint256 given, uint256 max);
    /// @notice `epoch`'s verification credit could be paid until `closedAt` only.
    error VerifierCreditWindowClosed(uint24 epoch, uint48 closedAt);
    /// @notice `winner` was settled for `epoch` already (credited, or passed over having left): a page
    /// pushed by someone else was first; list only {unsettledWinners}.
    error VerifierAlreadySettled(uint24 epoch, address winner);
    /// @notice A relayed commitment's signature expired at `deadline` (unix seconds, inclusive).
    error VerifierExpiredSignature(uint256 deadline);
    /// @notice The signature is not `resident`'s (ECDSA, or ERC-1271 for a contract account) over
    /// `Commit(epoch, commitment, deadline)` on this verifier.
    error VerifierInvalidSignature(address resident);

    // ---------------------------------------------------------------- events
    /// @notice A resident committed to a root for `epoch` without showing it.
    event Committed(uint24 indexed epoch, address indexed resident, bytes32 commitment);
    /// @notice A resident revealed the root committed to.
    event Revealed(uint24 indexed epoch, address indexed resident, bytes32 indexed root);
    /// @notice `root` is the consensus state root of `epoch`, revealed by `revealers` residents, who
    /// are paid by {creditWinners} pages.
    event EpochFinalized(uint24 indexed epoch, bytes32 indexed root, uint256 revealers);
    /// @notice A crediting page of `epoch` paid `credited` winners (the rest of the page had left the
    /// ledger); `unsettled` winners remain for later pages.
    event WinnersCredited(uint24 indexed epoch, uint256 credited, uint256 unsettled);
    /// @notice `count` residents revealed `root` for `epoch`, which is not the finalised root.
    event RootDisagreement(uint24 indexed epoch, bytes32 indexed root, uint256 count);
    /// @notice `epoch` closed without consensus: the leading root had `leadingCount` of `reveals`.
    event NoConsensus(uint24 indexed epoch, bytes32 leadingRoot, uint256 leadingCount, uint256 reveals, uint256 quorum);

    // ---------------------------------------------------------------- commit-reveal
    /// @notice Commits `commitment = keccak256(abi.encode(root, salt, msg.sender))` for `epoch`.
    /// Only registered residents, once per epoch, during the commit window.
    function commit(uint24 epoch, bytes32 commitment) external;

    /// @notice {commit} for `resident`, by their EIP-712 signature of
    /// `Commit(uint24 epoch,bytes32 commitment,uint256 deadline)`, sent by anyone (a gateway pays the
    /// gas). The same checks as {commit} for `resident`, after the deadline and the signature. A
    /// signature is used at most once: the resident's one ballot for `epoch` is then taken.
    /// @param deadline the last second (block time) the signature is valid
    /// @param signature 65-byte ECDSA signature (r, s, v) of `resident`, or what `resident`'s
    /// ERC-1271 `isValidSignature` accepts
    function commitBySig(uint24 epoch, address resident, bytes32 commitment, uint256 deadline, bytes calldata signature)
        external;

    /// @notice Reveals the committed `root` and `salt` for `epoch`, during the reveal window.
    function reveal(uint24 epoch, bytes32 root, bytes32 salt) external;

    /// @notice {reveal} of `resident`'s commitment, sent by anyone: the commitment
    /// `keccak256(abi.encode(root, salt, resident))` binds the resident, so only their own root and
    /// salt open it, whoever sends them.
    function revealFor(uint24 epoch, address resident, bytes32 root, bytes32 salt) external;

    /// @notice Closes `epoch` after its reveal window: the most revealed root is final if it has the
    /// quorum and a strict majority of the reveals. Anyone may call it; it pays nobody (see
    /// {creditWinners}), so its cost does not grow with the winners.
    /// @param roots distinct roots revealed for `epoch`, in strictly increasing order (from the
    /// {Revealed} events), each but the winner reported with {RootDisagreement}. Every revealed root
    /// must be listed (checked against the number of reveals) unless a listed root holds the quorum
    /// and a strict majority: such a root wins whatever else was revealed.
    function finalize(uint24 epoch, bytes32[] calldata roots) external;

    /// @notice Credits a page of `epoch`'s winners (revealers of its finalised root), each once: one
    /// unit of the verification category to each still registered on the ledger. Anyone may push any
    /// page, in any order, during the credit window. Ledger record id of each payment:
    /// `keccak256(abi.encode(recordRef(epoch, root), resident))`.
    /// @param winners 1 to {creditPageLimit} revealers of the final root not settled yet (see
    /// {unsettledWinners}); a refusal by the ledger reverts the whole page
    function creditWinners(uint24 epoch, address[] calldata winners) external;

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

    /// @notice Reveals so far, the outcome, (if finalised) the root of `epoch`, and how many of its
    /// winners no crediting page has settled yet.
    function epochTally(uint24 epoch)
        external
        view
        returns (uint256 reveals, Outcome outcome, bytes32 root, uint256 unsettled);

    /// @notice How many distinct residents revealed `root` for `epoch`.
    function revealCount(uint24 epoch, bytes32 root) external view returns (uint256);

    /// @notice Whether `resident` committed and whether they revealed for `epoch`.
    function ballotOf(uint24 epoch, address resident) external view returns (bool committed, bool revealed);

    /// @notice Whether `resident` revealed `root` for `epoch`.
    function hasRevealed(uint24 epoch, address resident, bytes32 root) external view returns (bool);

    /// @notice Those of `candidates` who revealed `epoch`'s final root and are not settled yet, in the
    /// given order: what the next {creditWinners} pages may list. Reverts if no root is final.
    function unsettledWinners(uint24 epoch, address[] calldata candidates)
        external
        view
        returns (address[] memory winners);

    /// @notice Most winners one {creditWinners} page may list.
    function creditPageLimit() external pure returns (uint256);

    /// @notice The reference `epoch`'s verification records are booked under on the ledger (distinct
    /// per verifier and epoch, so two epochs with the same root never share a record id).
    function recordRef(uint24 epoch, bytes32 root) external view returns (bytes32);

    /// @notice The finalised root of `epoch`, or zero.
    function finalRoot(uint24 epoch) external view returns (bytes32);

    /// @notice The ledger verified, the category its verifiers earn, and the quorum.
    function config() external view returns (address ledger, uint16 category, uint256 quorum);

    /// @notice Semantic version of this contract's code.
    function version() external pure returns (string memory);
}
