"""The anchors benchmark's parts: EAS 1.9.0 compiles from the pinned npm package with our solc,
attests on the embedded chain, and one attestation costs more gas than our confirmed record.

The full comparison (multiAttest, the ERC-20 mint, the published bytecode) is ``make
bench-anchors``; this runs the same functions on one small city.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import decode
from web3.contract import Contract

from bench import _eas
from bench._city import GasCity, build_city
from bench.bench_anchors import attestation_data, deploy_artifact, measure_eas, register_schema
from bench.gas_cases import _expect, relayed_records
from credit.artifacts import Artifact
from credit.compile import SOLC_VERSION
from credit.ruleset import RuleSet

PREFIX = f"{_eas.EAS_PACKAGE}/"


@pytest.fixture(scope="module")
def city(artifacts: dict[str, Artifact], ruleset: RuleSet) -> GasCity:
    return build_city(artifacts, ruleset, background=0)


@pytest.fixture(scope="module")
def eas(city: GasCity) -> tuple[Contract, bytes]:
    anchors = _eas.compile_anchors()
    registry = deploy_artifact(city.operator, anchors["SchemaRegistry"])
    eas = deploy_artifact(city.operator, anchors["EAS"], registry.address)
    return eas, register_schema(city, registry)


def test_eas_sources_differ_from_the_package_only_in_their_pragma() -> None:
    package = _eas.eas_dir()
    sources, rewritten = _eas.eas_sources(package)
    assert {f"{PREFIX}contracts/EAS.sol", f"{PREFIX}contracts/SchemaRegistry.sol"} <= set(sources)
    assert rewritten == ["0.8.29"]
    for unit, source in sources.items():
        original = (package / unit.removeprefix(PREFIX)).read_text().splitlines()
        ours = source["content"].splitlines()
        changed = [(a, b) for a, b in zip(original, ours, strict=True) if a != b]
        for before, after in changed:
            assert before.startswith("pragma solidity ")
            assert after == f"pragma solidity {SOLC_VERSION};"


def test_an_attestation_is_stored_with_the_fields_of_a_claim(
    city: GasCity, eas: tuple[Contract, bytes]
) -> None:
    contract, schema = eas
    resident = city.cast[0].address
    with city.scenario():
        request = attestation_data(city, resident)
        occurred = decode(["uint16", "uint32", "uint64", "bytes32"], request[4])[2]
        receipt = city.superior.send(contract.functions.attest((schema, request)))
        (event,) = _expect(receipt, contract, "Attested", 1)
        stored: Any = contract.functions.getAttestation(event["args"]["uid"]).call()
    assert stored[1] == schema
    assert (stored[6], stored[7]) == (resident, city.superior.address)  # recipient, attester
    category, units, occurred_at, evidence = decode(
        ["uint16", "uint32", "uint64", "bytes32"], stored[9]
    )
    assert (category, units, evidence) == (1, 1, b"\x00" * 32)
    assert occurred_at == occurred < stored[2]  # the claim is dated before the attestation


def test_our_confirmed_record_costs_less_than_one_attestation(
    city: GasCity, eas: tuple[Contract, bytes]
) -> None:
    contract, schema = eas
    theirs = measure_eas(city, contract, schema, "eas_")
    ours = relayed_records(city)["confirmed_record_single"]
    assert 21_000 < ours < theirs["eas_attest_gas"]
    # batching spreads the 21,000 base cost: a multiAttest item is cheaper than one attest
    assert 0 < theirs["eas_multiattest50_per_item_gas"] < theirs["eas_attest_gas"]
