"""Anchors benchmark: our ledger's gas against the Ethereum Attestation Service and an OZ ERC-20.

``python -m bench.bench_anchors`` (``make bench-anchors``) builds one small city on one embedded
chain (eth-tester, py-evm), deploys EAS 1.9.0 and its SchemaRegistry and a plain OpenZeppelin
ERC-20 on the same chain, and takes the ``gasUsed`` of real receipts of:

- ``attest``: one attestation, no resolver, to a resident, with a schema carrying what one of our
  claims carries (``uint16 category,uint32 units,uint64 occurredAt,bytes32 evidence``, the same
  values as our claims);
- ``multiAttest`` of 50 such attestations to 50 residents (per item = total / 50);
- ``mint`` of the ERC-20 to an address that already holds tokens;
- our confirmed record, alone and in a batch of 50, and our reward mint, by the very scenarios of
  :mod:`bench.gas_cases` that ``make bench-gas`` runs.

It writes ``bench/results/anchors.json`` (figures and ratios, ours / theirs) and prints a table.
A benchmark reports, it does not fail: it exits 0 and names any ratio above its goal.
The EAS bytecode shipped in the npm package (built by EAS with solc 0.8.29) is measured too, so
the comparison does not hinge on our compiler settings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_abi import encode
from rich.console import Console
from rich.table import Table
from web3.contract import Contract

from bench import _eas
from bench._city import GasCity, build_city
from bench.bench_gas import chain_rules, git_commit
from bench.gas_cases import BATCH, SMALL, Figures, _expect, _gas, relayed_records, rewards
from bench.report import LABELS
from credit import compile as solc
from credit.artifacts import Artifact
from credit.chain.city import Actor
from credit.ruleset import DEFAULT_RULESET, load_ruleset

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "anchors.json"
SCHEMA = "uint16 category,uint32 units,uint64 occurredAt,bytes32 evidence"
ZERO32 = b"\x00" * 32
ZERO_ADDRESS = "0x" + "00" * 20
MULTI_GAS = 25_000_000  # 50 attestations; the embedded chain's blocks hold 30M

# Ratio name -> (our figure, their figure, goal: the most the ratio may be; None = context only).
RATIOS: dict[str, tuple[str, str, float | None]] = {
    "ratio_record_single_to_eas_attest": (
        "our_confirmed_record_single_gas",
        "eas_attest_gas",
        1.0,
    ),
    "ratio_record_batch50_to_eas_multiattest50": (
        "our_confirmed_record_batch50_per_record_gas",
        "eas_multiattest50_per_item_gas",
        1.0,
    ),
    "ratio_record_single_to_oz_mint": (
        "our_confirmed_record_single_gas",
        "oz_mint_existing_gas",
        None,
    ),
    "ratio_reward_mint_single_to_oz_mint": (
        "our_reward_mint_single_gas",
        "oz_mint_existing_gas",
        None,
    ),
}
GOALS = {name: goal for name, (_, _, goal) in RATIOS.items() if goal is not None}


def deploy(actor: Actor, abi: list[dict[str, Any]], bytecode: str, *args: Any) -> Contract:
    receipt = actor.tx.deploy(abi, bytecode, *args)
    return actor.tx.w3.eth.contract(address=receipt["contractAddress"], abi=abi)


def deploy_artifact(actor: Actor, artifact: Artifact, *args: Any) -> Contract:
    return deploy(actor, artifact.abi, artifact.bytecode, *args)


def register_schema(city: GasCity, registry: Contract) -> bytes:
    """Register :data:`SCHEMA` (no resolver, revocable) and return its uid."""
    receipt = city.operator.send(registry.functions.register(SCHEMA, ZERO_ADDRESS, True))
    (event,) = _expect(receipt, registry, "Registered", 1)
    return bytes(event["args"]["uid"])


def attestation_data(city: GasCity, recipient: str) -> tuple[Any, ...]:
    """An ``AttestationRequestData`` holding what our claim holds (category 1, 1 unit)."""
    data = encode(["uint16", "uint32", "uint64", "bytes32"], [1, 1, city.now() - 60, ZERO32])
    return (recipient, 0, True, ZERO32, data, 0)  # no expiry, revocable, no refUID, no value


def measure_eas(city: GasCity, eas: Contract, schema: bytes, prefix: str) -> Figures:
    """``attest`` once and ``multiAttest`` 50, from an official to residents; rolled back."""
    attester, cast = city.superior, city.cast
    out: Figures = {}
    with city.scenario():
        fn = eas.functions.attest((schema, attestation_data(city, cast[0].address)))
        receipt = attester.send(fn)
        _expect(receipt, eas, "Attested", 1)
        out[f"{prefix}attest_gas"] = _gas(receipt)
    with city.scenario():
        items = [attestation_data(city, r.address) for r in cast[:BATCH]]
        receipt = attester.send(eas.functions.multiAttest([(schema, items)]), gas=MULTI_GAS)
        _expect(receipt, eas, "Attested", BATCH)
        out[f"{prefix}multiattest50_per_item_gas"] = _gas(receipt, BATCH)
    return out


def measure_oz_mint(city: GasCity, token: Contract) -> Figures:
    """Mint to a holder: the second mint to ``cast[0]`` (balance and supply already non-zero)."""
    minter, holder = city.minter, city.cast[0].address
    with city.scenario():
        minter.send(token.functions.mint(holder, 10**18))
        receipt = minter.send(token.functions.mint(holder, 10**18))
        _expect(receipt, token, "Transfer", 1)
        if int(token.functions.balanceOf(holder).call()) != 2 * 10**18:
            raise RuntimeError("the ERC-20 mint did not credit the holder twice")
        return {"oz_mint_existing_gas": _gas(receipt)}


def measure_ours(city: GasCity) -> Figures:
    """Our figures, from the scenarios of ``make bench-gas``."""
    records, minted = relayed_records(city), rewards(city)
    return {
        "our_confirmed_record_single_gas": records["confirmed_record_single"],
        "our_confirmed_record_batch50_per_record_gas": records[
            "confirmed_record_batch50_per_record"
        ],
        "our_reward_mint_single_gas": minted["reward_mint_single"],
    }


def ratios(figures: Figures) -> dict[str, float]:
    return {
        name: round(figures[ours] / figures[theirs], 3)
        for name, (ours, theirs, _) in RATIOS.items()
    }


def measure(city: GasCity, anchors: dict[str, Artifact]) -> dict[str, Any]:
    """Every figure on ``city``'s chain: ours, EAS (our build and the published one), the mint."""
    figures: Figures = measure_ours(city)
    with city.scenario():
        registry = deploy_artifact(city.operator, anchors["SchemaRegistry"])
        eas = deploy_artifact(city.operator, anchors["EAS"], registry.address)
        published = deploy(city.operator, *_eas.published_eas(), registry.address)
        token = deploy_artifact(city.operator, anchors["AnchorToken"])
        schema = register_schema(city, registry)
        figures |= measure_eas(city, eas, schema, "eas_")
        check = measure_eas(city, published, schema, "")
        figures |= measure_oz_mint(city, token)
    results: dict[str, Any] = {**figures, **ratios(figures)}
    results["eas_published_bytecode"] = {
        **check,
        "ratio_record_single_to_attest": round(
            figures["our_confirmed_record_single_gas"] / check["attest_gas"], 3
        ),
    }
    return results


def metadata(city: GasCity, seconds: float) -> dict[str, Any]:
    return {
        "chain": f"eth-tester py-evm ({chain_rules(city)}), one chain for every figure",
        "gas": "gasUsed of real transaction receipts (whole transaction, intrinsic gas included)",
        "eas": f"{_eas.EAS_PACKAGE} {_eas.EAS_VERSION}, compiled with solc {solc.SOLC_VERSION} "
        "(pragma 0.8.29 rewritten), the project's settings (viaIR, 200 runs, cancun)",
        "eas_schema": SCHEMA,
        "eas_attestation": "no resolver, no expiry, revocable, attester = msg.sender "
        "(no signature checked)",
        "ours": "relayClaims: the resident's EIP-712 claim and two evaluators' endorsements "
        "(3 signatures recovered), quorum, caps and credit updated (bench.gas_cases)",
        "oz_mint": "OpenZeppelin 5 ERC20._mint through an open mint() (bench/sol/AnchorToken.sol) "
        "to an address already holding tokens",
        "registered_residents": city.population,
        "solc_version": solc.SOLC_VERSION,
        "openzeppelin": solc.OZ_VERSION,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "seconds": round(seconds, 1),
    }


def print_table(console: Console, results: dict[str, Any]) -> None:
    table = Table(title="Our ledger against EAS and an OpenZeppelin ERC-20 (gasUsed, one chain)")
    table.add_column("comparison (ours / theirs)", no_wrap=True)
    table.add_column("theirs", justify="right")
    table.add_column("ours", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("goal", justify="right")
    for name, (ours, theirs, goal) in RATIOS.items():
        ratio = results[name]
        verdict = (
            "" if goal is None else f"<= {goal:g} " + ("yes" if ratio <= goal else "[red]NO[/red]")
        )
        table.add_row(
            LABELS[name], f"{results[theirs]:,}", f"{results[ours]:,}", f"{ratio:.3f}", verdict
        )
    console.print(table)
    check = results["eas_published_bytecode"]
    console.print(
        f"EAS as published (npm bytecode, solc 0.8.29): attest {check['attest_gas']:,}, "
        f"multiAttest per item {check['multiattest50_per_item_gas']:,}; "
        f"one record / attest = {check['ratio_record_single_to_attest']:.3f}"
    )


def run_benchmark(out: Path, console: Console) -> dict[str, Any]:
    """Measure, print the table, write ``out`` and return what was written."""
    started = time.monotonic()
    anchors = _eas.compile_anchors()
    city = build_city(solc.compile_contracts(), load_ruleset(DEFAULT_RULESET), background=SMALL)
    results = measure(city, anchors)
    results["ratio_terms"] = {name: [ours, theirs] for name, (ours, theirs, _) in RATIOS.items()}
    results["goals"] = GOALS
    results["missed_goals"] = [k for k, goal in GOALS.items() if results[k] > goal]
    results["meta"] = metadata(city, time.monotonic() - started)
    print_table(console, results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_anchors", description=__doc__)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (JSON)")
    args = parser.parse_args(argv)
    console = Console()
    if console.width < 120:
        console = Console(width=120)
    results = run_benchmark(args.out, console)
    for name in results["missed_goals"]:
        console.print(f"[red]GOAL MISSED[/red] {name}: {results[name]} > {GOALS[name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
