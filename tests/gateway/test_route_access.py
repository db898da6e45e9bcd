"""Every role × every route: who is refused before anything else happens, and who is let through.

:data:`ACCESS` names the access policy of every ``/v1`` route; a route the app serves that is not
in the table fails :func:`test_every_route_has_a_declared_access_policy`, so a new route cannot
ship without its author saying who may call it. Each policy is then checked for every actor of
the deployed world: refused actors get 401 (not signed in) or 403 (signed in, not allowed), and
allowed actors get anything else (typically 404/409/422 for the placeholder ids and empty bodies
used here: authorization comes first, before the request is looked at). What an allowed caller
may then do with a real record (its own evidence, a claim it may confirm) is tested with real
records in the route's own test file, named in the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.auth_helpers import sign_in
from tests.support.world import World

ANONYMOUS = "anonymous"
ACTORS = (
    ANONYMOUS,
    "resident0",  # the resident the path names, where a path names one
    "resident1",  # another resident
    "superior",
    "panel",
    "expert",
    "arbiter",
    "minter",
    "registrar",
    "operator",
    "outsider",  # signed in, no role, not a resident
)
ROLES_OF = {
    "resident0": {"RESIDENT"},
    "resident1": {"RESIDENT"},
    "superior": {"SUPERIOR"},
    "panel": {"PUBLIC_PANEL"},
    "expert": {"EXPERT"},
    "arbiter": {"ARBITER"},
    "minter": {"MINTER"},
    "registrar": {"REGISTRAR"},
    "operator": {"DEFAULT_ADMIN", "GOVERNOR"},
    "outsider": set(),
}
OFFICIALS = frozenset({"SUPERIOR", "PUBLIC_PANEL", "EXPERT", "ARBITER"})
EVALUATORS = frozenset({"SUPERIOR", "PUBLIC_PANEL", "EXPERT"})


@dataclass(frozen=True)
class Policy:
    """Who may call a route.

    ``signed_in``: a session is needed (else 401). ``roles``: on-chain roles any of which lets a
    caller through (empty with ``signed_in``: every signed-in caller). ``self_path``: the resident
    the path's ``{address}`` names is let through too. ``detail``: the test file that checks what
    an allowed caller may do with real records.
    """

    signed_in: bool
    roles: frozenset[str] = frozenset()
    self_path: bool = False
    detail: str = ""

    def allows(self, actor: str) -> bool:
        if not self.signed_in:
            return True
        if actor == ANONYMOUS:
            return False
        if self.self_path and actor == "resident0":
            return True
        if self.self_path or self.roles:
            return bool(self.roles & ROLES_OF[actor])
        return True


PUBLIC = Policy(signed_in=False)
SIGNED = Policy(signed_in=True)


def signed_body(detail: str) -> Policy:
    """Open to anyone: the request body carries the signature that authorizes it."""
    return Policy(signed_in=False, detail=detail)


def only(*roles: str, detail: str = "", self_path: bool = False) -> Policy:
    return Policy(signed_in=True, roles=frozenset(roles), self_path=self_path, detail=detail)


def self_or(*roles: str, detail: str = "") -> Policy:
    return only(*roles, detail=detail, self_path=True)


ACCESS: dict[tuple[str, str], Policy] = {
    ("GET", "/v1/health"): PUBLIC,
    ("GET", "/v1/ready"): PUBLIC,
    ("GET", "/v1/config"): PUBLIC,
    ("POST", "/v1/auth/nonce"): PUBLIC,
    ("POST", "/v1/auth/login"): signed_body("tests/gateway/test_auth.py"),
    ("GET", "/v1/auth/me"): SIGNED,
    ("POST", "/v1/auth/logout"): SIGNED,
    ("POST", "/v1/claims"): signed_body("tests/relay/test_relay.py"),
    ("POST", "/v1/claims/batch"): signed_body("tests/gateway/test_bulk_claims.py"),
    ("GET", "/v1/claims/{record_id}"): Policy(
        signed_in=True, detail="tests/relay/test_relay_status.py"
    ),
    ("POST", "/v1/claims/{record_id}/rejections"): signed_body(
        "tests/gateway/test_claim_reviews.py"
    ),
    ("POST", "/v1/confirmations"): signed_body("tests/relay/test_relay.py"),
    ("GET", "/v1/confirmations/queue"): only(*EVALUATORS, detail="test_claim_queue.py"),
    ("GET", "/v1/residents/{address}"): self_or(*OFFICIALS),
    ("GET", "/v1/residents/{address}/nonces"): self_or(),
    ("GET", "/v1/residents/{address}/notices"): self_or(),
    ("POST", "/v1/residents/{address}/notices/{notice_id}/ack"): self_or(),
    ("GET", "/v1/residents/{address}/notices/stream"): self_or(),
    ("GET", "/v1/residents/{address}/claims"): self_or(
        detail="tests/gateway/test_claim_reviews.py"
    ),
    ("GET", "/v1/residents/{address}/rewards"): self_or("ARBITER"),
    ("GET", "/v1/notices/export"): only("ARBITER", "DEFAULT_ADMIN"),
    ("POST", "/v1/evidence"): only(
        "RESIDENT", *OFFICIALS, detail="tests/gateway/test_evidence_store.py"
    ),
    ("GET", "/v1/evidence/{evidence_id}"): Policy(
        signed_in=True, detail="tests/gateway/test_evidence_store.py"
    ),
    ("GET", "/v1/evidence/{evidence_id}/content"): Policy(
        signed_in=True, detail="tests/gateway/test_evidence_store.py"
    ),
    ("DELETE", "/v1/evidence/{evidence_id}"): Policy(
        signed_in=True, detail="tests/gateway/test_evidence_erasure.py"
    ),
    ("POST", "/v1/rewards/mint"): only("MINTER", detail="tests/gateway/test_rewards_api.py"),
    ("GET", "/v1/rewards/runs/{run_id}"): only("MINTER"),
    ("GET", "/v1/claims/{record_id}/details"): Policy(
        signed_in=True, detail="tests/gateway/test_evidence_access.py"
    ),
    ("GET", "/v1/claims/{record_id}/evidence"): Policy(
        signed_in=True, detail="tests/gateway/test_evidence_access.py"
    ),
    ("GET", "/v1/claims/{record_id}/share"): Policy(
        signed_in=True, detail="tests/gateway/test_evidence_access.py"
    ),
    ("GET", "/v1/evidence/access-log"): only(
        "RESIDENT", *OFFICIALS, detail="tests/gateway/test_evidence_access.py"
    ),
    ("POST", "/v1/reports"): only(*EVALUATORS, detail="tests/gateway/test_reports.py"),
    ("GET", "/v1/appeals"): only("ARBITER", detail="tests/gateway/test_appeals_api.py"),
    ("GET", "/v1/appeals/{record_id}"): Policy(
        signed_in=True, detail="tests/gateway/test_appeals_api.py"
    ),
    ("POST", "/v1/appeals/{record_id}/decision"): only(
        "ARBITER", detail="tests/gateway/test_appeals_api.py"
    ),
    ("POST", "/v1/appeals"): Policy(signed_in=True, detail="tests/gateway/test_appeals_api.py"),
    ("GET", "/v1/verification"): PUBLIC,
    ("GET", "/v1/verification/epochs/{epoch}"): PUBLIC,
    ("POST", "/v1/verification/commits"): signed_body("tests/gateway/test_verification_api.py"),
    ("POST", "/v1/verification/reveals"): signed_body("tests/gateway/test_verification_api.py"),
    # public pages: anonymous, rate-limited reads of what is on chain
    ("GET", "/v1/public/records/{record_id}"): PUBLIC,
    ("GET", "/v1/public/rule-sets/{version}"): PUBLIC,
    ("GET", "/v1/public/rule-sets/{version}/document"): PUBLIC,
    ("GET", "/v1/public/epochs/{epoch}"): PUBLIC,
    ("GET", "/v1/public/addresses/{address}"): PUBLIC,
    ("GET", "/v1/public/transactions/{tx_hash}"): PUBLIC,
    # private proofs: public reads of what is on chain; writes authorized by their body
    ("GET", "/v1/zk"): PUBLIC,
    ("GET", "/v1/zk/epochs/{epoch}/leaves"): PUBLIC,
    ("GET", "/v1/zk/identities/{address}"): PUBLIC,
    ("POST", "/v1/zk/identities"): signed_body("tests/zk/test_gateway_api.py"),
    ("POST", "/v1/zk/gates/{gate}/passes"): signed_body("tests/zk/test_gateway_api.py"),
    ("GET", "/v1/zk/gates/{gate}/nullifiers/{nullifier}"): PUBLIC,
}
ROOT_ROUTES = {("GET", "/health"), ("GET", "/ready"), ("GET", "/metrics"), ("POST", "/rpc")}

PLACEHOLDERS = {
    "record_id": "0x" + "ab" * 32,
    "evidence_id": "0" * 32,
    "notice_id": "0x" + "cd" * 32,
    "run_id": "1",
    "version": "1",
    "epoch": "0",
    "tx_hash": "0x" + "ef" * 32,
    "gate": "0x" + "12" * 20,
    "nullifier": "1",
}


def _served(client: TestClient) -> set[tuple[str, str]]:
    """(method, path) of every operation the app documents in its OpenAPI schema."""
    paths = client.get("/openapi.json").json()["paths"]
    return {(m.upper(), p) for p, ops in paths.items() for m in ops}


def test_every_route_has_a_declared_access_policy(client: TestClient) -> None:
    served = _served(client) - ROOT_ROUTES
    assert served - ACCESS.keys() == set(), "routes served without a declared access policy"
    assert ACCESS.keys() - served == set(), "policies declared for routes the app does not serve"


def _url(path: str, resident: str) -> str:
    url = path.replace("{address}", resident)
    for name, value in PLACEHOLDERS.items():
        url = url.replace("{" + name + "}", value)
    if url.endswith("/notices/stream"):
        url += "?max_seconds=0.05"
    return url


def _call(client: TestClient, method: str, url: str, headers: dict[str, str]) -> Any:
    if method == "GET":
        return client.get(url, headers=headers)
    if method == "DELETE":
        return client.delete(url, headers=headers)
    return client.post(url, headers=headers, json={})


@pytest.fixture
def sessions(client: TestClient, gateway_world: World) -> dict[str, dict[str, str]]:
    """An Authorization header per actor (none for the anonymous caller)."""
    residents = {"resident0": gateway_world.residents[0], "resident1": gateway_world.residents[1]}
    keys = {
        a: (residents[a] if a in residents else getattr(gateway_world, a)).key
        for a in ACTORS
        if a != ANONYMOUS
    }
    out = {a: sign_in(client, k) for a, k in keys.items()}
    out[ANONYMOUS] = {}
    return out


def test_each_actor_is_refused_or_let_through_as_declared(
    client: TestClient, gateway_world: World, sessions: dict[str, dict[str, str]]
) -> None:
    """One pass over the table (signing eleven actors in once): every wrong answer is listed."""
    wrong = []
    last = ("POST", "/v1/auth/logout")  # it ends the sessions the other routes are called with
    for (method, path), policy in sorted(ACCESS.items(), key=lambda item: item[0] == last):
        url = _url(path, gateway_world.residents[0].address)
        for actor in ACTORS:
            response = _call(client, method, url, sessions[actor])
            status = response.status_code
            if policy.allows(actor):
                ok = status not in (401, 403)
            else:
                ok = status == (401 if actor == ANONYMOUS else 403)
            # a part that is not running answers 503; nothing answers any other 5xx
            ok = ok and (status < 500 or status == 503)
            if not ok:
                wrong.append(f"{method} {path} as {actor}: {status} {response.text[:160]}")
    assert not wrong, "\n".join(wrong)
