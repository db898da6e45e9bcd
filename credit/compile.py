"""Compile the Solidity contracts with the pinned solc-js, driven through py-solc-x.

Pipeline: read ``contracts/**/*.sol`` -> hash sources, OpenZeppelin version and settings ->
reuse ``build/`` when the hash matches -> else the shipped artifacts (``credit/compiled/``,
credit.shipped) when they were compiled from that hash -> otherwise run solc
(``credit/_solc/solc``, a Node wrapper around the npm ``solc`` package; several runs at once,
credit.solc_jobs, reporting per contract) -> write deterministic artifacts, a manifest and a
Hardhat-style build-info. This is the only module that talks to py-solc-x.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from credit.artifacts import ARTIFACT_FORMAT, MANIFEST, Artifact, load_cached, write_build
from credit.errors import INSTALL_HINT, CompileError, CreditError, ToolchainError
from credit.progress import Progress, say_on_stderr, ticking
from credit.shipped import REFRESH_COMMAND, load_shipped, stale_sources, write_shipped
from credit.shipped import differences as shipped_differences
from credit.solc_jobs import compile_in_jobs

SOLC_VERSION = "0.8.28"
EVM_VERSION = "cancun"
OPTIMIZER_RUNS = 200
OZ_VERSION = "5.7.0"
EIP170_LIMIT = 24_576  # bytes of deployed code a contract may have on mainnet
MAX_JOBS = 4  # solc-js processes at once: each takes hundreds of MB for the via-IR ledger

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SOLC_BINARY = Path(__file__).resolve().parent / "_solc" / "solc"
CONTRACTS_DIR = "contracts"

SETTINGS: dict[str, Any] = {
    "evmVersion": EVM_VERSION,
    "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
    "viaIR": True,
    "remappings": ["@openzeppelin/=node_modules/@openzeppelin/"],
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
                "evm.methodIdentifiers",
                "metadata",
                "storageLayout",
            ],
            "": ["ast"],  # for contract kinds here and for slither via build-info
        }
    },
}


def compile_contracts(
    *,
    force: bool = False,
    root: Path | None = None,
    node_modules: Path | None = None,
    shipped: bool = True,
    progress: Progress | None = say_on_stderr,
    jobs: int | None = None,
) -> dict[str, Artifact]:
    """Compile every ``.sol`` under ``<root>/contracts`` and return artifacts by contract name.

    Reuses ``<root>/build`` when sources, OpenZeppelin version and settings are unchanged, else
    (with ``shipped``) the artifacts shipped in ``credit/compiled/`` when they were compiled from
    the same input, else runs solc (``progress`` hears what it is doing: minutes on 2 cores).
    ``force=True`` always recompiles. ``node_modules`` defaults to the one next to this package;
    only a compile needs it, which runs ``jobs`` solc processes at once (default: one per
    CPU, at most 4). Raises :class:`ToolchainError` or :class:`CompileError`.
    """
    root = (root or PROJECT_ROOT).resolve()
    node_modules = (node_modules or PROJECT_ROOT / "node_modules").resolve()
    sources = find_sources(root)
    std_input = {"language": "Solidity", "sources": sources, "settings": SETTINGS}
    digest = _input_hash(std_input, OZ_VERSION)
    if not force:
        if (cached := load_cached(root / "build", digest)) is not None:
            return cached
        if shipped and (ready := load_shipped(digest)) is not None:
            return ready
    oz_version = _check_packages(node_modules)
    say = progress or (lambda _msg: None)
    say(
        f"compiling {len(sources)} sources under {root / CONTRACTS_DIR} with solc-js "
        f"{SOLC_VERSION} (via-IR, OpenZeppelin {oz_version}): minutes on a 2-core machine"
    )
    with ticking(say, "compiling", every=60):
        output = (
            compile_in_jobs(
                std_input,
                lambda selected: _run_solc(selected, root, node_modules),
                own_prefix=f"{CONTRACTS_DIR}/",
                jobs=jobs or min(len(os.sched_getaffinity(0)), MAX_JOBS),
                say=say,
            )
            if sources
            else {}
        )
    artifacts = _extract_artifacts(output, digest)
    for name, art in sorted(artifacts.items()):
        say(f"  compiled {name} ({art.kind}, {art.deployed_size} bytes deployed)")
    _write_build(root, node_modules, std_input, output, artifacts, digest, oz_version)
    return artifacts


def ship_contracts(*, root: Path | None = None, progress: Progress | None = say_on_stderr) -> int:
    """Compile from source (``build/`` when current) and write ``credit/compiled/``; returns
    how many artifacts were shipped. ``make artifacts`` runs this after a change to contracts/."""
    root = (root or PROJECT_ROOT).resolve()
    artifacts = compile_contracts(root=root, shipped=False, progress=progress)
    manifest = read_manifest(root)
    write_shipped(
        artifacts,
        input_hash=manifest["input_hash"],
        sources=find_sources(root),
        build={
            "solc_version": manifest["solc_version"],
            "oz_version": manifest["oz_version"],
            "settings": SETTINGS,
        },
    )
    return len(artifacts)


def check_shipped(
    *, root: Path | None = None, progress: Progress | None = say_on_stderr
) -> list[str]:
    """Compile from source (``build/`` when current) and list how the shipped artifacts differ,
    one line per contract naming the command that refreshes them; [] when they match."""
    root = (root or PROJECT_ROOT).resolve()
    fresh = compile_contracts(root=root, shipped=False, progress=progress)
    return shipped_differences(fresh, read_manifest(root)["input_hash"])


def artifacts_status(root: Path | None = None) -> str:
    """Which artifacts serve the current sources without compiling: "build", "shipped" or ""."""
    root = (root or PROJECT_ROOT).resolve()
    digest = _input_hash(
        {"language": "Solidity", "sources": find_sources(root), "settings": SETTINGS}, OZ_VERSION
    )
    if load_cached(root / "build", digest) is not None:
        return "build"
    return "shipped" if load_shipped(digest) is not None else ""


def load_artifact(name: str, *, root: Path | None = None) -> Artifact:
    """Return the artifact of contract ``name``, compiling first if sources changed."""
    artifacts = compile_contracts(root=root)
    if name not in artifacts:
        known = ", ".join(sorted(artifacts)) or "none"
        raise CompileError(f"no contract named {name!r} under contracts/ (known: {known})")
    return artifacts[name]


def read_manifest(root: Path | None = None) -> dict[str, Any]:
    """Return ``build/contracts/_manifest.json`` (input hash, contracts, solc warnings)."""
    path = (root or PROJECT_ROOT) / "build" / "contracts" / MANIFEST
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise CompileError(f"{path} is missing: run `make compile` first") from None
    return data


def find_sources(root: Path) -> dict[str, dict[str, str]]:
    """Map each ``contracts/**/*.sol`` source unit name to ``{"content": ...}``, sorted."""
    files = sorted((root / CONTRACTS_DIR).rglob("*.sol"))
    return {f.relative_to(root).as_posix(): {"content": f.read_text()} for f in files}


def _check_packages(node_modules: Path) -> str:
    """Check the npm packages are installed at the pinned versions; return the OZ version."""
    found = {}
    for package, wanted in (("solc", SOLC_VERSION), ("@openzeppelin/contracts", OZ_VERSION)):
        try:
            meta = json.loads((node_modules / package / "package.json").read_text())
        except (OSError, ValueError):
            raise ToolchainError(INSTALL_HINT) from None
        if meta.get("version") != wanted:
            raise ToolchainError(
                f"{node_modules / package} is version {meta.get('version')}, the project pins "
                f"{wanted}: run `make install` (or `npm ci`)"
            )
        found[package] = meta["version"]
    return found["@openzeppelin/contracts"]


def _input_hash(std_input: dict[str, Any], oz_version: str) -> str:
    blob = json.dumps(
        {"input": std_input, "oz": oz_version, "solc": SOLC_VERSION, "format": ARTIFACT_FORMAT},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _run_solc(std_input: dict[str, Any], root: Path, node_modules: Path) -> dict[str, Any]:
    if shutil.which("node") is None:
        raise ToolchainError(INSTALL_HINT)
    try:
        output: dict[str, Any] = solcx.compile_standard(
            std_input,
            base_path=root,
            allow_paths=[root, node_modules.parent],
            solc_binary=SOLC_BINARY,
        )
    except SolcError as exc:
        if exc.error_dict:
            errors = [e["formattedMessage"] for e in exc.error_dict if e["severity"] == "error"]
            raise CompileError(errors=errors) from None
        raise ToolchainError(
            f"{INSTALL_HINT}\nsolc said: {(exc.stderr_data or '').strip()}"
        ) from exc
    except (OSError, ValueError, subprocess.CalledProcessError) as exc:
        raise ToolchainError(f"{INSTALL_HINT}\n({exc})") from exc
    return output


def _contract_kinds(output: dict[str, Any]) -> dict[tuple[str, str], str]:
    kinds = {}
    for unit, source in output.get("sources", {}).items():
        for node in source.get("ast", {}).get("nodes", []):
            if node.get("nodeType") == "ContractDefinition":
                kind = "abstract" if node.get("abstract") else node["contractKind"]
                kinds[(unit, node["name"])] = kind
    return kinds


def _extract_artifacts(output: dict[str, Any], digest: str) -> dict[str, Artifact]:
    kinds = _contract_kinds(output)
    artifacts: dict[str, Artifact] = {}
    for unit, contracts in sorted(output.get("contracts", {}).items()):
        if not unit.startswith(f"{CONTRACTS_DIR}/"):
            continue  # OpenZeppelin and other dependencies: compiled, not published
        for name, data in sorted(contracts.items()):
            if name in artifacts:
                raise CompileError(
                    f"two contracts are named {name} ({artifacts[name].source_path} and "
                    f"{unit}): rename one, artifacts are keyed by contract name"
                )
            artifacts[name] = artifact_of(
                unit, name, data, kinds.get((unit, name), "contract"), digest
            )
    return artifacts


def artifact_of(unit: str, name: str, data: dict[str, Any], kind: str, digest: str) -> Artifact:
    """The artifact of contract ``name`` of source ``unit`` from its standard-JSON output
    ``data``; ``digest``: the hash of the compiler input it came from."""
    metadata = data.get("metadata", "")
    return Artifact(
        name=name,
        source_path=unit,
        kind=kind,
        abi=data.get("abi", []),
        bytecode="0x" + data["evm"]["bytecode"]["object"],
        deployed_bytecode="0x" + data["evm"]["deployedBytecode"]["object"],
        metadata=metadata,
        method_identifiers=data["evm"].get("methodIdentifiers", {}),
        storage_layout=data.get("storageLayout") or {},
        source_hash=digest,
        compiler_version=json.loads(metadata)["compiler"]["version"] if metadata else "",
    )


def _write_build(
    root: Path,
    node_modules: Path,
    std_input: dict[str, Any],
    output: dict[str, Any],
    artifacts: dict[str, Artifact],
    digest: str,
    oz_version: str,
) -> None:
    long_version = next(iter(artifacts.values())).compiler_version if artifacts else SOLC_VERSION
    # Hardhat's build-info lists every source with its content, dependencies included.
    sources = dict(std_input["sources"])
    for unit in output.get("sources", {}):
        if unit not in sources and (node_modules.parent / unit).is_file():
            sources[unit] = {"content": (node_modules.parent / unit).read_text()}
    build_info = {
        "_format": "hh-sol-build-info-1",
        "id": digest,
        "solcVersion": SOLC_VERSION,
        "solcLongVersion": long_version,
        "input": {**std_input, "sources": sources},
        "output": output,
    }
    warnings = [
        {
            "severity": e.get("severity"),
            "code": e.get("errorCode"),
            "file": e.get("sourceLocation", {}).get("file"),
            "message": e.get("message"),
            "formatted": e.get("formattedMessage"),
        }
        for e in output.get("errors", [])
    ]
    manifest = {
        "_format": "credit-manifest-1",
        "input_hash": digest,
        "solc_version": long_version,
        "oz_version": oz_version,
        "evm_version": EVM_VERSION,
        "contracts": {name: a.source_path for name, a in artifacts.items()},
        "build_info": f"build-info/{digest}.json",
        "warnings": warnings,
    }
    write_build(root / "build", artifacts, build_info, manifest)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m credit.compile [--force] [--root DIR] [--ship | --check | --status]``:
    compile from source into build/ (never from the shipped artifacts) and print a size table."""
    parser = argparse.ArgumentParser(prog="python -m credit.compile", description=main.__doc__)
    parser.add_argument("--force", action="store_true", help="recompile even if up to date")
    parser.add_argument("--root", type=Path, help="project root holding contracts/")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--ship",
        action="store_true",
        help=f"then write the shipped artifacts, credit/compiled/ (`{REFRESH_COMMAND}`)",
    )
    mode.add_argument(
        "--check", action="store_true", help="fail if the shipped artifacts differ from build/"
    )
    mode.add_argument(
        "--status",
        action="store_true",
        help="compile nothing: exit 0 if build/ or the shipped artifacts match the sources, "
        "3 if a compile (and so Node.js and `npm ci`) is needed",
    )
    args = parser.parse_args(argv)
    if args.status:
        return _print_status(args.root)
    try:
        artifacts = compile_contracts(force=args.force, root=args.root, shipped=False)
        if args.ship:
            count = ship_contracts(root=args.root, progress=None)
            print(f"shipped {count} artifacts in credit/compiled/: commit them", file=sys.stderr)
        problems = check_shipped(root=args.root, progress=None) if args.check else []
    except CreditError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    width = max([len("contract"), *(len(n) for n in artifacts)])
    print(f"{'contract':<{width}}  {'kind':<9}  {'initcode':>9}  {'deployed':>9}")
    for name, art in sorted(artifacts.items()):
        flag = "  !" if art.deployed_size > EIP170_LIMIT else ""
        print(
            f"{name:<{width}}  {art.kind:<9}  {art.initcode_size:>9}  {art.deployed_size:>9}{flag}"
        )
    for name, art in sorted(artifacts.items()):
        if art.deployed_size > EIP170_LIMIT:
            print(
                f"warning: {name} deploys {art.deployed_size} bytes, over the {EIP170_LIMIT}-byte "
                "EIP-170 limit: split it or move code into libraries",
                file=sys.stderr,
            )
    return 0


def _print_status(root: Path | None) -> int:
    source = artifacts_status(root)
    if source:
        where = "build/ matches" if source == "build" else "the shipped artifacts match"
        print(f"contracts: {where} the sources; nothing to compile")
        return 0
    changed = stale_sources(find_sources((root or PROJECT_ROOT).resolve()))
    print(
        "contracts: a compile is needed (Node.js and `npm ci`); changed since the shipped "
        f"artifacts: {', '.join(changed) or 'compiler settings'} (`{REFRESH_COMMAND}` ships them)"
    )
    return 3


if __name__ == "__main__":
    sys.exit(main())
