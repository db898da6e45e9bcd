"""Claims that carry evidence, signed-in clients per role, and reading the gateway's QR codes."""

from __future__ import annotations

import re
from typing import Any

from eth_keys import keys
from fastapi.testclient import TestClient

from credit.chain.signing import Claim
from tests.support.auth_helpers import sign_in
from tests.support.world import World

HOUR = 3600


def upload(client: TestClient, headers: dict[str, str], text: str) -> dict[str, Any]:
    """Upload ``text`` as text/plain evidence; its record (id, commitment)."""
    got = client.post(
        "/v1/evidence",
        content=text.encode(),
        headers={**headers, "Content-Type": "text/plain; charset=utf-8"},
    )
    assert got.status_code == 201, got.text
    body: dict[str, Any] = got.json()
    return body


def claim_with_evidence(
    world: World, resident: Any, commitment: str, category: int = 1, units: int = 2
) -> tuple[dict[str, Any], str]:
    """A signed POST /v1/claims body carrying ``commitment``, and its record id."""
    now = world.now()
    nonce = world.ledger.functions.claimNonce(resident.address).call()
    c = Claim(
        resident.address,
        category,
        units,
        now - 86400,
        nonce,
        bytes.fromhex(commitment[2:]),
        now + HOUR,
    )
    digest = c.record_id(world.system.domain)
    signature = keys.PrivateKey(resident.key).sign_msg_hash(digest).to_bytes()
    body = {
        "resident": resident.address,
        "category": category,
        "units": units,
        "occurred_at": c.occurred_at,
        "evidence": commitment,
        "nonce": nonce,
        "deadline": c.deadline,
        "signature": "0x" + signature.hex(),
    }
    return body, "0x" + digest.hex()


class SessionsByRole(dict[str, dict[str, str]]):
    """Authorization headers of each named actor (``anonymous``: none), each signed in the
    first time a test asks for it: a test by role signs in the one or two actors it uses."""

    def __init__(self, client: TestClient, actors: dict[str, Any]) -> None:
        super().__init__(anonymous={})
        self.client, self.actors = client, actors

    def __missing__(self, name: str) -> dict[str, str]:
        headers = sign_in(self.client, self.actors[name].key)
        self[name] = headers
        return headers


def headers_by_role(client: TestClient, actors: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Authorization headers of each named actor, signed in on first use."""
    return SessionsByRole(client, actors)


_STEP = re.compile(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?")


def svg_modules(svg: str) -> list[list[bool]]:
    """The dark modules of a segno SVG QR code (one path of horizontal runs), border included."""
    width = int(re.search(r'width="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    scale = int(re.search(r"scale\((\d+)\)", svg).group(1))  # type: ignore[union-attr]
    size = width // scale
    grid = [[False] * size for _ in range(size)]
    path = re.search(r' d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    x = y = 0.0
    for op, a, b in _STEP.findall(path):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            for i in range(int(float(a))):
                grid[int(y)][int(x) + i] = True
            x += float(a)
    return grid


def decode_qr(modules: list[list[bool]], scale: int = 4) -> str:
    """Decode a QR code's module grid with zxing-cpp (an independent reader)."""
    import zxingcpp

    size = len(modules) * scale
    pixels = bytearray(b"\xff" * size * size)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (y * scale + dy) * size + x * scale
                    pixels[start : start + scale] = b"\x00" * scale
    image = memoryview(bytes(pixels)).cast("B", shape=[size, size])
    found = zxingcpp.read_barcodes(image)
    assert found, "zxing-cpp found no QR code"
    return str(found[0].text)
