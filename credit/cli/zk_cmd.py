"""``credit zk``: prove "my credit is at least X" without saying who, and check such a proof.

Registered on the main app in ``credit/cli/__init__.py`` (``app.add_typer(zk_app, name="zk")``).
Both commands work offline on files: the epoch's Poseidon leaves are public (identity commitments
and credits, as the verifiers and the auditor compute them), and a proof bundle carries what a
gate needs. The work is in ``credit.zk``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from credit.cli.netopts import DevOpt
from credit.errors import CreditError

zk_app = typer.Typer(
    help="Private proofs: prove your credit is at least X without revealing who you are.",
    no_args_is_help=True,
)
BUNDLE_VERSION = 1


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CreditError(f"cannot read {path} as JSON: {exc}") from exc


@zk_app.command("prove")
def prove_cmd(
    leaves: Annotated[
        Path, typer.Option(help="the epoch's Poseidon leaves: JSON [{commitment, credit}]")
    ],
    epoch: Annotated[int, typer.Option(help="the epoch the leaves are of")],
    gate: Annotated[str, typer.Option(help="the CreditGate's address")],
    label: Annotated[str, typer.Option(help="the gate's label (its `label()`)")],
    threshold: Annotated[int, typer.Option(help="the gate's threshold")],
    chain_id: Annotated[int, typer.Option("--chain-id", help="the gate's chain id")],
    recipient: Annotated[str, typer.Option(help="the address the pass is for")],
    secret_file: Annotated[
        Path, typer.Option(help="a file holding your identity secret (decimal), never shared")
    ],
    out: Annotated[Path, typer.Option(help="where to write the proof bundle")] = Path("proof.json"),
) -> None:
    """Prove your credit in ``epoch`` is at least ``threshold``, for ``recipient`` at ``gate``."""
    from credit.zk.identity import scope_of
    from credit.zk.inputs import circuit_input
    from credit.zk.snark import prove
    from credit.zk.tree import CreditLeaf, build_tree

    rows = _read_json(leaves)
    tree = build_tree(CreditLeaf(int(r["commitment"]), int(r["credit"])) for r in rows)
    try:
        secret = int(secret_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError) as exc:
        raise CreditError(f"{secret_file} must hold your secret as a decimal number") from exc
    scope = scope_of(chain_id, gate, label)
    data, statement = circuit_input(
        secret, tree, threshold=threshold, scope=scope, recipient=recipient
    )
    proof, public = prove(data)
    bundle = {
        "version": BUNDLE_VERSION,
        "chain_id": chain_id,
        "gate": gate,
        "label": label,
        "epoch": epoch,
        "public": public,
        "proof": proof,
    }
    out.write_text(json.dumps(bundle, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"out": str(out), "nullifier": str(statement.nullifier)}))


@zk_app.command("verify")
def verify_cmd(
    bundle_file: Annotated[Path, typer.Argument(help="a proof bundle from `credit zk prove`")],
) -> None:
    """Check a proof bundle off chain: the proof, and that its scope is its gate's.

    Prints the statement as JSON; exits 1 if the proof does not hold. Whether its root is a
    finalised epoch root and its nullifier unused is the gate's to say (``pass`` checks both).
    """
    from credit.zk.identity import scope_of
    from credit.zk.inputs import Statement
    from credit.zk.snark import verify

    bundle = _read_json(bundle_file)
    try:
        statement = Statement.from_signals(bundle["public"])
        scope = scope_of(int(bundle["chain_id"]), bundle["gate"], bundle["label"])
        proof = bundle["proof"]
    except (KeyError, TypeError, ValueError) as exc:
        raise CreditError(f"{bundle_file} is not a proof bundle: {exc}") from exc
    valid = verify(proof, statement.signals())
    report = {
        "valid": valid and statement.scope == scope,
        "proof_verifies": valid,
        "scope_matches_gate": statement.scope == scope,
        "epoch": bundle.get("epoch"),
        "root": "0x" + statement.root.to_bytes(32, "big").hex(),
        "threshold": statement.threshold,
        "nullifier": str(statement.nullifier),
        "recipient": statement.recipient_address,
    }
    print(json.dumps(report, indent=2))
    if not report["valid"]:
        raise typer.Exit(1)


RegistryOpt = Annotated[str, typer.Option("--registry", help="the IdentityRegistry's address")]


def _poseidon_replay(system: Any, artifacts: Any, registry: str, epoch: int, depth: int) -> Any:
    """The epoch's Poseidon tree from the chain: the verifiers' replay plus the commitments
    registered up to its last block."""
    from credit.chain.zk import attach_registry, identity_commitments
    from credit.cli.verify_cmd import _replay
    from credit.verify.poseidon_root import poseidon_tree

    replay = _replay(system, epoch, depth)
    contract = attach_registry(system, artifacts, registry)
    commitments = identity_commitments(contract, to_block=replay.facts.as_of_block)
    return poseidon_tree(replay.state, commitments)


@zk_app.command("leaves")
def leaves_cmd(
    epoch: Annotated[int, typer.Option(help="the epoch")],
    registry: RegistryOpt,
    network: Annotated[str | None, typer.Option(help="network name")] = None,
    rpc_url: Annotated[str | None, typer.Option("--rpc-url", help="JSON-RPC URL")] = None,
    chain_id: Annotated[int | None, typer.Option("--chain-id", help="chain id")] = None,
    deployment: Annotated[Path | None, typer.Option(help="deployment file")] = None,
    out: Annotated[Path | None, typer.Option(help="write the leaves here (for `prove`)")] = None,
) -> None:
    """The epoch's Poseidon leaves and root, from chain events alone (public; no key needed)."""
    from credit.cli.verify_cmd import DeploymentArgs, _connect

    where = DeploymentArgs(network, rpc_url, chain_id, deployment)
    settings, _net, system, artifacts, _path = _connect(where)
    tree = _poseidon_replay(system, artifacts, registry, epoch, settings.confirmation_depth)
    rows = [{"commitment": str(x.commitment), "credit": str(x.credit)} for x in tree.leaves]
    if out is not None:
        out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"epoch": epoch, "root": "0x" + tree.root_bytes.hex(), "leaves": len(rows)}))


@zk_app.command("deploy")
def deploy_cmd(
    network: Annotated[str | None, typer.Option(help="network name")] = None,
    rpc_url: Annotated[str | None, typer.Option("--rpc-url", help="JSON-RPC URL")] = None,
    chain_id: Annotated[int | None, typer.Option("--chain-id", help="chain id")] = None,
    deployment: Annotated[Path | None, typer.Option(help="deployment file")] = None,
    dev: DevOpt = False,
) -> None:
    """Deploy private proofs (identity registry, Poseidon-root verifier, Groth16 verifier) with
    the EpochVerifier's quorum and windows, and list them in the deployment file: from then on
    `credit verify run`, the browser verifiers and `credit audit` handle the Poseidon root too."""
    from credit.chain import Transactor
    from credit.chain.verifier import VerifierTerms
    from credit.chain.zk import ROOTS_ENTRY, deploy_private_proofs, record_private_proofs
    from credit.cli.verify_cmd import DeploymentArgs, _connect
    from credit.ops.networks import operator_account

    where = DeploymentArgs(network, rpc_url, chain_id, deployment)
    settings, net, system, artifacts, path = _connect(where, dev=dev)
    record = system.record
    if ROOTS_ENTRY in record.contracts:
        raise CreditError(f"{path} lists private proofs already: nothing to do")
    terms = VerifierTerms.of_record(record)
    if terms is None:
        raise CreditError(
            f"{path} lists no EpochVerifier: deploy it first (`credit verify deploy`), since the "
            "Poseidon root is agreed with the same quorum and windows"
        )
    account = operator_account(system.w3, net, settings)
    tx = Transactor(system.w3, account, system.decoder, gas=None)
    proofs = deploy_private_proofs(tx, artifacts, system, terms)
    record_private_proofs(record, proofs).save(path)
    print(json.dumps({**proofs.addresses(), "deployment": str(path)}))
