"""One compile as several solc runs: grouping, merging and progress, with a stand-in solc.

That the merged output equals a single run's is held on the real contracts by
tests/test_compile.py (the shipped artifacts come from a single run)."""

from __future__ import annotations

from typing import Any

import pytest

from credit.errors import CompileError
from credit.solc_jobs import compile_in_jobs

OUTPUTS = ["abi", "evm.bytecode.object"]
# unit -> [(id, name, kind, abstract, source length, linearized bases)]
UNITS: dict[str, list[tuple[int, str, str, bool, int, list[int]]]] = {
    "contracts/Big.sol": [(1, "Big", "contract", False, 9000, [1, 2])],
    "contracts/Base.sol": [(2, "Base", "contract", True, 3000, [2])],
    "contracts/Mid.sol": [(3, "Mid", "contract", False, 4000, [3])],
    "contracts/Tiny.sol": [(4, "Tiny", "contract", False, 100, [4])],
    "contracts/IThing.sol": [(5, "IThing", "interface", False, 500, [5])],
    "contracts/Common.sol": [],
    "node_modules/Dep.sol": [(6, "Dep", "library", False, 700, [6])],
}
SMALL, DEP = "contracts/Tiny.sol", "node_modules/Dep.sol"
WARNING = {"severity": "warning", "formattedMessage": "Warning: unused variable"}


class FakeSolc:
    """Answers like solc: ASTs when asked for ``""``, contracts for the units selected."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.selections: list[dict[str, Any]] = []
        self.fail_on = fail_on

    def __call__(self, std_input: dict[str, Any]) -> dict[str, Any]:
        selection = std_input["settings"]["outputSelection"]
        self.selections.append(selection)
        sources = {
            unit: {"id": i, "ast": {"nodes": [definition(*d) for d in UNITS[unit]]}}
            for i, unit in enumerate(sorted(std_input["sources"]))
        }
        picked = list(UNITS) if "*" in selection and "*" in selection["*"] else list(selection)
        if self.fail_on in picked and selection.get(self.fail_on):
            raise CompileError(errors=[f"{self.fail_on}:1:1: Error: stack too deep"])
        contracts = {
            u: {d[1]: {"abi": [], "unit": u} for d in UNITS[u]} for u in picked if u != "*"
        }
        return {"sources": sources, "contracts": contracts, "errors": [WARNING]}


def definition(
    node_id: int, name: str, kind: str, abstract: bool, length: int, bases: list[int]
) -> dict[str, Any]:
    return {
        "nodeType": "ContractDefinition",
        "id": node_id,
        "name": name,
        "contractKind": kind,
        "abstract": abstract,
        "src": f"0:{length}:0",
        "linearizedBaseContracts": bases,
    }


def std_input() -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {unit: {"content": ""} for unit in UNITS},
        "settings": {"outputSelection": {"*": {"*": OUTPUTS, "": ["ast"]}}},
    }


def test_large_contracts_run_alone_largest_first_and_the_rest_together() -> None:
    solc, said = FakeSolc(), []
    output = compile_in_jobs(std_input(), solc, own_prefix="contracts/", jobs=1, say=said.append)
    assert solc.selections == [
        {"*": {"": ["ast"]}},  # parse and check everything once
        {"contracts/Big.sol": {"*": OUTPUTS}},  # Big inherits Base: 12000 of source
        {"contracts/Mid.sol": {"*": OUTPUTS}},
        # under a tenth of the largest, interfaces, abstract contracts, dependencies: one run
        {u: {"*": OUTPUTS} for u in ["contracts/Base.sol", "contracts/IThing.sol", SMALL, DEP]},
    ]
    assert said[0].startswith("  sources checked in ")
    assert said[0].endswith("generating code in 3 runs, 1 at a time")
    assert [line.split(" (")[0] for line in said[1:]] == [
        "  [1/3] Big",
        "  [2/3] Mid",
        "  [3/3] Base, IThing, Tiny",
    ]
    assert set(output["contracts"]) == {
        "contracts/Big.sol",
        "contracts/Mid.sol",
        "contracts/Base.sol",
        "contracts/IThing.sol",
        SMALL,
        DEP,
    }
    assert output["sources"]["node_modules/Dep.sol"]["ast"]["nodes"][0]["name"] == "Dep"
    assert output["errors"] == [WARNING]  # each run repeats it: once in the merged output


def test_runs_in_parallel_give_the_same_output() -> None:
    one = compile_in_jobs(std_input(), FakeSolc(), own_prefix="contracts/", jobs=1, say=print)
    two = compile_in_jobs(std_input(), FakeSolc(), own_prefix="contracts/", jobs=3, say=print)
    assert one == two


def test_an_error_in_one_run_is_the_compile_error() -> None:
    with pytest.raises(CompileError, match=r"contracts/Mid\.sol:1:1: Error: stack too deep"):
        compile_in_jobs(
            std_input(),
            FakeSolc(fail_on="contracts/Mid.sol"),
            own_prefix="contracts/",
            jobs=2,
            say=print,
        )


def test_a_small_project_is_one_run() -> None:
    small = std_input()
    small["sources"] = {u: small["sources"][u] for u in ["contracts/Big.sol", "contracts/Base.sol"]}
    solc = FakeSolc()
    compile_in_jobs(small, solc, own_prefix="contracts/", jobs=2, say=print)
    assert solc.selections == [{"*": {"*": OUTPUTS, "": ["ast"]}}]
