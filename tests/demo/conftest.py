"""One served demo for the package (a fresh `credit demo` takes seconds to deploy and seed): the
audits, the loops' starting points and the browser journey share it. The tests that read it
come first; the journey, last in the package, only adds to it (a gate pass, a registration)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.demo_server import Demo, served_demo


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    # several audits a minute from one address: the limit's waits are tested on their own
    # (tests/gateway/test_rpc_audit.py); here they would only slow the package down
    with served_demo(
        tmp_path_factory.mktemp("demo") / "var", CREDIT_RPC_CALLS_PER_MINUTE="100000"
    ) as served:
        yield served
