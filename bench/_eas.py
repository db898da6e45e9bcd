"""Compile the Ethereum Attestation Service and a plain OpenZeppelin ERC-20 for the anchors bench.

The EAS sources come from the pinned npm package ``@ethereum-attestation-service/eas-contracts``;
they are compiled by the project's own pipeline (the npm solc behind ``credit/_solc/solc``, with
:data:`credit.compile.SETTINGS`), so EAS and our ledger are measured with the same compiler and
settings. EAS 1.9.0 pins ``pragma solidity 0.8.29``; the pragma line is the one change made to
its sources (to our 0.8.28), and the package's own published bytecode is measured alongside as
a check that the compiler does not move the comparison.

Output is cached in ``build/bench-anchors/`` keyed by a hash of the input, as
:mod:`credit.compile` caches ``build/``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from credit import compile as solc
from credit.artifacts import Artifact, load_cached, write_build
from credit.errors import CompileError, ToolchainError

EAS_PACKAGE = "@ethereum-attestation-service/eas-contracts"
EAS_VERSION = "1.9.0"
ROOT = solc.PROJECT_ROOT
NODE_MODULES = ROOT / "node_modules"
BUILD_DIR = ROOT / "build" / "bench-anchors"
TOKEN_SOURCE = "bench/sol/AnchorToken.sol"
ENTRY_POINTS = ("contracts/EAS.sol", "contracts/SchemaRegistry.sol")  # inside the package
WANTED = {"EAS", "SchemaRegistry", "AnchorToken"}

_PRAGMA = re.compile(r"^pragma solidity (\d+\.\d+\.\d+);", re.MULTILINE)
_RELATIVE_IMPORT = re.compile(r"""["'](\.{1,2}/[^"']+\.sol)["']""")


def eas_dir(node_modules: Path = NODE_MODULES) -> Path:
    """The installed EAS package, checked to be the pinned version."""
    package = node_modules / EAS_PACKAGE
    try:
        version = json.loads((package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        raise ToolchainError(f"{EAS_PACKAGE} is not installed: run `make install`") from None
    if version != EAS_VERSION:
        raise ToolchainError(
            f"{package} is version {version}, the benchmark pins {EAS_VERSION}: run `make install`"
        )
    return package


def eas_sources(package: Path) -> tuple[dict[str, dict[str, str]], list[str]]:
    """EAS.sol, SchemaRegistry.sol and what they import from the package, by source unit name.

    Returns the sources and the pragma versions rewritten to :data:`credit.compile.SOLC_VERSION`.
    """
    sources: dict[str, dict[str, str]] = {}
    rewritten: set[str] = set()
    pending = list(ENTRY_POINTS)
    while pending:
        relative = pending.pop()
        unit = f"{EAS_PACKAGE}/{relative}"
        if unit in sources:
            continue
        text = (package / relative).read_text()
        for version in _PRAGMA.findall(text):
            if version != solc.SOLC_VERSION:
                rewritten.add(version)
        text = _PRAGMA.sub(f"pragma solidity {solc.SOLC_VERSION};", text)
        sources[unit] = {"content": text}
        folder = Path(relative).parent
        for imported in _RELATIVE_IMPORT.findall(text):
            pending.append(_normalise(f"{folder.as_posix()}/{imported}"))
    return dict(sorted(sources.items())), sorted(rewritten)


def _normalise(path: str) -> str:
    """Collapse ``a/b/../c`` and ``./`` the way solc resolves relative imports."""
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def compile_anchors(*, force: bool = False) -> dict[str, Artifact]:
    """Artifacts of ``EAS``, ``SchemaRegistry`` and ``AnchorToken``, compiled or from the cache."""
    oz_version = solc._check_packages(NODE_MODULES)
    package = eas_dir()
    sources, rewritten = eas_sources(package)
    sources[TOKEN_SOURCE] = {"content": (ROOT / TOKEN_SOURCE).read_text()}
    std_input = {"language": "Solidity", "sources": sources, "settings": solc.SETTINGS}
    digest = solc._input_hash(std_input, oz_version)
    if not force and (cached := load_cached(BUILD_DIR, digest)) is not None:
        return cached
    output = solc._run_solc(std_input, ROOT, NODE_MODULES)
    artifacts = _artifacts(output, digest)
    manifest = {
        "_format": "credit-bench-anchors-manifest-1",
        "input_hash": digest,
        "eas_version": EAS_VERSION,
        "oz_version": oz_version,
        "solc_version": solc.SOLC_VERSION,
        "pragmas_rewritten_from": rewritten,
        "contracts": {name: a.source_path for name, a in artifacts.items()},
    }
    build_info = {"_format": "hh-sol-build-info-1", "id": digest, "input": std_input}
    write_build(BUILD_DIR, artifacts, build_info, manifest)
    return artifacts


def _artifacts(output: dict[str, Any], digest: str) -> dict[str, Artifact]:
    found: dict[str, Artifact] = {}
    for unit, contracts in output.get("contracts", {}).items():
        for name, data in contracts.items():
            if name not in WANTED:
                continue
            found[name] = solc.artifact_of(unit, name, data, "contract", digest)
    missing = WANTED - found.keys()
    if missing:
        raise CompileError(f"the anchors build lacks {sorted(missing)}")
    return found


def published_eas(package: Path | None = None) -> tuple[list[dict[str, Any]], str]:
    """ABI and creation code of EAS as the npm package ships it (built by EAS, solc 0.8.29)."""
    package = package or eas_dir()
    data = json.loads((package / "artifacts" / "contracts" / "EAS.sol" / "EAS.json").read_text())
    return data["abi"], data["bytecode"]
