"""Faults on the production shape, every part a real process: anvil, a private PostgreSQL 15,
two API processes (``credit serve`` with ``CREDIT_RUN_WORKERS=false``), the relay worker with a
pool of K = 3 keys and the index worker, restarted by a supervisor when they exit (as a service
manager would). While claims, confirmations and reward runs keep arriving over HTTP:

1. PostgreSQL is restarted during relaying;
2. the relay worker is killed with SIGKILL 20 times, each time restarted;
3. a second relay worker is started for the same key;
4. the node is down for 30 s, then back on the same state.

After each fault the chain is compared with what the API accepted: every claim accepted (202)
is credited exactly once (``RecordCredited`` by record id), every reward run pays each of its
earners exactly once (``RewardMinted`` per resident and epoch), and nothing is lost.

PostgreSQL here is a server of this test's own (initdb into a temporary directory, on a free
port), never the machine's shared one on port 5432, which other tests and CI use.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account

from credit.artifacts import Artifact
from credit.chain import fund, role_id, rpc_web3
from credit.relay.senders import pool_addresses
from credit.ruleset import RuleSet
from credit.settings import Settings
from tests.support.anvil import ANVIL, free_port
from tests.support.auth_helpers import signed_login
from tests.support.db_engines import REQUIRED_ENV
from tests.support.relay_helpers import signed_inbox
from tests.support.world import EPOCH, build_world

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
K = 3
KILLS = 20
NODE_DOWN_SECONDS = 30
RUNNING = "running (ChangeFeed, Relay)"  # a relay worker, woken by the API processes
WAVES = {"postgres": 8, "kills": KILLS, "two_workers": 6, "node": 8}


def _wait(predicate: Callable[[], Any], within: float, what: str | Callable[[], str]) -> None:
    """Poll for a state; fail saying ``what`` (called then, for logs as they are at the end)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {within:.0f} s: {what() if callable(what) else what}")


# -- a private PostgreSQL ------------------------------------------------------------------------


class Postgres:
    """A PostgreSQL 15 server of this test's own, in a temporary directory, on a free port."""

    def __init__(self) -> None:
        self.as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="credit-faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if self.as_root:  # initdb refuses root: the server runs as the postgres user
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(PG_BIN / "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: Any) -> None:
        cmd = [str(a) for a in argv]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            PG_BIN / "pg_ctl",
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            self.data,
            "-l",
            self.dir / "log",
            "-o",
            opts,
        )

    def stop(self) -> None:
        self._run(PG_BIN / "pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", self.data)

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- processes under a supervisor ----------------------------------------------------------------


class Supervised:
    """A process restarted whenever it exits (``Restart=always``) until :meth:`close`; its
    stderr lines are collected over all its lives."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.lines: list[str] = []
        self.starts = 0
        self.proc: subprocess.Popen[str] | None = None
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._spawn()
        self._watch = threading.Thread(target=self._watchdog, daemon=True)
        self._watch.start()

    def _spawn(self) -> None:
        proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.starts += 1
        life = self.starts
        self.proc = proc

        def read() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                self.lines.append(f"[{life}] {line.rstrip()}")

        threading.Thread(target=read, daemon=True).start()

    def _watchdog(self) -> None:
        while not self._closed.wait(0.2):
            with self._lock:
                if self.proc is not None and self.proc.poll() is not None:
                    self._spawn()

    def said(self, words: str, life: int | None = None) -> bool:
        tag = f"[{life}] " if life is not None else ""
        return any(words in line and line.startswith(tag) for line in list(self.lines))

    def kill(self) -> int:
        """SIGKILL the running life; returns its number (the supervisor starts the next)."""
        with self._lock:
            assert self.proc is not None
            life = self.starts
            if self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self._spawn()
            return life

    def close(self, sig: int = signal.SIGTERM) -> None:
        self._closed.set()
        self._watch.join(5)
        with self._lock:
            if self.proc is not None and self.proc.poll() is None:
                os.kill(self.proc.pid, sig)
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.kill(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)

    def log(self) -> str:
        """The last log records (tracebacks left out), over all lives."""
        records = [
            line
            for line in list(self.lines)
            if re.match(r"\[\d+\] \d{4}-\d\d-\d\d ", line) and " alembic." not in line
        ]
        return f"{self.name}:\n" + "\n".join(records[-40:])


class Node:
    """anvil on a fixed port with its state in a file: stopped (SIGTERM dumps the state) and
    started again on the same chain."""

    def __init__(self, state: Path) -> None:
        self.state, self.port = state, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, again: bool = False) -> None:
        """Start the node; ``again``: on the state it left, its clock going on from its last
        block (anvil keeps the chain but not its clock's offset, and a real chain's time never
        goes back), mining nothing before that."""
        argv = [str(ANVIL), "--port", str(self.port), "--host", "127.0.0.1", "--silent"]
        self.proc = subprocess.Popen(
            [*argv, "--state", str(self.state), *(["--no-mining"] if again else [])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(lambda: self.rpc("eth_blockNumber") is not None, 30, "anvil answers")
        if again:
            latest = self.rpc("eth_getBlockByNumber", "latest", False)
            assert int(self.rpc("eth_blockNumber"), 16) > 0, "anvil lost its chain"
            self.rpc("evm_setTime", int(latest["timestamp"], 16) + 1)
            self.rpc("evm_setAutomine", True)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)

    def rpc(self, method: str, *params: Any) -> Any:
        try:
            r = httpx.post(
                self.url,
                json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
                timeout=5,
            )
            return r.json().get("result")
        except httpx.HTTPError:
            return None


# -- the load: claims, confirmations and reward runs over HTTP ---------------------------------


class Load:
    """Posts over HTTP to the API processes in turn, retrying what fails (a 5xx or no answer)
    as a client would, and remembers every acceptance."""

    def __init__(self, apis: list[str], minter_key: bytes) -> None:
        self.apis, self.minter_key = apis, minter_key
        self.turn = 0
        self.accepted: list[str] = []  # record ids answered 202
        self.runs: dict[int, int] = {}  # epoch -> run id
        self.refused: list[str] = []
        self._tokens: dict[str, str] = {}

    def _next(self) -> str:
        self.turn += 1
        return self.apis[self.turn % len(self.apis)]

    def _post(self, path: str, body: dict[str, Any], *, ok: tuple[int, ...], **kw: Any) -> Any:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            base = self._next()
            try:
                r = httpx.post(base + path, json=body, timeout=15, **kw)
            except httpx.HTTPError:
                time.sleep(0.5)
                continue
            if r.status_code in ok:
                return r
            if r.status_code < 500 and r.status_code != 429:
                self.refused.append(f"{path} {r.status_code} {r.text[:300]}")
                return r
            time.sleep(0.5)  # the database or the node is away: try again
        raise AssertionError(f"{path} was never answered")

    def claims(self, claims: list[dict[str, Any]], confirmations: list[dict[str, Any]]) -> None:
        for i, claim in enumerate(claims):
            r = self._post("/v1/claims", claim, ok=(202, 409))
            if r.status_code == 202:
                self.accepted.append(r.json()["record_id"])
            for confirmation in confirmations[2 * i : 2 * i + 2]:
                self._post("/v1/confirmations", confirmation, ok=(200, 202, 409))

    def _token(self, base: str) -> str:
        if base not in self._tokens:
            with httpx.Client(base_url=base, timeout=15) as client:
                login = signed_login(client, self.minter_key)  # type: ignore[arg-type]
                r = client.post("/v1/auth/login", json=login)
                assert r.status_code == 200, r.text  # a 503 while the database is away: retry
                self._tokens[base] = r.json()["token"]
        return self._tokens[base]

    def mint(self, epoch: int) -> None:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            base = self._next()
            try:
                headers = {
                    "Authorization": f"Bearer {self._token(base)}",
                    "Idempotency-Key": f"faults-epoch-{epoch}",
                }
                r = httpx.post(
                    base + "/v1/rewards/mint", json={"epoch": epoch}, headers=headers, timeout=15
                )
            except (httpx.HTTPError, AssertionError, KeyError, ValueError):  # away: retry
                time.sleep(0.5)
                continue
            if r.status_code in (200, 202):
                self.runs[epoch] = int(r.json()["id"])
                return
            time.sleep(0.5)
        raise AssertionError(f"the reward run of epoch {epoch} was never accepted")

    def run_status(self, run_id: int) -> str:
        base = self._next()
        try:
            r = httpx.get(
                f"{base}/v1/rewards/runs/{run_id}",
                headers={"Authorization": f"Bearer {self._token(base)}"},
                timeout=15,
            )
            return str(r.json()["status"]) if r.status_code == 200 else "unknown"
        except (httpx.HTTPError, AssertionError, KeyError, ValueError):  # away: retry
            return "unknown"


class Background(threading.Thread):
    """Steps run one after the other in a thread, while the main thread makes a fault."""

    def __init__(self, *steps: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.steps: tuple[Callable[[], None], ...] = steps
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for step in self.steps:
                step()
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def finish(self, within: float = 300) -> None:
        self.join(within)
        assert not self.is_alive(), "the load did not finish"
        if self.error is not None:
            raise self.error


# -- the test ----------------------------------------------------------------------------------


def _skip(reason: str) -> None:
    """Skip saying why, or fail where PostgreSQL is required (``.ci/run``)."""
    if os.environ.get(REQUIRED_ENV, "") == "required":
        pytest.fail(f"{REQUIRED_ENV}=required but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def private_postgres() -> Iterator[Postgres]:
    missing = [b for b in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / b).exists()]
    if missing:
        _skip(f"PostgreSQL 15 server binaries missing in {PG_BIN}: {', '.join(missing)}")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _skip("the PostgreSQL driver psycopg is not installed")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _skip("running as root without runuser: initdb must run as the postgres user")
    pg = Postgres()
    try:
        pg.start()
        yield pg
    finally:
        pg.remove()


@pytest.mark.timeout(600)  # about 2 minutes on 2 idle cores; a busy machine takes longer
def test_faults_on_the_real_shape(
    private_postgres: Postgres, tmp_path: Path, artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    import psycopg

    pg = private_postgres
    admin = f"host=127.0.0.1 port={pg.port} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute('CREATE DATABASE "credit"')
    database_url = f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/credit"

    node = Node(tmp_path / "anvil-state.json")
    node.start()
    procs: list[Supervised] = []
    try:
        w = build_world(rpc_web3(node.url), artifacts, ruleset, residents=sum(WAVES.values()))
        values = {
            "data_dir": str(tmp_path),
            "chain": node.url,
            "database_url": database_url,
            "run_workers": "false",
            "worker_lease_seconds": "2",
            "relayer_pool_size": str(K),
            "batch_max_size": "2",
            "batch_window_seconds": "0.05",
        }
        settings = Settings(**values)  # type: ignore[arg-type]
        minter = Account.from_key(settings.minter_private_key())
        fund(w.w3, [*pool_addresses(settings), minter.address], 10**21)
        w.operator.send(w.ledger.functions.grantRole(role_id("MINTER_ROLE"), minter.address))

        # three ended epochs with earners, paid by reward runs during the faults
        earners: dict[int, set[str]] = {}
        for n in (3, 4, 5):
            epoch = w.epoch()
            earners[epoch] = {r.address.lower() for r in w.residents[-n:]}
            for r in w.residents[-n:]:
                w.credit_one(r, 1, 1)
            w.advance(EPOCH + 1)
        epochs = sorted(earners)
        waves, start = {}, 0
        for name, size in WAVES.items():
            waves[name] = signed_inbox(w, w.residents[start : start + size], 1)
            start += size

        deployment = tmp_path / "deployment.json"
        deployment.write_text(w.system.record.to_json())
        env = {**os.environ, **{f"CREDIT_{k.upper()}": v for k, v in values.items()}}
        env["CREDIT_DEPLOYMENT_FILE"] = str(deployment)
        cli = [sys.executable, "-m", "credit"]
        apis = []
        for i in range(2):
            port = free_port()
            procs.append(Supervised(f"api{i}", [*cli, "serve", "--port", str(port)], env))
            apis.append(f"http://127.0.0.1:{port}")
        indexer = Supervised("index", [*cli, "index", "run"], env)
        relay = Supervised("relay", [*cli, "relay", "run"], env)
        procs += [indexer, relay]

        def up(base: str) -> bool:
            try:
                return httpx.get(base + "/v1/health", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        for base in apis:
            _wait(lambda b=base: up(b), 120, f"{base} serves")
        _wait(lambda: relay.said(RUNNING), 120, "the relay worker runs\n" + relay.log())

        load = Load(apis, bytes(minter.key))

        def check(phase: str) -> None:
            """The chain against what was accepted: waits for the work to settle, then
            compares exactly."""
            wanted = {
                "0x" + rid.hex()
                for name in list(waves)[: phases.index(phase) + 1]
                for rid in waves[name][2]
            }
            _wait(
                lambda: wanted <= set(credited()),
                120,
                lambda: f"{phase}: claims credited\n{relay.log()}",
            )
            for epoch, run in load.runs.items():
                _wait(
                    lambda r=run: load.run_status(r) == "done",
                    240,
                    lambda e=epoch: f"{phase}: reward run of epoch {e}\n{indexer.log()}",
                )
            counts = credited()
            assert set(load.accepted) <= set(counts), f"{phase}: an accepted claim is lost"
            assert set(counts) - pre_credited == wanted, f"{phase}: credited, never claimed"
            twice = {rid: n for rid, n in counts.items() if n != 1}
            assert not twice, f"{phase}: credited more than once: {twice}"
            paid = minted()
            for epoch in load.runs:
                got = {who for (who, e) in paid if e == epoch}
                assert got == earners[epoch], f"{phase}: epoch {epoch} paid {got}"
            assert set(paid.values()) <= {1}, f"{phase}: a reward paid twice: {paid}"
            assert {e for (_, e) in paid} <= set(load.runs), f"{phase}: a run nobody asked for"
            assert not load.refused, f"{phase}: refused: {load.refused}"

        def credited() -> Counter[str]:
            logs = w.ledger.events.RecordCredited().get_logs(from_block=0)
            return Counter("0x" + bytes(e["args"]["recordId"]).hex() for e in logs)

        def minted() -> Counter[tuple[str, int]]:
            logs = w.ledger.events.RewardMinted().get_logs(from_block=0)
            return Counter((e["args"]["resident"].lower(), int(e["args"]["epoch"])) for e in logs)

        phases = list(waves)
        pre_credited = set(credited())

        # 1. PostgreSQL restarted during relaying
        claims, confirmations, _ = waves["postgres"]
        half = len(claims) // 2
        load.claims(claims[:half], confirmations[: 2 * half])
        rest = claims[half:], confirmations[2 * half :]
        flow = Background(lambda: load.mint(epochs[0]), lambda: load.claims(*rest))
        flow.start()
        pg.stop()
        time.sleep(3)
        pg.start()
        flow.finish()
        check("postgres")

        # 2. the relay worker killed with SIGKILL 20 times, restarted each time: a claim
        # arrives in each life, and the kill lands soon after, while it is being relayed
        claims, confirmations, ids = waves["kills"]
        flow = Background(lambda: load.mint(epochs[1]))
        flow.start()
        rng = random.Random(17)
        in_flight = 0  # kills that landed before their life's claim was credited
        for i in range(KILLS):
            life = relay.starts
            _wait(
                lambda lf=life: relay.said(RUNNING, lf),
                120,
                lambda: "the relay worker restarts\n" + relay.log(),
            )
            load.claims(claims[i : i + 1], confirmations[2 * i : 2 * i + 2])
            time.sleep(rng.uniform(0.0, 0.3))  # planning, signing, sending or settling
            relay.kill()
            in_flight += "0x" + ids[i].hex() not in credited()
        assert in_flight > 0, "every kill came after its claim was credited: nothing in flight"
        flow.finish()
        check("kills")
        assert relay.starts >= KILLS + 1

        # 3. two relay workers for one key: the second waits, and takes over from the first
        claims, confirmations, _ = waves["two_workers"]
        _wait(lambda: relay.said(RUNNING, relay.starts), 120, relay.log())
        second = Supervised("relay2", [*cli, "relay", "run"], env)
        procs.append(second)
        _wait(lambda: second.said("waiting for it"), 120, "the second waits\n" + second.log())
        load.claims(claims, confirmations)
        assert not second.said(RUNNING), "two relay workers ran for one key"
        relay.close(signal.SIGKILL)  # the first is gone for good: the second takes over
        relay = second
        _wait(lambda: second.said(RUNNING), 120, "the second took over\n" + second.log())
        check("two_workers")

        # 4. the node down for 30 s, then back on the same state
        claims, confirmations, _ = waves["node"]
        half = len(claims) // 2
        load.claims(claims[:half], confirmations[: 2 * half])
        rest = claims[half:], confirmations[2 * half :]
        flow = Background(lambda: load.mint(epochs[2]), lambda: load.claims(*rest))
        flow.start()
        height = w.w3.eth.block_number
        node.stop()
        time.sleep(NODE_DOWN_SECONDS)
        node.start(again=True)
        assert w.w3.eth.block_number >= height, "the node came back on another chain"
        flow.finish()
        check("node")

        assert pre_credited <= set(credited())
        assert sorted(load.runs) == epochs
    except BaseException:
        for p in procs:
            sys.stderr.write(p.log() + "\n")
        raise
    finally:
        for p in procs:
            p.close()
        node.stop()
