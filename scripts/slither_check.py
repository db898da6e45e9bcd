"""Run Slither on our contracts and hold its High and Medium findings to a reviewed list.

Slither analyses the Hardhat-style build-info that `python -m credit.compile` writes (solc-js
output, so nothing is compiled twice and nothing is downloaded): the file is staged into a
throwaway Hardhat layout (``hardhat.config.js`` + ``artifacts/build-info/``) with empty source
maps filled in, because our output selection asks for no source maps and crytic-compile
requires the key. Slither runs with every detector and ``--show-ignored-findings``, so inline
``slither-disable`` comments and triage databases cannot hide anything: the one place a finding
is accepted is ``slither.exclusions.toml``, an entry per detector and contract function with a
reason a reviewer can check against the code.

Findings count when their first element lies in our contracts (``contracts/``, not
``contracts/test/``); OpenZeppelin under ``node_modules/`` and the test doubles are out of scope.
The check fails on a High or Medium finding no exclusion covers, on an exclusion that matches
nothing or a different number of findings (stale), and on a ``write-protection`` annotation
that Slither cannot resolve (it only logs those).

Usage: python scripts/slither_check.py [--all] [--json]
Exit: 0 clean, 1 unreviewed findings or stale exclusions, 2 Slither could not run.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from credit.compile import PROJECT_ROOT, compile_contracts, read_manifest
from credit.errors import CreditError

EXCLUSIONS_FILE = "slither.exclusions.toml"
GATED = ("High", "Medium")  # impacts that fail the check unless excluded
IMPACTS = ("High", "Medium", "Low", "Informational", "Optimization")
OUT_OF_SCOPE = ("contracts/test/",)  # test doubles: deliberately broken, never deployed
# Slither splits a variable's NatSpec on commas before it looks for the annotation, so only a
# function or modifier with at most one parameter can be named.
ANNOTATION = re.compile(r'@custom:security\s+write-protection="([^"]*)"')
ANALYZED = re.compile(r"analyzed \((\d+) contracts")
UNRESOLVED = re.compile(r"^(?:ERROR:Detectors:)?(\w+\([\w, ]*\)) not found$", re.MULTILINE)


class SlitherError(CreditError):
    """Slither did not run or its output could not be read."""


@dataclass(frozen=True)
class Finding:
    """One Slither result, located at the contract and function of its first element."""

    check: str
    impact: str
    confidence: str
    contract: str | None
    function: str | None
    file: str | None
    lines: tuple[int, ...]
    description: str

    @property
    def where(self) -> str:
        place = ".".join(p for p in (self.contract, self.function) if p) or "?"
        line = f"#{self.lines[0]}" if self.lines else ""
        return f"{place} ({self.file or '?'}{line})"

    @property
    def detail(self) -> str:
        """The flagged statement or variable: the description's first bullet, else its start."""
        for line in self.description.splitlines():
            if line.strip().startswith("- "):
                return line.strip()[2:]
        return self.description.splitlines()[0] if self.description else ""

    @property
    def in_scope(self) -> bool:
        """Ours: in contracts/ but not a test double. Unlocated findings count, to be safe."""
        if self.file is None:
            return True
        return self.file.startswith("contracts/") and not self.file.startswith(OUT_OF_SCOPE)


@dataclass(frozen=True)
class Exclusion:
    """A reviewed finding: `count` results of `detector` in `contract.function`, and why."""

    detector: str
    contract: str
    function: str | None
    count: int
    reason: str

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.detector, self.contract, self.function)

    @property
    def check_label(self) -> str:
        return f"{self.detector} x{self.count}"

    @property
    def label(self) -> str:
        place = ".".join(p for p in (self.contract, self.function) if p)
        return f"{self.detector} in {place}"


@dataclass
class Report:
    """The outcome of one check: what was found, what the exclusions cover, what is wrong."""

    findings: list[Finding]
    excluded: list[tuple[Finding, Exclusion]] = field(default_factory=list)
    unreviewed: list[Finding] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.unreviewed or self.stale or self.unresolved)

    def counts(self, *, after_exclusions: bool) -> Counter[str]:
        shown = [f for f in self.findings if f.in_scope]
        if after_exclusions:
            covered = {id(f) for f, _ in self.excluded}
            shown = [f for f in shown if id(f) not in covered]
        return Counter(f.impact for f in shown)


# ---------------------------------------------------------------------------------- running


def stage_build_info(root: Path, dest: Path) -> Path:
    """Compile if needed and lay out ``dest`` as a Hardhat project holding our build-info."""
    compile_contracts(root=root, shipped=False)  # needs build-info
    manifest = read_manifest(root)
    build_info = json.loads((root / "build" / manifest["build_info"]).read_text())
    for unit in build_info["output"].get("contracts", {}).values():
        for contract in unit.values():
            for code in ("bytecode", "deployedBytecode"):
                contract.setdefault("evm", {}).setdefault(code, {}).setdefault("sourceMap", "")
    target = dest / "artifacts" / "build-info"
    target.mkdir(parents=True)
    (target / f"{build_info['id']}.json").write_text(json.dumps(build_info))
    (dest / "hardhat.config.js").write_text("// Slither target: build-info from credit.compile\n")
    # Sources are read from disk: our contracts relative to `root` (the working directory),
    # dependencies through this link when `root` has no node_modules of its own.
    (dest / "node_modules").symlink_to(PROJECT_ROOT / "node_modules", target_is_directory=True)
    return dest


def run_slither(root: Path) -> tuple[dict[str, Any], str]:
    """Run Slither on ``root``'s build-info; return its JSON output and its log."""
    with tempfile.TemporaryDirectory(prefix="slither-") as tmp:
        target = stage_build_info(root, Path(tmp))
        command = [
            sys.executable,
            "-m",
            "slither",
            str(target),
            "--hardhat-ignore-compile",  # the build-info is already there
            "--npx-disable",  # never let npx fetch hardhat
            "--show-ignored-findings",  # exclusions live in one reviewed file, not inline
            "--disable-color",
            "--json",
            "-",
            "--json-types",
            "detectors,console",  # console: Slither's log, captured into the JSON
        ]
        try:
            done = subprocess.run(
                command, cwd=root, capture_output=True, text=True, timeout=600, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SlitherError(f"could not run slither: {exc}") from exc
    try:
        output: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        raise SlitherError(
            f"slither printed no JSON (exit {done.returncode}); is slither-analyzer installed "
            f"(`make install`)?\n{done.stderr[-2000:]}"
        ) from None
    if not output.get("success"):
        raise SlitherError(f"slither failed: {output.get('error')}\n{done.stderr[-2000:]}")
    console = output.get("results", {}).get("console") or {}
    log = f"{console.get('stdout') or ''}{console.get('stderr') or ''}{done.stderr}"
    analyzed = ANALYZED.search(log)
    if analyzed is None or int(analyzed.group(1)) == 0:
        raise SlitherError(f"slither analyzed no contract: is the build-info empty?\n{log[-2000:]}")
    return output, log


def _ancestor(element: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, Any] | None:
    node: dict[str, Any] | None = element
    while node is not None:
        if node.get("type") in kinds:
            return node
        node = node.get("type_specific_fields", {}).get("parent")
    return None


def parse_findings(output: dict[str, Any]) -> list[Finding]:
    """Turn Slither's JSON into findings located by contract and function, in source order."""
    findings = []
    for result in output.get("results", {}).get("detectors", []):
        first = result["elements"][0] if result.get("elements") else {}
        contract = _ancestor(first, ("contract",))
        function = _ancestor(first, ("function", "modifier"))
        mapping = first.get("source_mapping") or {}
        findings.append(
            Finding(
                check=result["check"],
                impact=result["impact"],
                confidence=result["confidence"],
                contract=contract["name"] if contract else None,
                function=function["name"] if function else None,
                file=mapping.get("filename_relative"),
                lines=tuple(mapping.get("lines") or ()),
                description=result["description"].strip(),
            )
        )
    return sorted(findings, key=lambda f: (f.file or "", f.lines, f.check, f.description))


def unresolved_annotations(log: str) -> list[str]:
    """Write-protection names Slither logged as not found (it reports nothing else for them)."""
    return sorted(set(UNRESOLVED.findall(log)))


def annotation_problems(root: Path) -> list[str]:
    """Annotations Slither would silently skip: it splits NatSpec on commas before parsing."""
    problems = []
    for path in sorted((root / "contracts").rglob("*.sol")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for name in ANNOTATION.findall(line):
                if "," in name or not re.fullmatch(r"\w+\((\w*)\)", name):
                    where = f"{path.relative_to(root).as_posix()}:{number}"
                    problems.append(
                        f'{where}: write-protection="{name}" cannot be checked: name a '
                        "function or modifier with at most one parameter, e.g. onlyRole(bytes32)"
                    )
    return problems


# ------------------------------------------------------------------------------- exclusions


def load_exclusions(path: Path) -> list[Exclusion]:
    """Read and validate the reviewed exclusion list; a missing file means no exclusions."""
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise SlitherError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"exclusion"}
    if unknown:
        raise SlitherError(f"{path}: unknown top-level keys {sorted(unknown)}; use [[exclusion]]")
    exclusions: list[Exclusion] = []
    for number, entry in enumerate(data.get("exclusion", []), start=1):
        where = f"{path.name} entry {number}"
        extra = set(entry) - {"detector", "contract", "function", "count", "reason"}
        if extra:
            raise SlitherError(f"{where}: unknown keys {sorted(extra)}")
        for key in ("detector", "contract", "reason"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise SlitherError(
                    f"{where}: `{key}` is required: an exclusion names a detector, a contract "
                    "and its function, never a whole detector, and says why"
                )
        count = entry.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise SlitherError(f"{where}: `count` must be a positive integer")
        function = entry.get("function")
        if function is not None and (not isinstance(function, str) or not function.strip()):
            raise SlitherError(f"{where}: `function` must be a function name")
        if "\n" in entry["reason"].strip():
            raise SlitherError(f"{where}: keep `reason` to one line")
        exclusion = Exclusion(
            entry["detector"], entry["contract"], function, count, entry["reason"]
        )
        if any(e.key == exclusion.key for e in exclusions):
            raise SlitherError(f"{where}: {exclusion.label} is listed twice; merge the entries")
        exclusions.append(exclusion)
    return exclusions


def triage(findings: Iterable[Finding], exclusions: Sequence[Exclusion]) -> Report:
    """Match in-scope High and Medium findings against the exclusions."""
    findings = list(findings)
    report = Report(findings=findings)
    by_key = {e.key: e for e in exclusions}
    matched: dict[tuple[str, str, str | None], list[Finding]] = {e.key: [] for e in exclusions}
    for finding in findings:
        if not finding.in_scope or finding.impact not in GATED:
            continue
        key = (finding.check, finding.contract or "", finding.function)
        if key in by_key:
            matched[key].append(finding)
        else:
            report.unreviewed.append(finding)
    for key, hits in matched.items():
        exclusion = by_key[key]
        if not hits:
            report.stale.append(f"{exclusion.label}: matches no finding any more; remove it")
        elif len(hits) != exclusion.count:
            report.stale.append(
                f"{exclusion.label}: {len(hits)} findings, the entry reviewed {exclusion.count}; "
                "review them and update `count` (or fix the code)"
            )
            report.unreviewed.extend(hits)
        else:
            report.excluded.extend((hit, exclusion) for hit in hits)
    return report


def check(root: Path | None = None, exclusions_path: Path | None = None) -> Report:
    """Run Slither on ``root`` (default: this repo) and triage it against the exclusions."""
    root = (root or PROJECT_ROOT).resolve()
    exclusions = load_exclusions(exclusions_path or root / EXCLUSIONS_FILE)
    started = time.perf_counter()
    output, log = run_slither(root)
    report = triage(parse_findings(output), exclusions)
    report.unresolved = [
        f'write-protection="{name}" names no function or modifier of the contract'
        for name in unresolved_annotations(log)
    ] + annotation_problems(root)
    report.seconds = time.perf_counter() - started
    return report


# --------------------------------------------------------------------------------- printing


def render(report: Report, *, show_all: bool = False) -> str:
    """A readable summary: counts by impact, then every gated finding and its status."""
    before = report.counts(after_exclusions=False)
    after = report.counts(after_exclusions=True)
    ours = sum(before.values())
    lines = [
        f"slither: {len(report.findings)} results in {report.seconds:.1f} s, {ours} in our "
        f"contracts ({len(report.findings) - ours} in OpenZeppelin or test doubles: not gated)",
        "",
        f"{'impact':<14} {'ours':>5} {'after exclusions':>17}",
    ]
    lines.extend(f"{i:<14} {before[i]:>5} {after[i]:>17}" for i in IMPACTS)
    lines.append("")
    for finding in report.unreviewed:
        lines.append(f"UNREVIEWED {finding.impact:<6} {finding.check:<22} {finding.where}")
        lines.extend(f"    {line}" for line in finding.description.splitlines())
    grouped: dict[Exclusion, list[Finding]] = {}
    for finding, exclusion in report.excluded:
        grouped.setdefault(exclusion, []).append(finding)
    for exclusion, hits in grouped.items():
        first = hits[0]
        lines.append(f"excluded   {first.impact:<6} {exclusion.check_label:<22} {first.where}")
        lines.extend(f"    {hit.detail}" for hit in hits)
        lines.append(f"    reason: {exclusion.reason}")
    lines.extend(f"STALE      {stale}" for stale in report.stale)
    lines.extend(f"ANNOTATION {problem}" for problem in report.unresolved)
    if show_all:
        lines.append("")
        for finding in report.findings:
            if finding.in_scope and finding.impact not in GATED:
                lines.append(f"{finding.impact:<13} {finding.check:<22} {finding.where}")
    lines.append("")
    if report.ok:
        lines.append("OK: no unreviewed High or Medium finding, no stale exclusion")
    else:
        lines.append(
            f"FAILED: {len(report.unreviewed)} unreviewed, {len(report.stale)} stale, "
            f"{len(report.unresolved)} annotation problem(s). Fix the code, or add an entry with "
            f"its reason to {EXCLUSIONS_FILE} for a reviewer to accept."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python scripts/slither_check.py [--all] [--json]``."""
    parser = argparse.ArgumentParser(prog="slither_check", description=__doc__.split("\n")[0])
    parser.add_argument("--all", action="store_true", help="also list Low/Informational")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    try:
        report = check()
    except CreditError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        rows = [f.__dict__ | {"in_scope": f.in_scope} for f in report.findings]
        print(json.dumps({"ok": report.ok, "findings": rows}, indent=2, default=list))
    else:
        print(render(report, show_all=args.all))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
