// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICreditLedger} from "./interfaces/ICreditLedger.sol";
import {IEpochVerifier} from "./interfaces/IEpochVerifier.sol";
import {CreditProof} from "./libraries/CreditProof.sol";

/// @title EpochVerifier
/// @notice Consensus of residents on each epoch's state root, by commit-reveal. See {IEpochVerifier}.
/// @dev Trust assumptions:
/// - Holds VERIFIER_ROLE on the ledger (granted at deployment) and uses it only in {creditWinners},
///   to credit one unit of the automated category to each revealer of a finalised root. Nobody else
///   can make it credit anyone, and nobody is credited twice for an epoch (each winner's ballot is
///   marked settled before the ledger call).
/// - Committing needs a registered resident (checked on the ledger), by their own transaction
///   ({commit}) or by their EIP-712 `Commit(epoch, commitment, deadline)` signature that anyone may
///   relay ({commitBySig}; a contract account signs by ERC-1271). A signature commits only what the
///   resident signed, until its deadline, and at most once: one ballot per resident and epoch is
///   also its replay protection. A relayer can withhold a signature, never alter it.
/// - A reveal must match the resident's own commitment `keccak256(abi.encode(root, salt, resident))`,
///   which binds their address, so copying a commitment gains nothing. Anyone may send it for them
///   ({revealFor}): only the resident (and whomever they give the salt) can open the commitment, and
///   only to the root it hides. Whoever holds the salt before the reveal window learns the root early,
///   so a resident hands it to a relayer only once that window is open.
/// - {finalize} and {creditWinners} are permissionless: callers only name roots and winners, each
///   checked against storage. A caller chooses which winners a page pays, never whether a winner
///   is paid: a page either pays every registered winner it lists or reverts and changes nothing.
/// Every commit and reveal is O(1); {finalize} is linear in the roots it is given and a crediting
/// page in its winners, at most {creditPageLimit}, so no epoch needs an unbounded transaction.
contract EpochVerifier is IEpochVerifier, EIP712 {
    bytes32 private constant _COMMIT_TYPEHASH = keccak256("Commit(uint24 epoch,bytes32 commitment,uint256 deadline)");

    /// @dev A stored ballot is the resident's commitment with this bit cleared until they reveal,
    /// then `keccak256(abi.encode(root))` with this bit set: no commitment can pass for a reveal.
    uint256 private constant _REVEALED = 1 << 255;
    /// @dev A winner's revealed ballot with this bit flipped once a crediting page settled them (paid,
    /// or passed over having left the ledger). The flip keeps bit 255, so they still count as revealed.
    uint256 private constant _SETTLED = 1 << 254;
    /// @dev Most winners one {creditWinners} page may list. `make bench-verify` measured at most 9.42M
    /// gas for a page of 200; the dearest case (a first verification credit that also keeps unpaid
    /// earnings) adds one zero-to-nonzero slot per winner, about 13.2M in all: under the 16,777,216
    /// gas per transaction of EIP-7825.
    uint256 private constant _CREDIT_PAGE = 200;

    /// @dev One slot per epoch.
    struct Tally {
        uint32 reveals; // residents who revealed (one reveal each)
        Outcome outcome;
        bool opened; // written by the previous epoch's finalisation, so the first reveal pays no 0->1 write
        uint32 unsettled; // winners of the finalised root no crediting page has settled yet
    }

    ICreditLedger private immutable _ledger;
    uint16 private immutable _category;
    uint32 private immutable _quorum;
    uint48 private immutable _genesis;
    uint48 private immutable _epochLength;
    uint48 private immutable _commitWindow;
    uint48 private immutable _revealWindow;

    /// @custom:security write-protection="_windows(uint24)"
    /// @dev Written only from {commit}, {commitBySig}, {reveal}, {revealFor} or {creditWinners}, each gated by the epoch's windows or outcome (no role).
    mapping(uint24 epoch => mapping(address resident => bytes32 ballot)) private _ballots;
    /// @custom:security write-protection="_windows(uint24)"
    /// @dev Written only from {reveal} or {revealFor}, gated by the epoch's windows (no role).
    mapping(uint24 epoch => mapping(bytes32 root => uint256 count)) private _counts;
    /// @custom:security write-protection="_windows(uint24)"
    /// @dev Written only from {reveal}, {revealFor}, {finalize} or {creditWinners}, each gated by the epoch's windows or outcome (no role).
    mapping(uint24 epoch => Tally) private _tallies;
    /// @custom:security write-protection="_windows(uint24)"
    /// @dev Written only from {finalize}, gated by the epoch's windows (no role).
    mapping(uint24 epoch => bytes32 root) private _roots;

    /// @param ledger_ the ledger verified; windows follow its `epochSchedule()`
    /// @param category_ the automated category verifiers earn (4, "ledger_verification", by default)
    /// @param quorum_ fewest distinct residents who must reveal the winning root
    /// @param commitWindow_ seconds from the start of epoch E+1 during which E's roots are committed
    /// @param revealWindow_ seconds after the commit window during which they are revealed
    constructor(ICreditLedger ledger_, uint16 category_, uint32 quorum_, uint48 commitWindow_, uint48 revealWindow_)
        EIP712("EpochVerifier", "1")
    {
        (uint48 length, uint48 genesis) = ledger_.epochSchedule();
        if (quorum_ == 0 || commitWindow_ == 0 || revealWindow_ == 0 || uint256(commitWindow_) + revealWindow_ > length)
        {
            revert VerifierInvalidConfig(quorum_, commitWindow_, revealWindow_, length);
        }
        _ledger = ledger_;
        _category = category_;
        _quorum = quorum_;
        _genesis = genesis;
        _epochLength = length;
        _commitWindow = commitWindow_;
        _revealWindow = revealWindow_;
    }

    // ================================================================ commit-reveal

    /// @inheritdoc IEpochVerifier
    function commit(uint24 epoch, bytes32 commitment) external {
        _commit(epoch, msg.sender, commitment);
    }

    /// @inheritdoc IEpochVerifier
    function commitBySig(uint24 epoch, address resident, bytes32 commitment, uint256 deadline, bytes calldata signature)
        external
    {
        if (block.timestamp > deadline) revert VerifierExpiredSignature(deadline);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(_COMMIT_TYPEHASH, epoch, commitment, deadline)));
        if (!SignatureChecker.isValidSignatureNowCalldata(resident, digest, signature)) {
            revert VerifierInvalidSignature(resident);
        }
        // A replayed signature finds the resident's ballot taken: VerifierAlreadyCommitted.
        _commit(epoch, resident, commitment);
    }

    /// @inheritdoc IEpochVerifier
    function reveal(uint24 epoch, bytes32 root, bytes32 salt) external {
        _reveal(epoch, msg.sender, root, salt);
    }

    /// @inheritdoc IEpochVerifier
    function revealFor(uint24 epoch, address resident, bytes32 root, bytes32 salt) external {
        _reveal(epoch, resident, root, salt);
    }

    // ================================================================ finalisation and crediting

    /// @inheritdoc IEpochVerifier
    function finalize(uint24 epoch, bytes32[] calldata roots) external {
        (,, uint48 revealCloses,) = _windows(epoch);
        if (block.timestamp < revealCloses) revert VerifierFinalizeTooEarly(epoch, revealCloses);
        Tally memory tally = _tallies[epoch];
        if (tally.outcome != Outcome.OPEN) revert VerifierAlreadyFinalized(epoch);
        (uint256 leading, uint256[] memory counts, uint256 listed) = _countRoots(epoch, roots);
        uint256 leadingCount = roots.length == 0 ? 0 : counts[leading];
        bool consensus = leadingCount >= _quorum && 2 * leadingCount > tally.reveals;
        // A root holding a strict majority is the only root that can win, whatever else was revealed:
        // the others need listing (for their RootDisagreement) only to show that none won.
        if (!consensus && listed != tally.reveals) revert VerifierRootsIncomplete(epoch, listed, tally.reveals);

        tally.outcome = consensus ? Outcome.FINALIZED : Outcome.NO_CONSENSUS;
        tally.unsettled = consensus ? uint32(leadingCount) : 0; // leadingCount <= tally.reveals, a uint32
        _tallies[epoch] = tally;
        if (epoch < type(uint24).max) _open(epoch + 1);
        for (uint256 i = 0; i < roots.length; ++i) {
            if (!consensus || i != leading) emit RootDisagreement(epoch, roots[i], counts[i]);
        }
        if (!consensus) {
            bytes32 leadingRoot = roots.length == 0 ? bytes32(0) : roots[leading];
            emit NoConsensus(epoch, leadingRoot, leadingCount, tally.reveals, _quorum);
            return;
        }
        _roots[epoch] = roots[leading];
        emit EpochFinalized(epoch, roots[leading], leadingCount);
    }

    /// @inheritdoc IEpochVerifier
    function creditWinners(uint24 epoch, address[] calldata winners) external {
        Tally memory tally = _tallies[epoch];
        if (tally.outcome != Outcome.FINALIZED) revert VerifierNotFinalized(epoch);
        if (winners.length == 0 || winners.length > _CREDIT_PAGE) {
            revert VerifierInvalidPage(winners.length, _CREDIT_PAGE);
        }
        (,,, uint48 creditCloses) = _windows(epoch);
        if (block.timestamp >= creditCloses) revert VerifierCreditWindowClosed(epoch, creditCloses);
        bytes32 root = _roots[epoch];
        bytes32 mark = _revealedMark(root);
        bytes32 settled = bytes32(uint256(mark) ^ _SETTLED);
        address[] memory paid = new address[](winners.length);
        uint256 n;
        for (uint256 i = 0; i < winners.length; ++i) {
            address winner = winners[i];
            bytes32 ballot = _ballots[epoch][winner];
            if (ballot != mark) {
                if (ballot == settled) revert VerifierAlreadySettled(epoch, winner);
                revert VerifierNotRevealer(epoch, winner, root);
            }
            _ballots[epoch][winner] = settled; // before any payment: a winner is settled once
            if (_ledger.isResident(winner)) paid[n++] = winner; // one who left earns nothing
        }
        assembly ("memory-safe") {
            mstore(paid, n) // shrink to the registered ones; n <= the allocated length
        }
        // Checked: each listed winner held `mark` and now holds `settled`, and `unsettled` started as
        // the count of `mark` holders (reveals closed before finalisation), so this cannot go below 0.
        tally.unsettled -= uint32(winners.length); // winners.length <= _CREDIT_PAGE
        _tallies[epoch] = tally;
        // A ledger refusal reverts the page: nobody's credit is lost to a page someone else composed.
        if (n != 0) _ledger.creditAutomated(_category, paid, _recordRef(epoch, root));
        emit WinnersCredited(epoch, n, tally.unsettled);
    }

    // ================================================================ selective disclosure

    /// @inheritdoc IEpochVerifier
    function verifyCredit(uint24 epoch, address resident, uint256 credit, uint256 earned, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return CreditProof.verify(proof, _finalRoot(epoch), resident, credit, earned);
    }

    /// @inheritdoc IEpochVerifier
    function provesAtLeast(
        uint24 epoch,
        address resident,
        uint256 threshold,
        uint256 credit,
        uint256 earned,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 root = _finalRoot(epoch);
        return credit >= threshold && CreditProof.verify(proof, root, resident, credit, earned);
    }

    // ================================================================ views

    /// @inheritdoc IEpochVerifier
    function commitmentOf(bytes32 root, bytes32 salt, address resident) external pure returns (bytes32) {
        return keccak256(abi.encode(root, salt, resident));
    }

    /// @inheritdoc IEpochVerifier
    function windows(uint24 epoch) external view returns (uint48, uint48, uint48, uint48) {
        return _windows(epoch);
    }

    /// @inheritdoc IEpochVerifier
    function epochTally(uint24 epoch)
        external
        view
        returns (uint256 reveals, Outcome outcome, bytes32 root, uint256 unsettled)
    {
        Tally memory tally = _tallies[epoch];
        return (tally.reveals, tally.outcome, _roots[epoch], tally.unsettled);
    }

    /// @inheritdoc IEpochVerifier
    function revealCount(uint24 epoch, bytes32 root) external view returns (uint256) {
        return _counts[epoch][root];
    }

    /// @inheritdoc IEpochVerifier
    function ballotOf(uint24 epoch, address resident) external view returns (bool committed, bool revealed) {
        bytes32 ballot = _ballots[epoch][resident];
        return (ballot != 0, uint256(ballot) & _REVEALED != 0);
    }

    /// @inheritdoc IEpochVerifier
    function hasRevealed(uint24 epoch, address resident, bytes32 root) external view returns (bool) {
        bytes32 ballot = _ballots[epoch][resident];
        bytes32 mark = _revealedMark(root);
        return ballot == mark || ballot == bytes32(uint256(mark) ^ _SETTLED);
    }

    /// @inheritdoc IEpochVerifier
    function unsettledWinners(uint24 epoch, address[] calldata candidates)
        external
        view
        returns (address[] memory winners)
    {
        bytes32 mark = _revealedMark(_finalRoot(epoch));
        winners = new address[](candidates.length);
        uint256 n;
        for (uint256 i = 0; i < candidates.length; ++i) {
            if (_ballots[epoch][candidates[i]] == mark) winners[n++] = candidates[i];
        }
        assembly ("memory-safe") {
            mstore(winners, n) // shrink to the unsettled ones; n <= the allocated length
        }
    }

    /// @inheritdoc IEpochVerifier
    function creditPageLimit() external pure returns (uint256) {
        return _CREDIT_PAGE;
    }

    /// @inheritdoc IEpochVerifier
    function recordRef(uint24 epoch, bytes32 root) external view returns (bytes32) {
        return _recordRef(epoch, root);
    }

    /// @inheritdoc IEpochVerifier
    function finalRoot(uint24 epoch) external view returns (bytes32) {
        return _roots[epoch];
    }

    /// @inheritdoc IEpochVerifier
    function config() external view returns (address ledger, uint16 category, uint256 quorum) {
        return (address(_ledger), _category, _quorum);
    }

    /// @inheritdoc IEpochVerifier
    function version() external pure returns (string memory) {
        return "2.1.0";
    }

    // ================================================================ internals

    /// @dev Stores `resident`'s sealed `commitment` for `epoch`; the caller ({commit}, {commitBySig})
    /// established that `resident` wants it.
    function _commit(uint24 epoch, address resident, bytes32 commitment) private {
        (uint48 opens, uint48 closes,,) = _windows(epoch);
        if (block.timestamp < opens || block.timestamp >= closes) {
            revert VerifierOutsideCommitWindow(epoch, opens, closes);
        }
        bytes32 sealed_ = bytes32(uint256(commitment) & ~_REVEALED);
        if (sealed_ == 0) revert VerifierInvalidCommitment(commitment);
        if (_ballots[epoch][resident] != 0) revert VerifierAlreadyCommitted(epoch, resident);
        if (!_ledger.isResident(resident)) revert VerifierNotResident(resident);
        _ballots[epoch][resident] = sealed_;
        emit Committed(epoch, resident, commitment);
    }

    /// @dev Opens `resident`'s commitment for `epoch` with `root` and `salt`: whoever sends it, the
    /// commitment binds the resident's address, so it opens only to the root the resident hid.
    function _reveal(uint24 epoch, address resident, bytes32 root, bytes32 salt) private {
        (, uint48 opens, uint48 closes,) = _windows(epoch);
        if (block.timestamp < opens || block.timestamp >= closes) {
            revert VerifierOutsideRevealWindow(epoch, opens, closes);
        }
        if (root == 0) revert VerifierInvalidRoot(root);
        bytes32 ballot = _ballots[epoch][resident];
        if (ballot == 0) revert VerifierNotCommitted(epoch, resident);
        if (uint256(ballot) & _REVEALED != 0) revert VerifierAlreadyRevealed(epoch, resident);
        bytes32 commitment = keccak256(abi.encode(root, salt, resident));
        if (bytes32(uint256(commitment) & ~_REVEALED) != ballot) revert VerifierCommitmentMismatch(epoch, resident);
        _recordReveal(epoch, resident, root);
    }

    /// @dev Books `resident`'s reveal of `root` for `epoch`; the caller ({_reveal}) checked that the
    /// resident committed to it and has not revealed before.
    function _recordReveal(uint24 epoch, address resident, bytes32 root) internal {
        _ballots[epoch][resident] = _revealedMark(root);
        // Cannot overflow: every increment of a count of `epoch` comes with the checked increment of
        // the uint32 `_tallies[epoch].reveals` below, in the same call (a revert there undoes both).
        // So the counts of `epoch` sum to its reveals, and each is at most 2**32 - 1 < 2**256.
        unchecked {
            ++_counts[epoch][root];
        }
        _tallies[epoch].reveals += 1;
        emit Revealed(epoch, resident, root);
    }

    /// @dev Checks that `roots` lists roots revealed for `epoch`, each once, in increasing order, and
    /// returns the index of the most revealed one (the first, on a tie), each root's count, and the
    /// reveals they account for.
    function _countRoots(uint24 epoch, bytes32[] calldata roots)
        private
        view
        returns (uint256 leading, uint256[] memory counts, uint256 listed)
    {
        counts = new uint256[](roots.length);
        bytes32 previous;
        for (uint256 i = 0; i < roots.length; ++i) {
            bytes32 root = roots[i];
            if (root <= previous) revert VerifierRootsNotSorted(root, previous);
            previous = root;
            uint256 count = _counts[epoch][root];
            if (count == 0) revert VerifierRootNotRevealed(epoch, root);
            counts[i] = count;
            listed += count;
            if (count > counts[leading]) leading = i;
        }
    }

    /// @dev What the ledger's record ids of `epoch`'s verification credit derive from: the verifier,
    /// the epoch and its root, so that two epochs (or two verifiers) with the same root never share
    /// an id. Record id = `keccak256(abi.encode(_recordRef(epoch, root), resident))` (the ledger's).
    function _recordRef(uint24 epoch, bytes32 root) private view returns (bytes32) {
        return keccak256(abi.encode(address(this), epoch, root));
    }

    function _windows(uint24 epoch)
        private
        view
        returns (uint48 commitOpens, uint48 revealOpens, uint48 revealCloses, uint48 creditCloses)
    {
        uint256 start = uint256(_genesis) + (uint256(epoch) + 1) * _epochLength;
        uint256 closes = start + _commitWindow + _revealWindow;
        uint256 creditEnds = uint256(_genesis) + ((closes - _genesis) / _epochLength + 1) * _epochLength;
        return (
            SafeCast.toUint48(start),
            SafeCast.toUint48(start + _commitWindow),
            SafeCast.toUint48(closes),
            SafeCast.toUint48(creditEnds)
        );
    }

    function _finalRoot(uint24 epoch) private view returns (bytes32 root) {
        root = _roots[epoch];
        if (root == 0) revert VerifierNotFinalized(epoch);
    }

    function _revealedMark(bytes32 root) private pure returns (bytes32) {
        return bytes32(uint256(keccak256(abi.encode(root))) | _REVEALED);
    }

    /// @dev Writes the empty tally slot of `epoch` (once), so its first revealer pays no 0->1 write.
    function _open(uint24 epoch) private {
        Tally storage tally = _tallies[epoch];
        if (tally.reveals == 0 && tally.outcome == Outcome.OPEN && !tally.opened) tally.opened = true;
    }
}
