// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {ICreditLedger} from "./interfaces/ICreditLedger.sol";
import {IEpochVerifier} from "./interfaces/IEpochVerifier.sol";
import {CreditProof} from "./libraries/CreditProof.sol";

/// @title EpochVerifier
/// @notice Consensus of residents on each epoch's state root, by commit-reveal. See {IEpochVerifier}.
/// @dev Trust assumptions:
/// - Holds VERIFIER_ROLE on the ledger (granted at deployment) and uses it only in {finalize}, to
///   credit one unit of the automated category to each revealer of a root that reached the quorum
///   and a strict majority. Nobody else can make it credit anyone.
/// - Committing needs a registered resident (checked on the ledger); a reveal must match the
///   resident's own commitment, which binds their address, so copying a commitment gains nothing.
/// - {finalize} is permissionless: the caller only lists the revealed roots and the winners, both
///   checked against storage (completeness by the reveal count, membership by each ballot).
/// Every commit and reveal is O(1); {finalize} is linear in the roots and winners it is given.
contract EpochVerifier is IEpochVerifier {
    /// @dev A stored ballot is the resident's commitment with this bit cleared until they reveal,
    /// then `keccak256(abi.encode(root))` with this bit set: no commitment can pass for a reveal.
    uint256 private constant _REVEALED = 1 << 255;

    /// @dev One slot per epoch.
    struct Tally {
        uint32 reveals; // residents who revealed (one reveal each)
        Outcome outcome;
        bool opened; // written by the previous epoch's finalisation, so the first reveal pays no 0->1 write
    }

    ICreditLedger private immutable _ledger;
    uint16 private immutable _category;
    uint32 private immutable _quorum;
    uint48 private immutable _genesis;
    uint48 private immutable _epochLength;
    uint48 private immutable _commitWindow;
    uint48 private immutable _revealWindow;

    /// @custom:security write-protection="_windows(uint24)"
    /// @dev Written only from {commit}, {reveal} or {finalize}, each gated by the epoch's windows (no role).
    mapping(uint24 epoch => mapping(address resident => bytes32 ballot)) private _ballots;
    /// @custom:security write-protection="_windows(uint24)"
    /// @dev Written only from {commit}, {reveal} or {finalize}, each gated by the epoch's windows (no role).
    mapping(uint24 epoch => mapping(bytes32 root => uint256 count)) private _counts;
    /// @custom:security write-protection="_windows(uint24)"
    /// @dev Written only from {commit}, {reveal} or {finalize}, each gated by the epoch's windows (no role).
    mapping(uint24 epoch => Tally) private _tallies;
    /// @custom:security write-protection="_windows(uint24)"
    /// @dev Written only from {commit}, {reveal} or {finalize}, each gated by the epoch's windows (no role).
    mapping(uint24 epoch => bytes32 root) private _roots;

    /// @param ledger_ the ledger verified; windows follow its `epochSchedule()`
    /// @param category_ the automated category verifiers earn (4, "ledger_verification", by default)
    /// @param quorum_ fewest distinct residents who must reveal the winning root
    /// @param commitWindow_ seconds from the start of epoch E+1 during which E's roots are committed
    /// @param revealWindow_ seconds after the commit window during which they are revealed
    constructor(ICreditLedger ledger_, uint16 category_, uint32 quorum_, uint48 commitWindow_, uint48 revealWindow_) {
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
        (uint48 opens, uint48 closes,,) = _windows(epoch);
        if (block.timestamp < opens || block.timestamp >= closes) {
            revert VerifierOutsideCommitWindow(epoch, opens, closes);
        }
        bytes32 sealed_ = bytes32(uint256(commitment) & ~_REVEALED);
        if (sealed_ == 0) revert VerifierInvalidCommitment(commitment);
        if (_ballots[epoch][msg.sender] != 0) revert VerifierAlreadyCommitted(epoch, msg.sender);
        if (!_ledger.isResident(msg.sender)) revert VerifierNotResident(msg.sender);
        _ballots[epoch][msg.sender] = sealed_;
        emit Committed(epoch, msg.sender, commitment);
    }

    /// @inheritdoc IEpochVerifier
    function reveal(uint24 epoch, bytes32 root, bytes32 salt) external {
        (, uint48 opens, uint48 closes,) = _windows(epoch);
        if (block.timestamp < opens || block.timestamp >= closes) {
            revert VerifierOutsideRevealWindow(epoch, opens, closes);
        }
        if (root == 0) revert VerifierInvalidRoot(root);
        bytes32 ballot = _ballots[epoch][msg.sender];
        if (ballot == 0) revert VerifierNotCommitted(epoch, msg.sender);
        if (uint256(ballot) & _REVEALED != 0) revert VerifierAlreadyRevealed(epoch, msg.sender);
        bytes32 commitment = keccak256(abi.encode(root, salt, msg.sender));
        if (bytes32(uint256(commitment) & ~_REVEALED) != ballot) revert VerifierCommitmentMismatch(epoch, msg.sender);
        _recordReveal(epoch, msg.sender, root);
    }

    /// @inheritdoc IEpochVerifier
    function finalize(uint24 epoch, bytes32[] calldata roots, address[] calldata winners) external {
        (,, uint48 revealCloses, uint48 creditCloses) = _windows(epoch);
        if (block.timestamp < revealCloses) revert VerifierFinalizeTooEarly(epoch, revealCloses);
        Tally memory tally = _tallies[epoch];
        if (tally.outcome != Outcome.OPEN) revert VerifierAlreadyFinalized(epoch);
        (uint256 leading, uint256[] memory counts) = _countRoots(epoch, roots, tally.reveals);
        uint256 leadingCount = roots.length == 0 ? 0 : counts[leading];
        bool consensus = leadingCount >= _quorum && 2 * leadingCount > tally.reveals;

        _tallies[epoch].outcome = consensus ? Outcome.FINALIZED : Outcome.NO_CONSENSUS;
        if (epoch < type(uint24).max) _open(epoch + 1);
        for (uint256 i = 0; i < roots.length; ++i) {
            if (!consensus || i != leading) emit RootDisagreement(epoch, roots[i], counts[i]);
        }
        if (!consensus) {
            if (winners.length != 0) revert VerifierWinnersMismatch(epoch, 0, winners.length);
            bytes32 leadingRoot = roots.length == 0 ? bytes32(0) : roots[leading];
            emit NoConsensus(epoch, leadingRoot, leadingCount, tally.reveals, _quorum);
            return;
        }
        bytes32 root = roots[leading];
        if (winners.length != leadingCount) revert VerifierWinnersMismatch(epoch, leadingCount, winners.length);
        _roots[epoch] = root;
        address[] memory registered = _registeredRevealers(epoch, root, winners);
        uint256 credited = _credit(epoch, root, registered, block.timestamp < creditCloses);
        emit EpochFinalized(epoch, root, leadingCount, credited);
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
    function epochTally(uint24 epoch) external view returns (uint256 reveals, Outcome outcome, bytes32 root) {
        Tally memory tally = _tallies[epoch];
        return (tally.reveals, tally.outcome, _roots[epoch]);
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
        return _ballots[epoch][resident] == _revealedMark(root);
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
        return "1.0.0";
    }

    // ================================================================ internals

    /// @dev Checks that `roots` lists every root revealed for `epoch` once, in increasing order, and
    /// returns the index of the most revealed one (the first, on a tie) and each root's count.
    function _countRoots(uint24 epoch, bytes32[] calldata roots, uint256 reveals)
        private
        view
        returns (uint256 leading, uint256[] memory counts)
    {
        counts = new uint256[](roots.length);
        uint256 listed;
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
        if (listed != reveals) revert VerifierRootsIncomplete(epoch, listed, reveals);
    }

    /// @dev Checks that each of `winners` (strictly increasing) revealed `root`, and returns those
    /// still registered on the ledger (a resident who left since committing earns nothing).
    function _registeredRevealers(uint24 epoch, bytes32 root, address[] calldata winners)
        private
        view
        returns (address[] memory registered)
    {
        registered = new address[](winners.length);
        bytes32 mark = _revealedMark(root);
        uint256 n;
        address previous;
        for (uint256 i = 0; i < winners.length; ++i) {
            address winner = winners[i];
            if (winner <= previous) revert VerifierWinnersNotSorted(winner, previous);
            previous = winner;
            if (_ballots[epoch][winner] != mark) revert VerifierNotRevealer(epoch, winner, root);
            if (_ledger.isResident(winner)) registered[n++] = winner;
        }
        assembly ("memory-safe") {
            mstore(registered, n) // shrink to the registered ones; n <= the allocated length
        }
    }

    /// @dev Credits `residents` on the ledger if still within the credit window. A ledger refusal
    /// (the rules in force no longer allow it) is reported, not fatal: the consensus stands. Running
    /// out of gas in the ledger is fatal, so that no caller can skip the crediting by starving it.
    function _credit(uint24 epoch, bytes32 root, address[] memory residents, bool inTime)
        private
        returns (uint256 credited)
    {
        if (residents.length == 0) return 0;
        if (!inTime) {
            emit CreditingSkipped(epoch, true, "");
            return 0;
        }
        try _ledger.creditAutomated(_category, residents, root) {
            return residents.length;
        } catch (bytes memory reason) {
            if (reason.length == 0) revert VerifierCreditingOutOfGas(epoch);
            emit CreditingSkipped(epoch, false, reason);
            return 0;
        }
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

    /// @dev Books `resident`'s reveal of `root` (checked by the caller: {reveal}).
    function _recordReveal(uint24 epoch, address resident, bytes32 root) internal {
        _ballots[epoch][resident] = _revealedMark(root);
        unchecked {
            ++_counts[epoch][root]; // one reveal per resident: cannot reach 2**256
        }
        _tallies[epoch].reveals += 1;
        emit Revealed(epoch, resident, root);
    }

    /// @dev Writes the empty tally slot of `epoch` (once), so its first revealer pays no 0->1 write.
    function _open(uint24 epoch) private {
        Tally storage tally = _tallies[epoch];
        if (tally.reveals == 0 && tally.outcome == Outcome.OPEN && !tally.opened) tally.opened = true;
    }
}
