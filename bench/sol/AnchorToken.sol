// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title AnchorToken
/// @notice A plain OpenZeppelin ERC-20 with an open `mint`, used only by
/// `bench/bench_anchors.py` as the cheapest reference token write. Not deployed anywhere.
/// @dev No access control on purpose: it measures the floor of an OpenZeppelin mint.
contract AnchorToken is ERC20 {
    constructor() ERC20("Anchor", "ANC") {}

    /// @notice Mints `amount` to `to`; anyone may call it (benchmark only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
