"""The package's layers depend one way (docs/architecture.md):

    base (errors, settings, ruleset, facts, vocabulary, ...)
      → chain, store
        → relay, indexer, notices, audit, verify
          → gateway, cli, compose (the composition root), serve, ops, demo

A module imports only from its own layer or the layers below, the two bottom packages keep
apart, the middle packages import each other only along the edges listed here, and only the
chain layer talks to a node (web3, eth-tester). The auditor, the verifier, the notices and the
rule set are pure functions over typed values: no database, web or node library either.

Read from the source (every ``import``, also those inside functions and under TYPE_CHECKING),
so that a lazy import cannot slip a layer.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "credit"

BASE = 0
BOTTOM = 1
MIDDLE = 2
TOP = 3
LAYER = {
    "errors": BASE,
    "settings": BASE,
    "ruleset": BASE,
    "ruleset_diff": BASE,
    "rule_documents": BASE,
    "facts": BASE,
    "fold": BASE,
    "vocabulary": BASE,
    "artifacts": BASE,
    "compile": BASE,
    "progress": BASE,
    "shipped": BASE,
    "solc_jobs": BASE,
    "settings_keys": BASE,
    "zk": BASE,  # Poseidon, the credit tree, circuit inputs, snarkjs runs: no chain, no web
    "chain": BOTTOM,
    "store": BOTTOM,
    "relay": MIDDLE,
    "indexer": MIDDLE,
    "notices": MIDDLE,
    "audit": MIDDLE,
    "verify": MIDDLE,
    "gateway": TOP,
    "cli": TOP,
    "compose": TOP,
    "workers": TOP,
    "serve": TOP,
    "ops": TOP,
    "demo": TOP,
    "demo_steps": TOP,
    "demo_verify": TOP,
    "demo_relay": TOP,
    "demo_zk": TOP,
    "city": TOP,
    "__main__": TOP,
}
# Imports between two middle packages (each stays testable on its own otherwise).
SIDEWAYS = {("audit", "notices")}  # the auditor recomputes the notices to compare them
NODE_LIBRARIES = {"web3", "eth_tester"}  # only credit.chain talks to a node
PURE = {"audit", "verify", "notices", "ruleset"}
IMPURE_LIBRARIES = NODE_LIBRARIES | {"sqlalchemy", "fastapi", "starlette", "httpx", "requests"}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        yield ".".join(p for p in parts if p != "__init__"), path


def imports_of(module: str, source: str) -> set[str]:
    """Every absolute module name ``source`` imports (``from a import b`` gives ``a`` and
    ``a.b``: ``b`` may be a module); relative imports resolved against ``module``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: -node.level]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}"))
    return found


def _is_module(name: str) -> bool:
    """Whether ``name`` (``credit.x.y``) is a module or package of the package read."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def _area(module: str) -> str:
    """``credit.relay.intake`` → ``relay``; ``credit.errors`` → ``errors``."""
    return module.split(".")[1]


def violations() -> list[str]:
    """Every import that breaks the layer order, as ``importer → imported (why)``."""
    found: list[str] = []
    for module, path in _modules():
        if module == "credit":
            continue
        area = _area(module)
        assert area in LAYER, f"{module}: put credit.{area} in a layer of tests/test_layers.py"
        for name in sorted(imports_of(module, path.read_text())):
            top = name.split(".")[0]
            if top in NODE_LIBRARIES and area != "chain":
                found.append(f"{module} → {name} (only credit.chain talks to a node)")
            if area in PURE and top in IMPURE_LIBRARIES:
                found.append(f"{module} → {name} (credit.{area} is pure)")
            if top != "credit" or name == "credit":
                continue
            other = _area(name)
            if other == area or other not in LAYER:
                continue
            if LAYER[other] > LAYER[area]:
                found.append(f"{module} → {name} (a layer above)")
            elif LAYER[other] == LAYER[area] == BOTTOM:
                found.append(f"{module} → {name} (chain and store keep apart)")
            elif LAYER[other] == LAYER[area] == MIDDLE and (area, other) not in SIDEWAYS:
                found.append(f"{module} → {name} (a sideways import in the middle layer)")
    return found


def test_the_layers_depend_one_way() -> None:
    assert violations() == []


def test_every_package_of_credit_has_a_layer() -> None:
    areas = {_area(m) for m, _ in _modules() if m != "credit"}
    assert areas <= set(LAYER), sorted(areas - set(LAYER))


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        pytest.param(
            "credit.relay.intake",
            "from credit.gateway.errors import ApiError\n",
            "credit.relay.intake → credit.gateway.errors (a layer above)",
            id="relay-imports-gateway",
        ),
        pytest.param(
            "credit.store.db",
            "def f():\n    import credit.relay.records\n",
            "credit.store.db → credit.relay.records (a layer above)",
            id="lazy-import-in-store",
        ),
        pytest.param(
            "credit.audit.run",
            "from web3 import Web3\n",
            "credit.audit.run → web3 (only credit.chain talks to a node)",
            id="web3-in-audit",
        ),
        pytest.param(
            "credit.relay.service",
            "from ..gateway import errors\n",
            "credit.relay.service → credit.gateway (a layer above)",
            id="relative-import",
        ),
    ],
)
def test_a_wrong_import_is_caught(
    module: str, source: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check itself: each of these imports, planted in a copy of the package, is reported."""
    fake = tmp_path / "credit"
    target = fake / Path(*module.split(".")[1:]).with_suffix(".py")
    target.parent.mkdir(parents=True)
    target.write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert expected in violations()


MAX_LINES = 400  # a module past this holds more than one thing: split it along its seams


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for _, path in _modules()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
