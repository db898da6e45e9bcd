"""The compiled contracts that ship with the repository, so a first run needs no compiler.

``credit/compiled/<Name>.json`` holds each artifact of ``build/contracts/`` as compact JSON;
``credit/compiled/_manifest.json`` holds the input hash they were compiled from (every source,
the OpenZeppelin and solc versions, the settings), the settings themselves, a sha256 per source
and a sha256 per artifact file. ``compile_contracts()`` serves them when ``build/`` does not
match the sources but they do, so ``make demo`` on a fresh clone skips ``npm ci`` and a
minutes-long solc-js run. They are only ever written from a real compile (``make artifacts``)
and ``build/`` is only ever written by solc, so comparing the two (tests/test_compile.py and
``python -m credit.compile --check``) catches any drift.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from credit.artifacts import MANIFEST, Artifact, write_text

SHIPPED_DIR = Path(__file__).resolve().parent / "compiled"
SHIPPED_FORMAT = "credit-shipped-1"
REFRESH_COMMAND = "make artifacts"


def compact(data: Any) -> str:
    """Sorted, compact JSON and a newline: the same artifacts give the same bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"


def sha256(text: str) -> str:
    """Hex sha256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode()).hexdigest()


def write_shipped(
    artifacts: dict[str, Artifact],
    *,
    input_hash: str,
    sources: dict[str, dict[str, str]],
    build: dict[str, Any],
    directory: Path = SHIPPED_DIR,
) -> None:
    """Write ``artifacts`` (from a real compile of ``sources`` with input hash ``input_hash``)
    and the manifest; ``build`` adds the compiler facts (versions, settings). Files of contracts
    that are gone are deleted; the manifest is written last."""
    texts = {name: compact(artifact.to_json()) for name, artifact in sorted(artifacts.items())}
    for name, text in texts.items():
        write_text(directory / f"{name}.json", text)
    for path in directory.glob("*.json"):
        if path.name != MANIFEST and path.stem not in texts:
            path.unlink()
    manifest = {
        "_format": SHIPPED_FORMAT,
        "input_hash": input_hash,
        **build,
        "sources": {unit: sha256(source["content"]) for unit, source in sorted(sources.items())},
        "contracts": {name: sha256(text) for name, text in texts.items()},
        "refresh": REFRESH_COMMAND,
    }
    write_text(directory / MANIFEST, json.dumps(manifest, sort_keys=True, indent=1) + "\n")


def read_shipped_manifest(directory: Path = SHIPPED_DIR) -> dict[str, Any] | None:
    """The shipped manifest, or None when there is none (or it is damaged)."""
    try:
        data = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("_format") == SHIPPED_FORMAT else None


def load_shipped(input_hash: str, directory: Path = SHIPPED_DIR) -> dict[str, Artifact] | None:
    """The shipped artifacts if they were compiled from input hash ``input_hash`` and every file
    is intact (its sha256 is the manifest's); None otherwise (then compile)."""
    manifest = read_shipped_manifest(directory)
    if manifest is None or manifest.get("input_hash") != input_hash:
        return None
    artifacts = {}
    try:
        for name, digest in manifest["contracts"].items():
            text = (directory / f"{name}.json").read_text()
            if sha256(text) != digest:
                return None  # edited by hand or half-merged: do not trust it
            artifacts[name] = Artifact.from_json(json.loads(text))
    except (OSError, ValueError, KeyError):
        return None
    return artifacts


def stale_sources(sources: dict[str, dict[str, str]], directory: Path = SHIPPED_DIR) -> list[str]:
    """The source units added, changed or removed since the shipped artifacts were compiled."""
    manifest = read_shipped_manifest(directory) or {}
    shipped: dict[str, str] = manifest.get("sources", {})
    now = {unit: sha256(source["content"]) for unit, source in sources.items()}
    return sorted(u for u in shipped.keys() | now.keys() if shipped.get(u) != now.get(u))


def differences(
    fresh: dict[str, Artifact], input_hash: str, directory: Path = SHIPPED_DIR
) -> list[str]:
    """How the shipped artifacts differ from ``fresh`` ones (compiled from input hash
    ``input_hash``), one line per contract, each saying how to refresh them; [] when equal."""
    fix = f"run `{REFRESH_COMMAND}` and commit {_display(directory)}"
    manifest = read_shipped_manifest(directory)
    if manifest is None:
        return [f"no shipped artifacts in {_display(directory)}: {fix}"]
    problems = []
    if manifest.get("input_hash") != input_hash:
        problems.append(
            f"the shipped artifacts were compiled from other sources or settings (input hash "
            f"{str(manifest.get('input_hash'))[:12]}…, now {input_hash[:12]}…): {fix}"
        )
    shipped = _read_all(directory, manifest)
    for name in sorted(fresh.keys() | shipped.keys()):
        if name not in shipped:
            problems.append(f"{name}: compiled from source but not shipped: {fix}")
        elif name not in fresh:
            problems.append(f"{name}: shipped but no longer compiled from source: {fix}")
        elif shipped[name] != (made := fresh[name].to_json()):
            fields = [k for k, v in made.items() if shipped[name].get(k) != v] or ["fields"]
            problems.append(
                f"{name}: shipped {', '.join(fields)} differ from a fresh compile: {fix}"
            )
    return problems


def _read_all(directory: Path, manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for name in manifest.get("contracts", {}):
        try:
            found[name] = json.loads((directory / f"{name}.json").read_text())
        except (OSError, ValueError):
            found[name] = {}
    return found


def _display(directory: Path) -> str:
    try:
        return directory.relative_to(Path.cwd()).as_posix() + "/"
    except ValueError:
        return str(directory) + "/"
