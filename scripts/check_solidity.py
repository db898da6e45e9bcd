"""Solidity house rules, run by `make lint` until solhint/slither join the pipeline.

Fails (exit 1) on:
  * any compiler warning in our sources, except the harmless ones listed in HARMLESS_WARNINGS;
  * `require(cond, <string>)`: use `require(cond, SomeError(...))` or `if (!cond) revert ...`;
  * `revert("...")`: use a custom error declared in the interface;
  * a deployable contract without `version()` (contracts under mocks/ or test/ are exempt).

Usage: python scripts/check_solidity.py [--root DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from credit.compile import PROJECT_ROOT, compile_contracts, find_sources, read_manifest
from credit.errors import CreditError

# solc error code -> why it is harmless for us.
HARMLESS_WARNINGS = {
    "2394": "transient storage (EIP-1153) is used deliberately, e.g. for reentrancy guards",
}
EXEMPT_DIRS = ("mocks", "test")  # test doubles need no on-chain version()
CUSTOM_ERROR_CALL = re.compile(r"^[A-Z]\w*(\.[A-Z]\w*)?\s*\(")  # `Err(` or `Lib.Err(`
CALL = re.compile(r"(?<![\w.$])(require|revert)\s*\(")


def mask(text: str) -> str:
    """Blank out comments and string contents (keeping quotes and newlines) so offsets hold."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        two = text[i : i + 2]
        if two == "//":
            j = text.find("\n", i)
            j = n if j == -1 else j
            out.append(" " * (j - i))
            i = j
        elif two == "/*":
            j = text.find("*/", i + 2)
            j = n if j == -1 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text[i] in "\"'":
            j = _string_end(text, i)
            out.append(text[i] + " " * max(j - i - 2, 0) + text[j - 1 : j])
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _string_end(text: str, start: int) -> int:
    quote, i = text[start], start + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    return i + 1


def call_arguments(code: str, open_paren: int) -> list[str]:
    """Top-level, comma-separated arguments of the call whose `(` is at ``open_paren``."""
    args, depth, start, i = [], 0, open_paren + 1, open_paren
    while i < len(code):
        ch = code[i]
        if ch in "\"'":
            i = _string_end(code, i)
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                args.append(code[start:i].strip())
                break
        elif ch == "," and depth == 1:
            args.append(code[start:i].strip())
            start = i + 1
        i += 1
    return [a for a in args if a]


def string_reasons(unit: str, text: str) -> Iterator[str]:
    """Yield one message per `require`/`revert` that carries a string instead of an error."""
    code = mask(text)
    for match in CALL.finditer(code):
        args = call_arguments(code, match.end() - 1)
        line = code.count("\n", 0, match.start()) + 1
        if match.group(1) == "require" and len(args) >= 2:
            if not CUSTOM_ERROR_CALL.match(args[1]):
                yield f"{unit}:{line}: require() with a string reason: pass a custom error"
        elif match.group(1) == "revert" and args and args[0][:1] in "\"'":
            yield f'{unit}:{line}: revert("..."): revert with a custom error instead'


def compiler_warnings(manifest: dict[str, Any]) -> Iterator[str]:
    """Yield warnings in our sources that are not known to be harmless."""
    for warning in manifest.get("warnings", []):
        file = warning.get("file") or ""
        if warning.get("severity") == "info" or file.startswith("node_modules/"):
            continue
        if warning.get("code") in HARMLESS_WARNINGS:
            continue
        yield (warning.get("formatted") or f"{file}: {warning.get('message')}").rstrip()


def main(argv: Sequence[str] | None = None) -> int:
    """Run every check; print one line per problem; return 1 if there was any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="project root holding contracts/")
    args = parser.parse_args(argv)
    try:
        artifacts = compile_contracts(root=args.root, shipped=False)
        manifest = read_manifest(args.root)
    except CreditError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    problems = list(compiler_warnings(manifest))
    for unit, source in find_sources(args.root or PROJECT_ROOT).items():
        problems.extend(string_reasons(unit, source["content"]))
    for name, artifact in sorted(artifacts.items()):
        exempt = any(f"/{d}/" in artifact.source_path for d in EXEMPT_DIRS)
        if (
            artifact.kind == "contract"
            and not exempt
            and "version()" not in artifact.method_identifiers
        ):
            problems.append(f"{artifact.source_path}: {name} has no version() function")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"check_solidity: {len(artifacts)} contracts, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
