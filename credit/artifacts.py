"""Compiled-contract artifacts and the ``build/`` directory that holds them.

``build/contracts/<Name>.json`` (one per contract), ``build/contracts/_manifest.json`` (input
hash, contract list, solc warnings; written last) and ``build/build-info/<hash>.json``
(Hardhat's build-info format, for slither). All JSON is written with sorted keys and a fixed
indent so the same sources give byte-identical files.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ARTIFACT_FORMAT = "credit-artifact-1"  # bump when the artifact layout changes
MANIFEST = "_manifest.json"


@dataclass(frozen=True)
class Artifact:
    """One compiled contract, interface or library defined under ``contracts/``."""

    name: str
    source_path: str  # source unit name, e.g. "contracts/Ledger.sol"
    kind: str  # "contract", "abstract", "interface" or "library"
    abi: list[dict[str, Any]]
    bytecode: str  # 0x-prefixed creation code; "0x" for interfaces and abstract contracts
    deployed_bytecode: str
    metadata: str
    method_identifiers: dict[str, str]
    storage_layout: dict[str, Any]
    source_hash: str  # sha256 of every source, the OpenZeppelin version and the settings
    compiler_version: str

    @property
    def initcode_size(self) -> int:
        """Size of the creation code in bytes."""
        return (len(self.bytecode) - 2) // 2

    @property
    def deployed_size(self) -> int:
        """Size of the runtime code in bytes (EIP-170 caps it at 24576)."""
        return (len(self.deployed_bytecode) - 2) // 2

    def to_json(self) -> dict[str, Any]:
        """Serialise to the on-disk artifact layout (camelCase, Hardhat-like keys)."""
        return {"_format": ARTIFACT_FORMAT} | {
            key: getattr(self, field) for field, key in _JSON_KEYS.items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Artifact:
        """Inverse of :meth:`to_json`."""
        return cls(**{field: data[key] for field, key in _JSON_KEYS.items()})


# each field of an Artifact and its key in the on-disk layout
_JSON_KEYS = {
    "name": "contractName",
    "source_path": "sourceName",
    "kind": "kind",
    "abi": "abi",
    "bytecode": "bytecode",
    "deployed_bytecode": "deployedBytecode",
    "metadata": "metadata",
    "method_identifiers": "methodIdentifiers",
    "storage_layout": "storageLayout",
    "source_hash": "sourceHash",
    "compiler_version": "compilerVersion",
}


def load_cached(build_dir: Path, digest: str) -> dict[str, Artifact] | None:
    """Artifacts of a previous build with input hash ``digest``, or None if a rebuild is due."""
    out_dir = build_dir / "contracts"
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text())
        if manifest.get("input_hash") != digest:
            return None
        return {
            name: Artifact.from_json(json.loads((out_dir / f"{name}.json").read_text()))
            for name in manifest["contracts"]
        }
    except (OSError, ValueError, KeyError):
        return None  # missing or damaged build: compile again


def write_build(
    build_dir: Path,
    artifacts: dict[str, Artifact],
    build_info: dict[str, Any],
    manifest: dict[str, Any],
) -> None:
    """Write artifacts, build-info and manifest; delete files of contracts that are gone."""
    out_dir, info_dir = build_dir / "contracts", build_dir / "build-info"
    for name, artifact in artifacts.items():
        write_json(out_dir / f"{name}.json", artifact.to_json())
    write_json(info_dir / f"{build_info['id']}.json", build_info)
    _prune(out_dir, keep={f"{name}.json" for name in artifacts} | {MANIFEST})
    _prune(info_dir, keep={f"{build_info['id']}.json"})
    write_json(out_dir / MANIFEST, manifest)  # last: its presence means the build is whole


def write_json(path: Path, data: Any) -> None:
    """Write sorted, indented JSON atomically so parallel test workers never see half a file."""
    write_text(path, json.dumps(data, sort_keys=True, indent=2) + "\n")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file in the same directory, renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o644)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _prune(directory: Path, keep: set[str]) -> None:
    """Delete JSON files not in ``keep`` so build/ mirrors contracts/."""
    for path in directory.glob("*.json"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
