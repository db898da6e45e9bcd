"""``credit verify``: residents verify the ledger and prove credit; operators deploy the verifier.

Registered on the main app by importing this module (one line in ``credit/cli/__init__.py``).
Commands stay thin: the work is in ``credit.verify`` and ``credit.chain.verifier``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from credit.cli import app
from credit.cli.netopts import JsonOpt, NetworkArgs, grouped
from credit.errors import CreditError

verify_app = typer.Typer(
    help="Verify the ledger with your computer and earn credit; prove your credit.",
    no_args_is_help=True,
)
err = Console(stderr=True, soft_wrap=True)

DeploymentOpt = Annotated[
    Path | None, typer.Option("--deployment", help="deployment file (default: deployments/<net>)")
]
EpochOpt = Annotated[int, typer.Option("--epoch", help="the epoch (ledger epoch number)")]


@dataclass(frozen=True)
class DeploymentArgs(NetworkArgs):
    """:class:`NetworkArgs` and ``--deployment``: the deployed system a command works on."""

    deployment: DeploymentOpt = None


def _connect(args: DeploymentArgs, *, dev: bool = False) -> tuple[Any, Any, Any, Any, Path]:
    """Settings, network, the deployed system and the artifacts (``dev``: see ``--dev``)."""
    from credit.compile import compile_contracts
    from credit.ops.deploy import find_deployment, load_existing
    from credit.ops.networks import connect, resolve_network
    from credit.settings import get_settings

    settings = get_settings()
    net = resolve_network(args.network, args.rpc_url, args.chain_id, dev=dev)
    w3 = connect(net, settings)
    artifacts = compile_contracts()
    path = args.deployment or find_deployment(net, settings)
    system = load_existing(w3, path, artifacts)
    if system is None:
        raise CreditError(f"no deployment file at {path}: pass --deployment or deploy first")
    return settings, net, system, artifacts, path


def _client(system: Any, artifacts: Any, key: bytes | None = None) -> Any:
    from eth_account import Account

    from credit.chain import Transactor
    from credit.chain.verifier import VerifierClient, attach_verifier

    contract = attach_verifier(system, artifacts)
    tx = None if key is None else Transactor(system.w3, Account.from_key(key), system.decoder)
    start = system.record.contracts["EpochVerifier"].block
    return VerifierClient(contract, tx, from_block=start, decoder=system.decoder)


def _signing_client(settings: Any, system: Any, artifacts: Any) -> Any:
    """A client that sends with the resident's verifier key (keystore, or the dev key)."""
    try:
        key = settings.verifier_private_key()
    except ValueError as exc:
        raise CreditError(str(exc)) from exc
    return _client(system, artifacts, key)


def _replay(system: Any, epoch: int, depth: int) -> Any:
    from credit.chain.events import EventSource
    from credit.verify.replay import replay_epoch

    return replay_epoch(EventSource(system), epoch, confirmation_depth=depth)


def _epoch_roots(system: Any, artifacts: Any, depth: int) -> Any:
    from credit.chain.events import EventSource
    from credit.chain.zk import attach_private_proofs, identity_commitments
    from credit.verify.roots import EpochRoots

    proofs = attach_private_proofs(system, artifacts)
    if proofs is None:
        return EpochRoots(EventSource(system), depth)
    registry, start = proofs.registry, system.record.start_block
    return EpochRoots(
        EventSource(system),
        depth,
        lambda block: identity_commitments(registry, to_block=block, from_block=start),
    )


def _poseidon_tracks(system: Any, artifacts: Any, client: Any, roots: Any) -> list[Any]:
    """The Poseidon-root track when the deployment lists private proofs (else none)."""
    from credit.chain.verifier import VerifierClient
    from credit.chain.zk import ROOTS_ENTRY, attach_private_proofs
    from credit.verify.worker import Track

    proofs = attach_private_proofs(system, artifacts)
    if proofs is None:
        return []
    start = system.record.contracts[ROOTS_ENTRY].block
    poseidon = VerifierClient(proofs.roots, client.tx, from_block=start, decoder=system.decoder)
    return [Track("poseidon", poseidon, roots.poseidon_root)]


def _print(data: Any, as_json: bool = True) -> None:
    """JSON with ``--json`` (and for ``prove``, whose output is a document); else one
    ``name: value`` line per field."""
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return
    for name, value in data.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        print(f"{name.replace('_', ' ')}: {shown}")


@verify_app.command("run")
@grouped
def run(
    where: DeploymentArgs,
    epoch: Annotated[int | None, typer.Option(help="epoch to verify (default: the next)")] = None,
    state_dir: Annotated[Path | None, typer.Option(help="where ballots (salts) are kept")] = None,
    finalize: Annotated[
        bool, typer.Option(help="after the reveal window, finalise and credit the verifiers")
    ] = False,
    poll: Annotated[float, typer.Option(help="seconds between looks at the chain")] = 1.0,
    timeout: Annotated[float | None, typer.Option(help="give up a wait after N s")] = None,
    json_output: JsonOpt = False,
) -> None:
    """Verify one epoch with your wallet key: replay it, commit its root, reveal, settle.

    The key comes from CREDIT_VERIFIER_KEYSTORE (+ _PASSWORD), or CREDIT_VERIFIER_KEY in dev.
    Prints what happened (JSON with --json).
    """
    from credit.verify.worker import BallotStore, Worker

    settings, _net, system, artifacts, _path = _connect(where)
    client = _signing_client(settings, system, artifacts)
    roots = _epoch_roots(system, artifacts, settings.confirmation_depth)
    worker = Worker(
        client,
        roots.keccak_root,
        BallotStore(state_dir or settings.data_dir / "verify"),
        finalize=finalize,
        poll_seconds=poll,
        timeout=timeout,
        say=lambda msg: err.print(f"[{client.resident}] {msg}"),
        tracks=_poseidon_tracks(system, artifacts, client, roots),
    )
    target = (
        epoch
        if epoch is not None
        else worker.next_epoch(system.ledger.functions.currentEpoch().call())
    )
    _print(asdict(worker.run(target)), json_output)


@verify_app.command("settle")
@grouped
def settle(epoch: EpochOpt, where: DeploymentArgs, json_output: JsonOpt = False) -> None:
    """Finalise an epoch whose reveal window closed and push its crediting pages (anyone may).

    Pays the gas from CREDIT_VERIFIER_KEYSTORE (+ _PASSWORD), or CREDIT_VERIFIER_KEY in dev; the
    key needs no role and need not have verified. Prints what happened (JSON with --json).
    """
    from credit.verify.settle import settle_epoch

    settings, _net, system, artifacts, _path = _connect(where)
    client = _signing_client(settings, system, artifacts)
    closes = client.windows(epoch).reveal_closes
    if client.now() < closes:
        raise CreditError(f"epoch {epoch}'s reveal window closes at {closes}: settle it after that")
    done = settle_epoch(client, epoch, say=lambda msg: err.print(f"[{client.resident}] {msg}"))
    _print(asdict(done), json_output)


@verify_app.command("root")
@grouped
def root(
    epoch: EpochOpt,
    where: DeploymentArgs,
    states: Annotated[bool, typer.Option("--states", help="also print every leaf")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Compute an epoch's state root from chain events alone (anyone can; no key needed)."""
    settings, _net, system, _artifacts, _path = _connect(where)
    replay = _replay(system, epoch, settings.confirmation_depth)
    out: dict[str, Any] = {
        "epoch": epoch,
        "root": "0x" + replay.root.hex(),
        "residents": len(replay.state.residents),
        "as_of_block": replay.facts.as_of_block,
    }
    if states:
        out["states"] = [asdict(r) for r in replay.state.residents]
    _print(out, json_output)


@verify_app.command("prove")
@grouped
def prove(
    epoch: EpochOpt,
    resident: Annotated[str, typer.Option(help="the resident's address")],
    where: DeploymentArgs,
) -> None:
    """Print a resident's leaf and Merkle proof for an epoch (to hand to a third party)."""
    from credit.verify.merkle import state_tree

    settings, _net, system, artifacts, _path = _connect(where)
    replay = _replay(system, epoch, settings.confirmation_depth)
    leaf = replay.state.of(resident)
    if leaf is None:
        raise CreditError(f"{resident} was not a registered resident at the end of epoch {epoch}")
    tree = state_tree(replay.state)
    final = _client(system, artifacts).tally(epoch).root
    _print(
        {
            "epoch": epoch,
            "resident": leaf.resident,
            "credit": leaf.credit,
            "earned": leaf.earned,
            "proof": [
                "0x" + p.hex() for p in tree.proof_of(leaf.resident, leaf.credit, leaf.earned)
            ],
            "root": "0x" + tree.root.hex(),
            "finalized_root": "0x" + final.hex() if any(final) else None,
        }
    )


@verify_app.command("check")
@grouped
def check(
    proof_file: Path,
    at_least: Annotated[int | None, typer.Option(help="check credit >= this only")] = None,
    *,
    where: DeploymentArgs,
    json_output: JsonOpt = False,
) -> None:
    """Check a proof (from `prove`) against the finalised root, in Python and on chain."""
    from credit.verify.merkle import proves_at_least

    _settings, _net, system, artifacts, _path = _connect(where)
    p = json.loads(proof_file.read_text(encoding="utf-8"))
    client = _client(system, artifacts)
    epoch, who, credit, earned = int(p["epoch"]), p["resident"], int(p["credit"]), int(p["earned"])
    proof = [bytes.fromhex(h[2:]) for h in p["proof"]]
    final = client.tally(epoch).root
    threshold = credit if at_least is None else at_least
    python_ok = any(final) and proves_at_least(final, who, threshold, credit, earned, proof)
    chain_ok = any(final) and client.proves_at_least(epoch, who, threshold, credit, earned, proof)
    _print(
        {
            "epoch": epoch,
            "resident": who,
            "threshold": threshold,
            "python": python_ok,
            "chain": chain_ok,
        },
        json_output,
    )
    if not (python_ok and chain_ok):
        # an error, not typer.Exit: `credit.cli.main` drops the code of an Exit (standalone off)
        raise CreditError("the proof does not hold against the finalised root")


@verify_app.command("deploy")
@grouped
def deploy(
    quorum: Annotated[int, typer.Option(help="fewest residents revealing the winning root")] = 3,
    commit_window: Annotated[int | None, typer.Option(help="seconds (default 2/5 epoch)")] = None,
    reveal_window: Annotated[int | None, typer.Option(help="seconds (default 2/5 epoch)")] = None,
    *,
    where: DeploymentArgs,
    json_output: JsonOpt = False,
) -> None:
    """Deploy the EpochVerifier (operator key, ledger admin) and grant it VERIFIER_ROLE."""
    from credit.chain import Transactor
    from credit.chain.verifier import VerifierTerms, deploy_verifier
    from credit.ops.networks import operator_account

    settings, net, system, artifacts, path = _connect(where)
    if "EpochVerifier" in system.record.contracts:
        raise CreditError(f"{path} lists an EpochVerifier already: nothing to do")
    account = operator_account(system.w3, net, settings)
    tx = Transactor(system.w3, account, system.decoder, gas=None)
    epoch = system.record.epoch_length
    terms = VerifierTerms(
        quorum=quorum,
        commit_window=commit_window or epoch * 2 // 5,
        reveal_window=reveal_window or epoch * 2 // 5,
    )
    contract, record = deploy_verifier(tx, artifacts, system, terms)
    record.save(path)
    _print({"EpochVerifier": contract.address, "deployment": str(path)}, json_output)


app.add_typer(verify_app, name="verify")
