// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRewardToken
/// @notice Rewards for participation: an ERC-20 (with permit), separate from credit, which is never
/// transferable. The amount for a resident and epoch is computed on chain from the credit they
/// earned in that epoch at the rate of the rule version in force at the epoch's end; the minter only
/// triggers the payment. Each resident is paid at most once per epoch and each epoch's total is capped.
interface IRewardToken {
    /// @notice The epoch has not ended yet.
    error RewardEpochNotEnded(uint24 epoch);
    /// @notice The resident was already paid for the epoch.
    error RewardAlreadyPaid(address resident, uint24 epoch);
    /// @notice The resident has no unpaid earnings for the epoch: nothing was earned, or it was paid
    /// and has since left the two latest earning epochs the ledger keeps (RewardMinted events keep
    /// every payment). Either way nobody is ever paid twice.
    error RewardNothingEarned(address resident, uint24 epoch);
    /// @notice Minting would take the epoch over its cap.
    error RewardEpochCapExceeded(uint24 epoch, uint256 cap, uint256 wouldBe);

    /// @notice The reward terms of `epoch` were fixed from rule version `ruleVersion`.
    event RewardTermsFixed(uint24 indexed epoch, uint32 ruleVersion, uint80 rewardPerPoint, uint88 cap);
    /// @notice `resident` was paid `amount` for the `points` they earned in `epoch`.
    event RewardMinted(address indexed resident, uint24 indexed epoch, uint40 points, uint256 amount);

    /// @notice Mints the rewards of `epoch` to each of `residents`. Only the minter role.
    function mintRewards(uint24 epoch, address[] calldata residents) external;

    /// @notice Reward terms of `epoch` and what was minted for it so far.
    function epochRewards(uint24 epoch) external view returns (uint80 rewardPerPoint, uint88 cap, uint88 minted);
}
