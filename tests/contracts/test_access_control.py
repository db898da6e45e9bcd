"""Every state-changing function of CreditLedger and RuleBook, called by world.outsider.

The table below names, for each function, the exact error an account without any role gets. It is
checked against the compiled ABIs, so a function added to either contract fails
``test_table_covers_every_state_changing_function`` until someone decides who may call it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from eth_keys import keys
from eth_utils import keccak

from credit.artifacts import Artifact
from credit.chain.deploy import ROLE_NAMES, role_id
from credit.chain.eip712 import digest, sign_digest
from credit.chain.signing import pack_claim
from tests.support.authz_sig_quorum_helpers import (
    NO_DEADLINE,
    ZERO32,
    ZERO_ADDRESS,
    call,
    event_record_id,
    record_violation,
    sign_appeal,
)
from tests.support.reverts import reverts
from tests.support.world import PEER, PUBLIC, SUPERIOR, World

CONTRACTS = ("CreditLedger", "RuleBook")
STATEMENT = keccak(text="I was not there")

# A case builds (contract function, error name, error arguments) for the outsider's call.
Case = Callable[[World], tuple[Any, str, dict[str, Any]]]


def _unauthorized(world: World, role: str) -> tuple[str, dict[str, Any]]:
    return "AccessControlUnauthorizedAccount", {
        "account": world.outsider.address,
        "neededRole": role_id(role),
    }


def _gated(fn: Callable[[World], Any], role: str) -> Case:
    return lambda w: (fn(w), *_unauthorized(w, role))


def _confirm(w: World) -> tuple[Any, str, dict[str, Any]]:
    a = w.residents[0]
    receipt = a.send(w.ledger.functions.submitClaim(1, 1, w.now() - 60, ZERO32))
    rid = event_record_id(w, receipt, "ClaimSubmitted")
    return (
        w.ledger.functions.confirm(rid, PEER),
        "LedgerEvaluatorLacksRole",
        {"evaluator": w.outsider.address, "kind": PEER},
    )


def _file_appeal(w: World) -> tuple[Any, str, dict[str, Any]]:
    _, rid = record_violation(w, w.residents[0])
    return (
        w.ledger.functions.fileAppeal(rid, STATEMENT),
        "LedgerNotAppellant",
        {"recordId": rid, "account": w.outsider.address},
    )


def _file_appeal_by_sig(w: World) -> tuple[Any, str, dict[str, Any]]:
    a = w.residents[0]
    _, rid = record_violation(w, a)
    sig = sign_appeal(w, w.outsider, rid, STATEMENT, nonce=0)
    return (
        w.ledger.functions.fileAppealBySig(rid, STATEMENT, 0, NO_DEADLINE, sig.r, sig.vs),
        "LedgerInvalidSigner",
        {"signer": w.outsider.address, "expected": a.address},
    )


def _resolve_appeal_by_sig(w: World) -> tuple[Any, str, dict[str, Any]]:
    """A decision signed by the outsider: the signer, not the sender, must be an arbiter."""
    rid, reason = keccak(b"x"), keccak(b"reason")
    message = {
        "recordId": rid,
        "overturn": True,
        "reason": reason,
        "nonce": 0,
        "deadline": NO_DEADLINE,
    }
    sig = sign_digest(w.outsider.key, digest(w.system.domain, "Decision", message))
    return (
        w.ledger.functions.resolveAppealBySig(rid, True, reason, 0, NO_DEADLINE, sig.r, sig.vs),
        *_unauthorized(w, "ARBITER_ROLE"),
    )


def _relay_claims(w: World) -> tuple[Any, str, dict[str, Any]]:
    a = w.residents[0]
    signed, rid = w.claim(a, signer=w.outsider)  # a claim for a resident, forged by the outsider
    endorsements = w.endorse([rid], [(w.superior, SUPERIOR), (w.residents[1], PEER)])
    return (
        w.ledger.functions.relayClaims([signed], endorsements),
        "LedgerInvalidSigner",
        {"signer": w.outsider.address, "expected": a.address},
    )


def _relay_claim_packed(w: World) -> tuple[Any, str, dict[str, Any]]:
    fn, error, args = _relay_claims(w)
    signed, endorsements = fn.args
    return (w.ledger.functions.relayClaimPacked(pack_claim(signed[0], endorsements)), error, args)


def _relay_reports(w: World) -> tuple[Any, str, dict[str, Any]]:
    signed, rid = w.report(w.outsider, w.residents[0])
    endorsements = w.endorse([rid], [(w.superior2, SUPERIOR), (w.panel, PUBLIC)])
    return (
        w.ledger.functions.relayReports([signed], endorsements),
        "LedgerNotOfficialReporter",
        {"reporter": w.outsider.address},
    )


def _permit(w: World) -> tuple[Any, str, dict[str, Any]]:
    """A permit over a resident's tokens, signed by the outsider instead of the owner."""
    owner = w.residents[0].address
    message = {
        "owner": owner,
        "spender": w.outsider.address,
        "value": 1,
        "nonce": 0,
        "deadline": NO_DEADLINE,
    }
    fields = [
        "owner:address",
        "spender:address",
        "value:uint256",
        "nonce:uint256",
        "deadline:uint256",
    ]
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [dict(zip(("name", "type"), f.split(":"), strict=True)) for f in fields],
        },
        "primaryType": "Permit",
        "domain": w.system.domain.as_dict(),
        "message": message,
    }
    signable = encode_typed_data(full_message=typed)
    sig = keys.PrivateKey(w.outsider.key).sign_msg_hash(
        keccak(b"\x19" + signable.version + signable.header + signable.body)
    )
    fn = w.ledger.functions.permit(
        owner,
        w.outsider.address,
        1,
        NO_DEADLINE,
        sig.v + 27,
        sig.r.to_bytes(32, "big"),
        sig.s.to_bytes(32, "big"),
    )
    return fn, "ERC2612InvalidSigner", {"signer": w.outsider.address, "owner": owner}


def _publish(w: World) -> Any:
    ids, rules = w.ruleset.onchain_categories()
    return w.rule_book.functions.publish(w.ruleset.onchain_terms(), "ipfs://v2", ids, rules)


def _stage_rules(w: World) -> tuple[Any, str, dict[str, Any]]:
    ids, rules = w.ruleset.onchain_categories()
    fn = w.ledger.functions.stageRules(2, w.now() + 1, 26, 14 * 86400, ids, rules)
    return fn, "RuleSinkUnauthorizedRuleBook", {"caller": w.outsider.address}


L = "CreditLedger."
B = "RuleBook."
CASES: dict[str, Case] = {
    # role-gated
    L + "registerResidents": _gated(
        lambda w: w.ledger.functions.registerResidents([w.outsider.address]), "REGISTRAR_ROLE"
    ),
    L + "deregisterResident": _gated(
        lambda w: w.ledger.functions.deregisterResident(w.residents[0].address), "REGISTRAR_ROLE"
    ),
    L + "resolveAppeal": _gated(
        lambda w: w.ledger.functions.resolveAppeal(keccak(b"x"), True, ZERO32), "ARBITER_ROLE"
    ),
    L + "creditAutomated": _gated(
        lambda w: w.ledger.functions.creditAutomated(4, [w.residents[0].address], ZERO32),
        "VERIFIER_ROLE",
    ),
    L + "mintRewards": _gated(
        lambda w: w.ledger.functions.mintRewards(0, [w.residents[0].address]), "MINTER_ROLE"
    ),
    L + "grantRole": _gated(
        lambda w: w.ledger.functions.grantRole(role_id("SUPERIOR_ROLE"), w.outsider.address),
        "DEFAULT_ADMIN_ROLE",
    ),
    L + "revokeRole": _gated(
        lambda w: w.ledger.functions.revokeRole(role_id("SUPERIOR_ROLE"), w.superior.address),
        "DEFAULT_ADMIN_ROLE",
    ),
    B + "publish": _gated(_publish, "GOVERNOR_ROLE"),
    B + "bindLedger": _gated(
        lambda w: w.rule_book.functions.bindLedger(w.ledger.address), "DEFAULT_ADMIN_ROLE"
    ),
    B + "grantRole": _gated(
        lambda w: w.rule_book.functions.grantRole(role_id("GOVERNOR_ROLE"), w.outsider.address),
        "DEFAULT_ADMIN_ROLE",
    ),
    B + "revokeRole": _gated(
        lambda w: w.rule_book.functions.revokeRole(role_id("GOVERNOR_ROLE"), w.operator.address),
        "DEFAULT_ADMIN_ROLE",
    ),
    # caller-gated: only the bound rule book, a registered resident, an official, the appellant
    L + "stageRules": _stage_rules,
    L + "cancelClaimNonces": lambda w: (
        w.ledger.functions.cancelClaimNonces(1),
        "LedgerNotRegistered",
        {"account": w.outsider.address},
    ),
    L + "submitClaim": lambda w: (
        w.ledger.functions.submitClaim(1, 1, w.now() - 60, ZERO32),
        "LedgerNotRegistered",
        {"account": w.outsider.address},
    ),
    L + "reportViolation": lambda w: (
        w.ledger.functions.reportViolation(w.residents[0].address, 100, 1, w.now() - 60, ZERO32),
        "LedgerNotOfficialReporter",
        {"reporter": w.outsider.address},
    ),
    L + "confirm": _confirm,
    L + "fileAppeal": _file_appeal,
    # signature-gated: anyone may send, the signature must be the right party's
    L + "relayClaims": _relay_claims,
    L + "relayClaimPacked": _relay_claim_packed,
    L + "relayReports": _relay_reports,
    L + "fileAppealBySig": _file_appeal_by_sig,
    L + "resolveAppealBySig": _resolve_appeal_by_sig,
    L + "permit": _permit,
    # open to anyone: the outsider gets the ordinary ERC-20 / AccessControl error
    L + "transfer": lambda w: (
        w.ledger.functions.transfer(w.residents[0].address, 1),
        "ERC20InsufficientBalance",
        {"sender": w.outsider.address, "balance": 0, "needed": 1},
    ),
    L + "transferFrom": lambda w: (
        w.ledger.functions.transferFrom(w.residents[0].address, w.outsider.address, 1),
        "ERC20InsufficientAllowance",
        {"spender": w.outsider.address, "allowance": 0, "needed": 1},
    ),
    L + "approve": lambda w: (
        w.ledger.functions.approve(ZERO_ADDRESS, 1),
        "ERC20InvalidSpender",
        {"spender": ZERO_ADDRESS},
    ),
    L + "renounceRole": lambda w: (
        w.ledger.functions.renounceRole(role_id("SUPERIOR_ROLE"), w.superior.address),
        "AccessControlBadConfirmation",
        {},
    ),
    B + "renounceRole": lambda w: (
        w.rule_book.functions.renounceRole(role_id("GOVERNOR_ROLE"), w.operator.address),
        "AccessControlBadConfirmation",
        {},
    ),
}


def state_changing(artifacts: dict[str, Artifact]) -> set[str]:
    """``Contract.function`` for every nonpayable or payable function of the two contracts."""
    return {
        f"{name}.{item['name']}"
        for name in CONTRACTS
        for item in artifacts[name].abi
        if item["type"] == "function" and item["stateMutability"] in ("nonpayable", "payable")
    }


def test_table_covers_every_state_changing_function(artifacts: dict[str, Artifact]) -> None:
    abi = state_changing(artifacts)
    assert abi == set(CASES), (
        f"missing from CASES: {sorted(abi - set(CASES))}; "
        f"no longer in the ABI: {sorted(set(CASES) - abi)}"
    )


def test_outsider_holds_no_role_and_is_not_a_resident(world: World) -> None:
    who = world.outsider.address
    for role in (*ROLE_NAMES, "DEFAULT_ADMIN_ROLE"):
        assert not call(world, world.ledger.functions.hasRole(role_id(role), who)), role
    for role in ("GOVERNOR_ROLE", "DEFAULT_ADMIN_ROLE"):
        assert not call(world, world.rule_book.functions.hasRole(role_id(role), who)), role
    assert not call(world, world.ledger.functions.isResident(who))


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_role_ids_match_the_contract_constants(world: World, role: str) -> None:
    assert call(world, getattr(world.ledger.functions, role)()) == role_id(role)


@pytest.mark.parametrize("function", [pytest.param(k, id=k) for k in sorted(CASES)])
def test_outsider_is_refused(world: World, function: str) -> None:
    fn, error, args = CASES[function](world)
    with reverts(error, **args):
        world.outsider.send(fn, gas=3_000_000)
