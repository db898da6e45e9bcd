"""credit.vocabulary says what the contracts say: the kinds of Common.sol, in order, and the
AccessControl roles the contracts declare."""

from __future__ import annotations

import re
from pathlib import Path

from credit import vocabulary
from credit.ruleset import EvaluatorKind

CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"


def test_evaluator_kinds_are_numbered_as_in_common_sol() -> None:
    source = (CONTRACTS / "Common.sol").read_text()
    body = re.search(r"enum EvaluatorKind \{(.*?)\}", source, re.S)
    assert body is not None
    declared = [line.split("//")[0].strip(" ,") for line in body.group(1).splitlines()]
    assert [d for d in declared if d] == list(vocabulary.KIND_NAMES)
    assert EvaluatorKind is vocabulary.EvaluatorKind  # the rule set's kinds are these


def test_the_roles_are_the_contracts_roles() -> None:
    declared = {
        m.group(1)
        for path in CONTRACTS.rglob("*.sol")
        for m in re.finditer(r"bytes32 public constant (\w+_ROLE)\b", path.read_text())
    }
    assert declared == set(vocabulary.ALL_ROLES) - {vocabulary.DEFAULT_ADMIN_ROLE}
    assert set(vocabulary.OFFICIAL_ROLES) <= declared


def test_kind_names_of_a_mask() -> None:
    assert vocabulary.kind_names(0b1010) == ["PEER", "EXPERT"]
    assert vocabulary.kind_names(0) == []
