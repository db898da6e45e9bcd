"""The first-run benchmark's phases: its markers are the lines `make demo` really prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.bench_first_run import COMPILING, MARKERS, NPM, phases
from credit.compile import main as compile_main

ROOT = Path(__file__).resolve().parents[2]


def test_phases_run_from_each_marker_to_the_next_one_seen() -> None:
    lines = [
        (0.5, "== install [1/4]: virtual environment .venv from python3.11, with uv (PyPI)"),
        (8.0, "== install [2/4]: Python packages the demo needs (the project, no dev tools)"),
        (15.0, "contracts: the shipped artifacts match the sources; nothing to compile"),
        (15.5, ".venv/bin/python -m credit demo --host 127.0.0.1 --port 8123"),
        (40.0, "Gateway and web client: http://127.0.0.1:8123/  (API under /v1; Ctrl-C stops)"),
    ]
    assert phases(lines, clone_seconds=0.4, page_at=45.0) == {
        "clone": 0.4,
        "venv": 7.5,
        "python_deps": 7.0,
        "contracts": 0.5,
        "deploy_seed": 24.5,
        "first_page": 5.0,
    }
    assert phases(lines[:2], clone_seconds=0.4, page_at=45.0)["contracts"] is None


def test_markers_are_what_make_demo_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """The Makefile's banners, the --status line and the demo's URL line start the phases."""
    makefile = (ROOT / "Makefile").read_text()
    banners = re.findall(r'echo "([^"]*)"', makefile)
    for name, pattern in [*MARKERS[:2], ("npm", NPM)]:
        assert any(pattern.search(banner) for banner in banners), name
    demo = makefile[makefile.index("\ndemo:") :].split("\n\n")[0]
    assert MARKERS[3][1].search(demo)
    assert compile_main(["--status"]) in (0, 3)
    assert MARKERS[2][1].search(capsys.readouterr().out)
    cli = (ROOT / "credit" / "cli" / "__init__.py").read_text()
    assert "Gateway and web client: http://" in cli
    assert COMPILING.search("compiling 21 sources under /x/contracts with solc-js 0.8.28")
