// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ClaimReads
/// @notice Run by eth_call as creation code, never deployed: returns abi.encode(uint256[]) with
/// isResident (1/0) and claimNonce of each resident, in order.
/// @dev `credit/chain/claim_batch.py` holds this contract's creation code; its test checks the copy
/// equals the artifact compiled from this file.
contract ClaimReads {
    error ClaimReadsFailed(address resident);

    bytes4 private constant _IS_RESIDENT = bytes4(keccak256("isResident(address)"));
    bytes4 private constant _CLAIM_NONCE = bytes4(keccak256("claimNonce(address)"));

    constructor(address ledger, address[] memory residents) {
        uint256[] memory out = new uint256[](2 * residents.length);
        for (uint256 i = 0; i < residents.length; ++i) {
            address resident = residents[i];
            out[2 * i] = _read(ledger, resident, _IS_RESIDENT);
            out[2 * i + 1] = _read(ledger, resident, _CLAIM_NONCE);
        }
        bytes memory answer = abi.encode(out);
        assembly ("memory-safe") {
            return(add(answer, 32), mload(answer))
        }
    }

    function _read(address ledger, address resident, bytes4 selector) private view returns (uint256 word) {
        bytes memory call = abi.encodeWithSelector(selector, resident);
        (bool ok, bytes memory answer) = ledger.staticcall(call);
        if (!ok || answer.length != 32) revert ClaimReadsFailed(resident);
        word = abi.decode(answer, (uint256));
    }
}
