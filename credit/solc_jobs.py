"""One compile as several solc runs, so it can report per contract and use every core.

One solc-js run compiles every contract at once and says nothing until it ends (minutes on a
busy 2-core machine). Instead: a first run parses and checks every source and returns their
ASTs (seconds); then one run per source unit that defines a concrete contract, plus one run for
the units that define only interfaces, libraries and abstract contracts, each generating code
for its own units only, run ``jobs`` at a time. Every run gets the same sources and settings
(only ``outputSelection`` differs), so source ids, AST ids and each contract's output are the
ones a single run gives; the pieces are merged into one standard-JSON output. The shipped
artifacts' test (tests/test_compile.py) holds the merged result to a single run's.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from credit.progress import Progress, elapsed

MIN_UNITS_TO_SPLIT = 4
SMALL_FRACTION = 10  # a contract under 1/10 of the largest's size compiles with the small ones
Solc = Callable[[dict[str, Any]], dict[str, Any]]  # standard-JSON input -> output


def compile_in_jobs(
    std_input: dict[str, Any], solc: Solc, *, own_prefix: str, jobs: int, say: Progress
) -> dict[str, Any]:
    """The standard-JSON output of ``std_input`` (whose ``outputSelection`` names the outputs
    per contract under ``"*"``), made by ``solc`` in several runs ``jobs`` at a time; code is
    generated only for source units starting with ``own_prefix`` (ours, not dependencies)."""
    wanted = std_input["settings"]["outputSelection"]["*"]["*"]
    own = [unit for unit in std_input["sources"] if unit.startswith(own_prefix)]
    if len(own) < MIN_UNITS_TO_SPLIT:
        return solc(std_input)  # a small project: the extra check would cost more than it saves
    started = time.monotonic()
    checked = solc(_selecting(std_input, {"*": {"": ["ast"]}}))
    if _has_errors(checked):
        return checked
    groups = _groups(checked, own_prefix)
    say(
        f"  sources checked in {elapsed(started)}; generating code in {len(groups)} runs, "
        f"{jobs} at a time"
    )
    outputs: dict[int, dict[str, Any]] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        pending: dict[Future[dict[str, Any]], int] = {
            pool.submit(solc, _selecting(std_input, {u: {"*": wanted} for u in units})): i
            for i, (units, _names) in enumerate(groups)
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=pending.__getitem__):
                index = pending.pop(future)
                outputs[index] = future.result()
                names = ", ".join(groups[index][1]) or "nothing"
                say(f"  [{len(outputs)}/{len(groups)}] {names} ({elapsed(started)})")
    return _merged(checked, [outputs[i] for i in range(len(groups))])


def _selecting(std_input: dict[str, Any], selection: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(std_input)
    out["settings"]["outputSelection"] = selection
    return out


def _has_errors(output: dict[str, Any]) -> bool:
    return any(e.get("severity") == "error" for e in output.get("errors", []))


def _groups(checked: dict[str, Any], own_prefix: str) -> list[tuple[list[str], list[str]]]:
    """(source units, contract names) per run: one per unit with a large concrete contract, the
    largest first (size: the length of source its contracts inherit, a proxy for compile time,
    so the last run to start is a short one), then one for the rest (small contracts,
    interfaces, libraries, abstract contracts, and the dependencies, whose output a single run
    makes too): each run costs a parse and check of every source."""
    definitions = {
        node["id"]: node
        for source in checked.get("sources", {}).values()
        for node in source.get("ast", {}).get("nodes", [])
        if node.get("nodeType") == "ContractDefinition"
    }
    size = {i: int(node["src"].split(":")[1]) for i, node in definitions.items() if "src" in node}
    heavy: list[tuple[int, list[str], list[str]]] = []
    light: tuple[list[str], list[str]] = ([], [])
    for unit, source in sorted(checked.get("sources", {}).items()):
        if not unit.startswith(own_prefix):
            light[0].append(unit)  # dependencies: a single run makes their (small) output too
            continue
        defined = [definitions[n["id"]] for n in source["ast"]["nodes"] if n["id"] in definitions]
        names = [node["name"] for node in defined]
        concrete = [n for n in defined if n["contractKind"] == "contract" and not n["abstract"]]
        if concrete:
            cost = sum(size.get(b, 0) for n in concrete for b in n["linearizedBaseContracts"])
            heavy.append((cost, [unit], names))
        elif names:
            light[0].append(unit)
            light[1].extend(names)
    heavy.sort(key=lambda job: -job[0])
    large = [job for job in heavy if job[0] * SMALL_FRACTION >= heavy[0][0]]
    for _, units, names in heavy[len(large) :]:
        light[0].extend(units)
        light[1].extend(names)
    return [(units, names) for _, units, names in large] + ([light] if light[0] else [])


def _merged(checked: dict[str, Any], outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """One output: the checked run's sources (ids and ASTs), every run's contracts, and each
    distinct message once in run order (each run repeats the analysis warnings)."""
    contracts: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for output in [checked, *outputs]:
        for unit, found in output.get("contracts", {}).items():
            contracts.setdefault(unit, {}).update(found)
        for error in output.get("errors", []):
            key = error.get("formattedMessage") or repr(sorted(error.items()))
            if key not in seen:
                seen.add(key)
                errors.append(error)
    merged: dict[str, Any] = {"sources": checked.get("sources", {}), "contracts": contracts}
    if errors:
        merged["errors"] = errors
    return merged
