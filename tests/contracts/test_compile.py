"""Tests for credit.compile: artifacts for every contract, determinism, caching, errors.

Everything that writes runs on a copy under tmp_path (``root=``), never on the repo's build/.
Fixtures live here rather than in conftest.py so chain fixtures can own that file.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from credit import compile as compile_mod
from credit import shipped
from credit.artifacts import MANIFEST, Artifact
from credit.compile import (
    SOLC_BINARY,
    SOLC_VERSION,
    compile_contracts,
    find_sources,
    load_artifact,
    main,
    ship_contracts,
)
from credit.errors import INSTALL_HINT, CompileError, ToolchainError

REPO = Path(__file__).resolve().parents[2]
DECLARATION = re.compile(
    r"^\s*(?:abstract\s+)?(?:contract|interface|library)\s+([A-Za-z_$][\w$]*)", re.MULTILINE
)
COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
# A full compile of the repo takes minutes on a busy 2-core machine: the tests that wait for one
# get this instead of pytest-timeout's 300 s, which they used to run past.
FULL_COMPILE_TIMEOUT = 1800

HELLO = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IHello} from "./interfaces/IHello.sol";

contract Hello is IHello, Ownable {
    uint256 private _count;

    constructor() Ownable(msg.sender) {}

    function version() external pure returns (string memory) {
        return "1.0.0";
    }

    function bump() external onlyOwner {
        _count += 1;
    }
}
"""
IHELLO = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

interface IHello {
    function bump() external;
}
"""


def declared_contracts(root: Path) -> dict[str, str]:
    """Contract/interface/library names declared under root/contracts, by source unit name."""
    found = {}
    for path in sorted((root / "contracts").rglob("*.sol")):
        unit = path.relative_to(root).as_posix()
        for name in DECLARATION.findall(COMMENT.sub("", path.read_text())):
            found[name] = unit
    return found


def build_files(root: Path) -> dict[str, bytes]:
    """Every file under root/build, by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted((root / "build").rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def repo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repo's contracts/ to compile without touching the repo's build/."""
    if not any((REPO / "contracts").rglob("*.sol")):
        pytest.skip("contracts/ has no .sol files yet")
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(REPO / "contracts", root / "contracts")
    return root


@pytest.fixture(scope="module")
def repo_artifacts(repo_project: Path) -> dict[str, Artifact]:
    """The repo's contracts, compiled once per module."""
    return compile_contracts(root=repo_project, force=True)


@pytest.fixture(scope="module")
def hello_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-file project importing OpenZeppelin: the pipeline, independent of our contracts."""
    root = tmp_path_factory.mktemp("hello")
    (root / "contracts" / "interfaces").mkdir(parents=True)
    (root / "contracts" / "Hello.sol").write_text(HELLO)
    (root / "contracts" / "interfaces" / "IHello.sol").write_text(IHELLO)
    compile_contracts(root=root, force=True)
    return root


@pytest.fixture
def hello_copy(hello_project: Path, tmp_path: Path) -> Path:
    """A private, already-compiled copy of the hello project for tests that mutate it."""
    shutil.copytree(hello_project, tmp_path / "hello")
    return tmp_path / "hello"


@pytest.mark.timeout(FULL_COMPILE_TIMEOUT)
def test_every_declared_contract_has_an_artifact(
    repo_project: Path, repo_artifacts: dict[str, Artifact]
) -> None:
    declared = declared_contracts(repo_project)
    assert {name: a.source_path for name, a in repo_artifacts.items()} == declared
    for name, artifact in repo_artifacts.items():
        on_disk = json.loads((repo_project / "build" / "contracts" / f"{name}.json").read_text())
        assert Artifact.from_json(on_disk) == artifact
        assert artifact.bytecode.startswith("0x")
        assert artifact.compiler_version.startswith(SOLC_VERSION + "+commit.")
        if artifact.kind == "contract":
            assert artifact.deployed_size > 0, name


@pytest.mark.timeout(FULL_COMPILE_TIMEOUT)
def test_repo_build_is_deterministic(
    repo_project: Path, repo_artifacts: dict[str, Artifact], artifacts: dict[str, Artifact]
) -> None:
    """Two compiles of the same sources give the same bytes: the repo's own build (the session's
    ``artifacts``) and the fresh one of a copy made elsewhere (one compile less than compiling
    the copy twice: on a busy 2-core machine each takes minutes)."""
    fresh, repo = build_files(repo_project), build_files(REPO)
    assert {path: repo.get(path) for path in fresh} == fresh
    artifacts_of = lambda files: {p for p in files if p.startswith("build/contracts/")}  # noqa: E731
    assert artifacts_of(repo) == artifacts_of(fresh)


def test_unchanged_sources_skip_the_compiler(
    hello_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = hello_project / "build" / "contracts" / MANIFEST
    mtime = manifest.stat().st_mtime_ns
    before = build_files(hello_project)

    def no_solc(*args: object, **kwargs: object) -> None:
        raise AssertionError("solc ran although nothing changed")

    monkeypatch.setattr(compile_mod.solcx, "compile_standard", no_solc)
    started = time.perf_counter()
    artifacts = compile_contracts(root=hello_project)
    assert time.perf_counter() - started < 0.5  # one Node start alone takes longer
    assert manifest.stat().st_mtime_ns == mtime
    assert build_files(hello_project) == before
    assert sorted(artifacts) == ["Hello", "IHello"]


def test_hello_artifacts_link_openzeppelin_and_write_build_info(hello_project: Path) -> None:
    hello = load_artifact("Hello", root=hello_project)
    assert hello.kind == "contract"
    assert {"owner()", "version()", "bump()"} <= set(hello.method_identifiers)
    assert load_artifact("IHello", root=hello_project).kind == "interface"
    manifest = json.loads((hello_project / "build" / "contracts" / MANIFEST).read_text())
    info = json.loads((hello_project / "build" / manifest["build_info"]).read_text())
    assert info["_format"] == "hh-sol-build-info-1"
    assert info["id"] == manifest["input_hash"] == hello.source_hash
    assert info["solcLongVersion"] == hello.compiler_version
    ownable = "node_modules/@openzeppelin/contracts/access/Ownable.sol"
    assert "abstract contract Ownable" in info["input"]["sources"][ownable]["content"]
    assert "ast" in info["output"]["sources"][ownable]


def test_load_artifact_names_known_contracts_when_missing(hello_project: Path) -> None:
    with pytest.raises(CompileError, match="known: Hello, IHello"):
        load_artifact("Nope", root=hello_project)


def test_changed_source_recompiles_and_prunes_removed_contracts(hello_copy: Path) -> None:
    old_hash = json.loads((hello_copy / "build" / "contracts" / MANIFEST).read_text())
    (hello_copy / "contracts" / "Hello.sol").write_text(
        HELLO.replace("contract Hello is", "contract Howdy is")
    )
    artifacts = compile_contracts(root=hello_copy)
    assert sorted(artifacts) == ["Howdy", "IHello"]
    assert not (hello_copy / "build" / "contracts" / "Hello.json").exists()
    manifest = json.loads((hello_copy / "build" / "contracts" / MANIFEST).read_text())
    assert manifest["input_hash"] != old_hash["input_hash"]
    assert [p.stem for p in (hello_copy / "build" / "build-info").glob("*.json")] == [
        manifest["input_hash"]
    ]


def test_broken_source_raises_compile_error_naming_the_file(hello_copy: Path) -> None:
    broken = "// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\ncontract B { uint x = }\n"
    (hello_copy / "contracts" / "Broken.sol").write_text(broken)
    with pytest.raises(CompileError) as info:
        compile_contracts(root=hello_copy)
    assert "contracts/Broken.sol" in str(info.value)
    assert info.value.errors and all("Broken.sol" in e for e in info.value.errors)


def test_missing_node_raises_toolchain_error(
    hello_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `node`
    with pytest.raises(ToolchainError) as info:
        compile_contracts(root=hello_project, force=True)
    assert str(info.value) == INSTALL_HINT
    assert "make install" in str(info.value)


def test_missing_node_modules_raises_toolchain_error_when_a_compile_is_due(
    hello_project: Path, tmp_path: Path
) -> None:
    with pytest.raises(ToolchainError, match="run `make install`"):
        compile_contracts(root=hello_project, node_modules=tmp_path / "node_modules", force=True)


def test_current_build_serves_without_node_modules(hello_project: Path, tmp_path: Path) -> None:
    artifacts = compile_contracts(root=hello_project, node_modules=tmp_path / "node_modules")
    assert sorted(artifacts) == ["Hello", "IHello"]


def test_launcher_answers_version_like_native_solc() -> None:
    out = subprocess.run(
        [str(SOLC_BINARY), "--version"], capture_output=True, text=True, check=True
    ).stdout
    lines = out.splitlines()
    assert lines[0] == "solc, the solidity compiler commandline interface"
    assert re.fullmatch(rf"Version: {re.escape(SOLC_VERSION)}\+commit\.[0-9a-f]{{8}}\..+", lines[1])


def test_cli_prints_size_table(hello_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(hello_project)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["contract", "kind", "initcode", "deployed"]
    assert [line.split()[0] for line in out[1:]] == ["Hello", "IHello"]


def test_cli_reports_compile_errors_with_exit_code(
    hello_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (hello_copy / "contracts" / "Broken.sol").write_text("contract {")
    assert main(["--root", str(hello_copy)]) == 1
    assert "contracts/Broken.sol" in capsys.readouterr().err


@pytest.mark.timeout(FULL_COMPILE_TIMEOUT)
def test_shipped_artifacts_match_a_fresh_compile(
    repo_project: Path, repo_artifacts: dict[str, Artifact]
) -> None:
    """credit/compiled/ is what solc makes of contracts/ now, contract by contract."""
    digest = json.loads((repo_project / "build" / "contracts" / MANIFEST).read_text())
    problems = shipped.differences(repo_artifacts, digest["input_hash"])
    assert not problems, "\n".join(problems)


def test_shipped_artifacts_serve_the_sources_without_a_compiler(tmp_path: Path) -> None:
    """A fresh clone (no build/, no node_modules) gets the contracts without compiling."""
    shutil.copytree(REPO / "contracts", tmp_path / "contracts")
    changed = shipped.stale_sources(find_sources(tmp_path))
    assert not changed, f"changed since credit/compiled/ was made: {changed}; run `make artifacts`"
    artifacts = compile_contracts(root=tmp_path, node_modules=tmp_path / "node_modules")
    assert set(artifacts) == set(declared_contracts(tmp_path))
    assert not (tmp_path / "build").exists()


def test_ship_writes_compact_artifacts_that_serve_without_a_compiler(
    hello_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = tmp_path / "compiled"
    monkeypatch.setattr(compile_mod, "write_shipped", _to(shipped.write_shipped, where))
    monkeypatch.setattr(compile_mod, "load_shipped", _to(shipped.load_shipped, where))
    assert ship_contracts(root=hello_copy, progress=None) == 2
    made = compile_contracts(root=hello_copy)
    text = (where / "Hello.json").read_text()
    assert "\n" not in text.rstrip("\n") and ": " not in text[:200]
    manifest = json.loads((where / MANIFEST).read_text())
    assert manifest["settings"] == compile_mod.SETTINGS
    assert set(manifest["sources"]) == {"contracts/Hello.sol", "contracts/interfaces/IHello.sol"}
    shutil.rmtree(hello_copy / "build")
    served = compile_contracts(root=hello_copy, node_modules=tmp_path / "none")
    assert served == made
    assert not (hello_copy / "build").exists()
    (where / "Hello.json").write_text(text.replace('"kind":"contract"', '"kind":"library"'))
    with pytest.raises(ToolchainError):  # a tampered file is not trusted: a compile is due
        compile_contracts(root=hello_copy, node_modules=tmp_path / "none")


def test_differences_name_the_contract_and_the_refresh_command(
    hello_project: Path, tmp_path: Path
) -> None:
    fresh = compile_contracts(root=hello_project)
    digest = next(iter(fresh.values())).source_hash
    where = tmp_path / "compiled"
    assert shipped.differences(fresh, digest, where) == [
        f"no shipped artifacts in {where}/: run `make artifacts` and commit {where}/"
    ]
    sources = find_sources(hello_project)
    shipped.write_shipped(fresh, input_hash=digest, sources=sources, build={}, directory=where)
    assert shipped.differences(fresh, digest, where) == []
    changed = {**fresh, "Hello": dataclasses.replace(fresh["Hello"], bytecode="0x00")}
    del changed["IHello"]
    assert shipped.differences(changed, "f" * 64, where) == [
        "the shipped artifacts were compiled from other sources or settings (input hash "
        f"{digest[:12]}…, now ffffffffffff…): run `make artifacts` and commit {where}/",
        f"Hello: shipped bytecode differ from a fresh compile: run `make artifacts` and commit "
        f"{where}/",
        f"IHello: shipped but no longer compiled from source: run `make artifacts` and commit "
        f"{where}/",
    ]


def test_status_says_whether_a_compile_is_due(
    hello_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--status", "--root", str(hello_copy)]) == 0
    assert "build/ matches the sources" in capsys.readouterr().out
    (hello_copy / "contracts" / "Hello.sol").write_text(HELLO + "// changed\n")
    assert main(["--status", "--root", str(hello_copy)]) == 3
    assert "a compile is needed" in capsys.readouterr().out


def test_compiling_reports_progress(hello_copy: Path) -> None:
    said: list[str] = []
    compile_contracts(root=hello_copy, force=True, progress=said.append)
    assert said[0].startswith("compiling 2 sources under ")
    assert any(line.startswith("  compiled Hello (contract, ") for line in said)
    assert said[-1].startswith("  compiled IHello (interface, 0 bytes deployed)")


def _to(function: Callable[..., Any], directory: Path) -> Callable[..., Any]:
    """``function`` with its ``directory`` argument fixed: shipped artifacts under tmp_path."""
    return functools.partial(function, directory=directory)
