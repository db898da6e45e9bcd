"""No personal data on chain: after a full demo run, every transaction's calldata, every event and
every storage slot of every contract is scanned for the residents' names, phone numbers, ID numbers
and evidence texts, in many encodings and as hashes. Zero hits.

The demo plays its whole script on an embedded chain (registration, claims with evidence, a
violation, an appeal with a statement, the arbiter's decision, rewards), and a resident then goes
through the real gateway over HTTP (sign-in, evidence upload, a relayed claim). The scanner is
shown to find what it looks for: the salted evidence commitments on the real chain, and secrets
planted on a snapshot (a hashed phone number as a claim's evidence, a name in raw calldata, an ID
number as an integer).
"""

from __future__ import annotations

import hashlib
import json
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_keys import keys
from eth_utils import keccak
from fastapi.testclient import TestClient
from sqlalchemy import select

from credit.artifacts import Artifact
from credit.chain import fund
from credit.chain.dump import ChainDump, dump_chain
from credit.chain.eip712 import sign_digest
from credit.chain.signing import Claim, endorsement_digest
from credit.compose import wire
from credit.demo import DemoResult, EvidenceItem, demo_people, run_demo
from credit.gateway.app import create_app
from credit.gateway.evidence import commitment_of
from credit.ruleset import EvaluatorKind, RuleSet
from credit.serve import prepare_demo
from credit.settings import Settings
from credit.store.db import make_engine
from credit.store.evidence_tables import evidence
from tests.support.auth_helpers import sign_in
from tests.support.world import wait_until

SUPERIOR, PEER = int(EvaluatorKind.SUPERIOR), int(EvaluatorKind.PEER)
MIN_NEEDLE = 5  # shorter byte strings (not counting zero padding) turn up by chance


@dataclass(frozen=True)
class Secret:
    label: str
    text: str
    numeric: bool = False  # a phone or ID number: its digits are the secret too


@dataclass(frozen=True)
class Hit:
    where: str
    secret: str
    form: str


# ------------------------------------------------------------------------------------ scanner
def encodings(secret: Secret) -> dict[str, bytes]:
    """Every form in which ``secret`` could have been written: text in UTF-8 / UTF-16 / hex
    (as typed, lower and upper case), its keccak256 and SHA-256 hashes; for numbers also the bare
    digits, with a ``+``, without the country code, as a uint256 word, as minimal big-endian bytes
    and their hashes; for long texts the 32-byte words Solidity would store them in."""
    text = secret.text
    variants = {text, text.lower(), text.upper()}
    digits = "".join(ch for ch in text if ch.isdigit())
    if secret.numeric:
        variants |= {digits, "+" + digits, digits[-10:]}
    forms: dict[str, bytes] = {}
    for v in sorted(variants):
        raw = v.encode()
        forms[f"utf8 {v!r}"] = raw
        forms[f"utf16le {v!r}"] = v.encode("utf-16-le")
        forms[f"utf16be {v!r}"] = v.encode("utf-16-be")
        forms[f"hex text {v!r}"] = raw.hex().encode()
        forms[f"keccak256 {v!r}"] = keccak(raw)
        forms[f"sha256 {v!r}"] = hashlib.sha256(raw).digest()
    if secret.numeric:
        for d in sorted({digits, digits[-10:]}):
            n = int(d)
            word = n.to_bytes(32, "big")
            forms[f"uint256 {d}"] = word
            minimal = n.to_bytes((n.bit_length() + 7) // 8, "big")
            if len(minimal) >= MIN_NEEDLE:
                forms[f"int bytes {d}"] = minimal
            forms[f"keccak256 uint256 {d}"] = keccak(word)
    raw = text.encode()
    if len(raw) > 31:  # a long Solidity string: 32-byte words, the last one zero-padded
        for i in range(0, len(raw), 32):
            forms[f"storage word {i // 32} of {text[:20]!r}..."] = raw[i : i + 32].ljust(32, b"\0")
    assert len(raw) >= MIN_NEEDLE, f"{secret.label} is too short to scan for without false hits"
    # zero padding carries no information: a needle of a few bytes and many zeros (the tail of
    # a long text's last word) matches by chance, and the text's other words are scanned anyway
    return {k: v for k, v in forms.items() if len(v.strip(b"\0")) >= MIN_NEEDLE}


def haystacks(dump: ChainDump) -> Iterator[tuple[str, bytes]]:
    for tx in dump.transactions:
        yield f"calldata of {tx.tx_hash}", tx.data
    for i, log in enumerate(dump.logs):
        for j, topic in enumerate(log.topics):
            yield f"log {i} ({log.tx_hash}) topic {j}", topic
        yield f"log {i} ({log.tx_hash}) data", log.data
    for slot in dump.storage:
        yield f"storage of {slot.account} at 0x{slot.key.hex()}", slot.value


def scan(dump: ChainDump, secrets: list[Secret]) -> list[Hit]:
    """Every place on chain where any form of any secret occurs."""
    needles = [(s.label, form, b) for s in secrets for form, b in encodings(s).items()]
    hits = []
    for where, hay in haystacks(dump):
        for label, form, needle in needles:
            if needle in hay:
                hits.append(Hit(where, label, form))
    return hits


# ------------------------------------------------------------------------------------ the run
@dataclass
class City:
    demo: DemoResult
    evidence: list[EvidenceItem]  # the script's and the gateway upload's, with their salts
    secrets: list[Secret]
    seconds: float


def _roster_secrets(demo: DemoResult) -> list[Secret]:
    out = []
    for person in demo.residents:
        who = person.who
        out += [
            Secret(f"{who.name}: full name", who.full_name),
            Secret(f"{who.name}: family name", who.full_name.split(" ", 1)[1]),
            Secret(f"{who.name}: phone", who.phone, numeric=True),
            Secret(f"{who.name}: ID number", who.national_id, numeric=True),
        ]
    return out


def _through_the_gateway(
    demo: DemoResult, artifacts: dict[str, Artifact], ruleset: RuleSet, data_dir: Path
) -> EvidenceItem:
    """A resident signs in, uploads evidence and has a claim relayed by the real gateway."""
    settings = Settings(data_dir=data_dir, siwe_domain="testserver", siwe_uri="http://testserver")
    system, w3 = demo.system, demo.system.w3
    fund(w3, [Account.from_key(settings.relayer_private_key()).address], 10**20)
    people = demo_people(w3, artifacts)
    centre, chen, dara = people[1], people[8], people[9]
    text = (
        f"{chen.who.full_name} read to the children at the Harbour Road library on Saturday, "
        f"2 hours; parents can reach him on {chen.who.phone}."
    )
    services = wire(settings, system, ruleset)
    with TestClient(create_app(services)) as client:
        headers = sign_in(client, chen.key)
        up = client.post(
            "/v1/evidence",
            content=text.encode(),
            headers={**headers, "Content-Type": "text/plain"},
        )
        assert up.status_code == 201, up.text
        commitment = up.json()["commitment"]
        now = int(w3.eth.get_block("latest")["timestamp"])
        nonce = system.ledger.functions.claimNonce(chen.address).call()
        claim = Claim(
            chen.address,
            ruleset.category("volunteering").id,
            2,
            now - 600,
            nonce,
            bytes.fromhex(commitment[2:]),
            now + 3600,
        )
        rid = claim.record_id(system.domain)
        body = {
            "resident": chen.address,
            "category": claim.category,
            "units": claim.units,
            "occurred_at": claim.occurred_at,
            "evidence": commitment,
            "nonce": nonce,
            "deadline": claim.deadline,
            "signature": "0x" + keys.PrivateKey(chen.key).sign_msg_hash(rid).to_bytes().hex(),
        }
        assert client.post("/v1/claims", json=body).status_code == 202
        for evaluator, kind in ((centre, SUPERIOR), (dara, PEER)):
            digest = endorsement_digest(system.domain, [rid], kind, now + 3600)
            sig = sign_digest(evaluator.key, digest)
            confirmation = {
                "evaluator": evaluator.address,
                "records": ["0x" + rid.hex()],
                "kind": kind,
                "deadline": now + 3600,
                "r": "0x" + sig.r.hex(),
                "vs": "0x" + sig.vs.hex(),
            }
            r = client.post("/v1/confirmations", json=confirmation)
            assert r.status_code == 202, r.text
        status = lambda: client.get(f"/v1/claims/0x{rid.hex()}", headers=headers).json()  # noqa: E731
        assert wait_until(lambda: status()["status"] == "credited", 30), status()
        content = client.get(f"/v1/evidence/{up.json()['id']}/content", headers=headers)
        salt = bytes.fromhex(content.headers["X-Evidence-Salt"][2:])
    services.engine.dispose()
    return EvidenceItem(chen.address, text, salt, bytes.fromhex(commitment[2:]))


@pytest.fixture(scope="module")
def city(
    artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path_factory: pytest.TempPathFactory
) -> City:
    started = time.perf_counter()
    demo = run_demo(artifacts, ruleset, Settings(), say=lambda _line: None)
    uploaded = _through_the_gateway(demo, artifacts, ruleset, tmp_path_factory.mktemp("gw"))
    evidence = [*demo.evidence, uploaded]
    secrets = _roster_secrets(demo) + [
        Secret(f"evidence {i}", item.text) for i, item in enumerate(evidence)
    ]
    return City(demo, evidence, secrets, time.perf_counter() - started)


# ------------------------------------------------------------------------------------- tests
def test_no_personal_data_anywhere_on_chain(city: City) -> None:
    started = time.perf_counter()
    dump = dump_chain(city.demo.system.w3)
    hits = scan(dump, city.secrets)
    needles = sum(len(encodings(s)) for s in city.secrets)
    print(
        f"\nprivacy scan: {len(dump.transactions)} transactions "
        f"({sum(len(t.data) for t in dump.transactions)} bytes of calldata), "
        f"{len(dump.logs)} events, {len(dump.storage)} storage slots in "
        f"{dump.accounts_with_storage} contracts, {dump.block} blocks; {len(city.secrets)} "
        f"secrets in {needles} forms; {len(hits)} hits; demo {city.seconds:.1f} s, "
        f"scan {time.perf_counter() - started:.2f} s"
    )
    assert not hits, hits[:20]
    # the run did what a full demo does: claims, a report, an appeal, rewards, a relayed claim
    assert len(dump.transactions) >= 20 and len(dump.logs) >= 30 and dump.storage
    assert len(city.evidence) == 17 and len(city.secrets) == 6 * 4 + 17  # 16 demo, 1 uploaded


def test_evidence_reaches_the_chain_only_as_salted_commitments(city: City) -> None:
    dump = dump_chain(city.demo.system.w3)
    calldata = [t.data for t in dump.transactions]
    salts = set()
    for item in city.evidence:
        text = item.text.encode()
        assert (
            item.commitment
            == keccak(item.salt + text)
            == bytes.fromhex(commitment_of(item.salt, text)[2:])
        )
        assert item.commitment != keccak(text), "an unsalted hash links back to the text"
        assert len(item.salt) == 32
        salts.add(item.salt)
        # the scanner looks where evidence goes: it finds each commitment in some calldata
        assert any(item.commitment in data for data in calldata), item.text
    assert len(salts) == len(city.evidence), "every piece of evidence has its own salt"


def test_the_scanner_finds_planted_secrets(city: City) -> None:
    """On a snapshot: a resident submits a claim whose evidence is keccak256 of their phone
    number, another whose evidence is their ID number as a uint256, and sends a name in the raw
    calldata of a transfer. The scan must find each, in calldata, events and storage."""
    w3 = city.demo.system.w3
    tester = w3.provider.ethereum_tester  # type: ignore[attr-defined]
    snapshot = tester.take_snapshot()
    try:
        ana, bo = city.demo.residents[0], city.demo.residents[1]
        ledger = city.demo.system.ledger
        now = int(w3.eth.get_block("latest")["timestamp"])
        phone_hash = keccak(ana.who.phone.encode())
        id_word = int("".join(c for c in ana.who.national_id if c.isdigit())).to_bytes(32, "big")
        for planted in (phone_hash, id_word):
            ana.tx.send(ledger.functions.submitClaim(1, 1, now - 60, planted))
        w3.eth.send_transaction(  # a note in a plain transfer's calldata
            {
                "from": w3.eth.accounts[0],
                "to": ana.address,
                "value": 0,
                "data": "0x" + bo.who.full_name.encode("utf-16-le").hex(),
            }
        )
        hits = scan(dump_chain(w3), city.secrets)
    finally:
        tester.revert_to_snapshot(snapshot)
        for person in city.demo.residents:
            person.tx.reset_nonce()
    found = {(h.secret, h.form, h.where.split(" ")[0]) for h in hits}
    phone = f"keccak256 {ana.who.phone!r}"
    assert {("Ana: phone", phone, where) for where in ("calldata", "log", "storage")} <= found
    digits = "".join(c for c in ana.who.national_id if c.isdigit())
    assert ("Ana: ID number", f"uint256 {digits}", "calldata") in found
    assert ("Ana: ID number", f"uint256 {digits}", "storage") in found
    assert ("Bo: full name", f"utf16le {bo.who.full_name!r}", "calldata") in found
    assert not any(h.secret.startswith(("Chen", "Dara", "Eli", "Fang")) for h in hits), hits


def test_the_served_demo_keeps_its_roster_and_evidence_off_chain(
    artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path: Path
) -> None:
    """``make demo``'s persistent city: the roster is the operator's file (owner-only), the
    evidence is in the gateway's store; read both back and scan that chain for them."""
    settings = Settings(data_dir=tmp_path)
    system, _people = prepare_demo(settings, artifacts, ruleset, say=lambda _line: None)
    roster_file = tmp_path / "roster.json"
    assert stat.S_IMODE(roster_file.stat().st_mode) == 0o600
    roster = json.loads(roster_file.read_text(encoding="utf-8"))
    secrets = []
    for entry in roster:
        secrets += [
            Secret(f"{entry['name']}: full name", entry["full_name"]),
            Secret(f"{entry['name']}: phone", entry["phone"], numeric=True),
            Secret(f"{entry['name']}: ID number", entry["national_id"], numeric=True),
        ]
    engine = make_engine(settings.database)
    with engine.connect() as conn:
        rows = conn.execute(select(evidence.c.id, evidence.c.salt, evidence.c.commitment)).all()
    engine.dispose()
    dump = dump_chain(system.w3)
    calldata = [t.data for t in dump.transactions]
    for row in rows:
        content = (settings.evidence_path / f"{row.id}.bin").read_bytes()
        assert row.commitment == commitment_of(bytes(row.salt), content)
        assert any(bytes.fromhex(row.commitment[2:]) in data for data in calldata)
        secrets.append(Secret(f"stored evidence {row.id}", content.decode()))
    assert len(roster) == 6 and len(rows) == 16  # the demo keeps 16 pieces of evidence
    assert scan(dump, secrets) == []
