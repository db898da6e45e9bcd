"""The options every chain-facing command shares, and the context they resolve to.

One set, so that ``credit deploy``, ``roles``, ``residents``, ``rules publish``, ``status``,
``fund`` and ``serve`` name a network the same way: ``--network NAME`` (default
``CREDIT_NETWORK``, else the embedded chain), ``--rpc-url URL`` (default ``CREDIT_CHAIN`` when it
is a URL; with ``--network`` it overrides that network's node, e.g. anvil on another port),
``--chain-id`` (default ``CREDIT_CHAIN_ID``) and ``--dev`` for a dev node given by URL alone.

A command takes them as one parameter, typed by a group of them (:class:`NetworkArgs`,
:class:`NodeArgs`, :class:`OperatorArgs`), and :func:`grouped` spreads the group into its
options for typer, at the parameter's place.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_type_hints

import typer

from credit.errors import CreditError

NetworkOpt = Annotated[
    str | None,
    typer.Option(
        "--network", "-n", help="network name (config/networks.toml); default: CREDIT_NETWORK"
    ),
]
RpcOpt = Annotated[
    str | None,
    typer.Option(
        "--rpc-url",
        help="JSON-RPC URL of the node: alone, an ad-hoc production network; with --network, "
        "that network's node at another URL; default: CREDIT_CHAIN",
    ),
]
ChainIdOpt = Annotated[
    int | None,
    typer.Option("--chain-id", help="expected chain id (refuses others); default: CREDIT_CHAIN_ID"),
]
DevOpt = Annotated[
    bool,
    typer.Option(
        "--dev",
        help="the node is a throw-away dev node (anvil, hardhat): the dev profile's keys may be "
        "used and its unlocked account funds them. Without it an --rpc-url counts as production",
    ),
]
KeystoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--keystore",
        help="sign with this keystore (password: CREDIT_OPERATOR_KEYSTORE_PASSWORD, else asked); "
        "default: CREDIT_OPERATOR_KEYSTORE",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]

R = TypeVar("R")


@dataclasses.dataclass(frozen=True)
class NetworkArgs:
    """``--network``, ``--rpc-url``, ``--chain-id``: the network a command reads."""

    network: NetworkOpt = None
    rpc_url: RpcOpt = None
    chain_id: ChainIdOpt = None


@dataclasses.dataclass(frozen=True)
class NodeArgs(NetworkArgs):
    """:class:`NetworkArgs` and ``--dev``: the network and how far its node is trusted."""

    dev: DevOpt = False

    def settings(self) -> Any:
        """The process's settings."""
        return settings_for()

    def resolve(self, settings: Any) -> Any:
        """The :class:`credit.ops.networks.Network` these options (and ``settings``) name."""
        return network(settings, self.network, self.rpc_url, self.chain_id, self.dev)


@dataclasses.dataclass(frozen=True)
class OperatorArgs(NodeArgs):
    """:class:`NodeArgs` and ``--keystore``: a command that signs with the operator's key."""

    keystore: KeystoreOpt = None

    def settings(self) -> Any:
        """The process's settings, signing with ``--keystore`` when it is given."""
        return settings_for(self.keystore)


def grouped(command: Callable[..., R]) -> Callable[..., R]:
    """``command`` as typer sees it: each parameter typed by an options group (a dataclass of
    ``Annotated`` options) spread into those options, in its place; called, ``command`` gets
    the group back as one value."""
    spread: dict[str, type] = {}
    params: list[inspect.Parameter] = []
    for param in inspect.signature(command, eval_str=True).parameters.values():
        group = param.annotation
        if not dataclasses.is_dataclass(group):
            params.append(param)
            continue
        assert isinstance(group, type)
        spread[param.name] = group
        hints = get_type_hints(group, include_extras=True)
        params += [
            param.replace(name=f.name, annotation=hints[f.name], default=f.default)
            for f in dataclasses.fields(group)
        ]

    @functools.wraps(command)
    def spread_out(**options: Any) -> R:
        for name, group in spread.items():
            fields = [f.name for f in dataclasses.fields(group)]
            options[name] = group(**{field: options.pop(field) for field in fields})
        return command(**options)

    spread_out.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    spread_out.__annotations__ = {p.name: p.annotation for p in params}
    return spread_out


def settings_for(keystore: Path | None = None) -> Any:
    """The process's settings; with ``keystore``, signing with that operator keystore."""
    from credit.settings import get_settings

    settings = get_settings()
    if keystore is None:
        return settings
    if not keystore.exists():
        raise CreditError(f"no keystore at {keystore}: `credit keys new {keystore}` makes one")
    password = settings.operator_keystore_password
    if password is None:
        from pydantic import SecretStr

        password = SecretStr(typer.prompt(f"Password of {keystore}", hide_input=True))
    return settings.model_copy(
        update={"operator_keystore": keystore, "operator_keystore_password": password}
    )


def network(
    settings: Any, name: str | None, rpc_url: str | None, chain_id: int | None, dev: bool
) -> Any:
    """The :class:`credit.ops.networks.Network` the options (and the settings' defaults) name."""
    from credit.ops.networks import network_for

    return network_for(settings, name, rpc_url, chain_id, dev=dev)


def context(args: OperatorArgs) -> tuple[Any, ...]:
    """Settings, network, web3, operator account, artifacts."""
    from credit.compile import compile_contracts
    from credit.ops.networks import connect, operator_account

    settings = args.settings()
    net = args.resolve(settings)
    w3 = connect(net, settings)
    return settings, net, w3, operator_account(w3, net, settings), compile_contracts()


def deployed(w3: Any, net: Any, settings: Any) -> tuple[Any, Path]:
    """The system deployed on ``net`` and its file; a clear error when there is none."""
    from credit.compile import compile_contracts
    from credit.ops.deploy import deployment_candidates, find_deployment, load_existing

    path = find_deployment(net, settings)
    system = load_existing(w3, path, compile_contracts())
    if system is None:
        looked = " or ".join(str(p.resolve()) for p in deployment_candidates(net, settings))
        raise CreditError(
            f"nothing is deployed on {net.name!r} (no {looked}): run "
            f"`credit deploy --network {net.name}`, or set CREDIT_DEPLOYMENTS_DIR (or "
            "CREDIT_DEPLOYMENT_FILE) to where its file is"
        )
    return system, path


def system(args: NodeArgs, *, signing: bool = True) -> tuple[Any, Any]:
    """The deployed system on the network, and a transactor of the operator's key (None when
    not ``signing``: read-only commands need no key)."""
    from credit.chain import Transactor
    from credit.ops.networks import connect, operator_account

    settings = args.settings()
    net = args.resolve(settings)
    w3 = connect(net, settings)
    found, _path = deployed(w3, net, settings)
    if not signing:
        return found, None
    account = operator_account(w3, net, settings)
    return found, Transactor(w3, account, found.decoder, gas=3_000_000 if net.dev else None)


def emit(data: Any, as_json: bool, render: Any) -> None:
    """JSON with ``--json``, else the human rendering."""
    if as_json:
        print(json.dumps(data, indent=2, default=str))
    else:
        render(data)
