"""A wallet injected into the page: an EIP-1193 provider backed by a real eth-account key.

The page sees ``window.ethereum`` (added by an init script) and, for a wallet installed with a
name, an EIP-6963 announcement (``eip6963:announceProvider``, again on each
``eip6963:requestProvider``), as wallet extensions do. Each ``request`` goes to
:meth:`FakeWallet.handle` in Python through an exposed function (one per wallet), which signs
with the key exactly as a wallet would (``personal_sign``: EIP-191; ``eth_signTypedData_v4``:
EIP-712 over the JSON the page sends). Events the wallet would emit (``chainChanged``) come back
with the answer and are dispatched after it resolves; tests emit others (``accountsChanged``)
with :func:`emit`. Adding a network first checks, as MetaMask does, that its first RPC URL
answers with that chain's id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from uuid import uuid4

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from playwright.sync_api import BrowserContext, Page

PROVIDER_JS = """
((binding, info, inject, late) => {
  const listeners = {};
  const provider = {
    isConsensusTestWallet: true,
    async request({ method, params }) {
      const out = JSON.parse(await window[binding](method, JSON.stringify(params ?? [])));
      const emitAll = () => (out.events || []).forEach(([name, v]) => provider._emit(name, v));
      setTimeout(emitAll, 0);
      if (out.error) {
        const err = new Error(out.error.message);
        err.code = out.error.code;
        throw err;
      }
      return out.result;
    },
    on(name, fn) { (listeners[name] = listeners[name] || []).push(fn); },
    removeListener(name, fn) { listeners[name] = (listeners[name] || []).filter((f) => f !== fn); },
    _emit(name, value) { (listeners[name] || []).forEach((fn) => fn(value)); },
  };
  if (inject) window.ethereum = provider;
  if (!info) return;
  const announce = () => window.dispatchEvent(
    new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }),
  );
  const start = () => {
    window.addEventListener("eip6963:requestProvider", announce);
    announce();
  };
  if (late) window.__lateWallets = [...(window.__lateWallets || []), start]; // see announce_late
  else start();
})(%s);
"""


def icon(colour: str) -> str:
    """A wallet's EIP-6963 icon: a data URI of a coloured disc."""
    disc = f"<circle cx='4' cy='4' r='4' fill='{colour}'/>"
    svg = f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 8 8'>{disc}</svg>"
    return "data:image/svg+xml," + quote(svg)


REJECTED = 4001
UNRECOGNIZED_CHAIN = 4902
INVALID_PARAMS = -32602


class WalletError(Exception):
    """An EIP-1193 error answer."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class FakeWallet:
    """One account's wallet. ``reject`` lists methods the person declines (code 4001)."""

    key: bytes
    chain_id: int
    known_chains: set[int] = field(default_factory=set)
    reject: set[str] = field(default_factory=set)
    connected: bool = False
    calls: list[tuple[str, Any]] = field(default_factory=list)
    added: dict[int, Any] = field(default_factory=dict)  # wallet_addEthereumChain's parameters
    late: bool = False  # EIP-6963: a slow extension, silent until announce_late()

    def __post_init__(self) -> None:
        self.account = Account.from_key(self.key)
        self.known_chains.add(self.chain_id)

    @property
    def address(self) -> str:
        """Lower case, as wallets report accounts."""
        return str(self.account.address).lower()

    def install(
        self,
        context: BrowserContext,
        *,
        name: str | None = None,
        colour: str = "#1d4ed8",
        inject: bool = True,
    ) -> None:
        """Give every page of ``context`` this wallet: as ``window.ethereum`` (``inject``) and,
        given a ``name``, announced through EIP-6963 with that name and an icon of ``colour``."""
        binding = f"__walletRequest_{self.address}"
        info = None
        if name is not None:
            slug = name.lower().replace(" ", "-")
            info = {
                "uuid": str(uuid4()),
                "name": name,
                "icon": icon(colour),
                "rdns": f"test.{slug}",
            }
        context.expose_function(binding, self.handle)
        args = [binding, info, inject, self.late]
        context.add_init_script(PROVIDER_JS % ", ".join(map(json.dumps, args)))

    def handle(self, method: str, params_json: str) -> str:
        """Answer one EIP-1193 request as JSON ``{result, events}`` or ``{error}``."""
        params = json.loads(params_json)
        self.calls.append((method, params))
        try:
            result, events = self._dispatch(method, params)
        except WalletError as exc:
            return json.dumps({"error": {"code": exc.code, "message": str(exc)}})
        return json.dumps({"result": result, "events": events})

    def _dispatch(self, method: str, params: list[Any]) -> tuple[Any, list[Any]]:
        if method in self.reject:
            raise WalletError(REJECTED, "User rejected the request.")
        if method == "eth_requestAccounts":
            self.connected = True
            return [self.address], []
        if method == "eth_accounts":
            return ([self.address] if self.connected else []), []
        if method == "eth_chainId":
            return hex(self.chain_id), []
        if method == "personal_sign":
            self._check_account(params[1])
            signable = encode_defunct(primitive=bytes.fromhex(params[0].removeprefix("0x")))
            return self._sign(signable), []
        if method == "eth_signTypedData_v4":
            self._check_account(params[0])
            signable = encode_typed_data(full_message=json.loads(params[1]))
            return self._sign(signable), []
        if method == "wallet_switchEthereumChain":
            wanted = int(params[0]["chainId"], 16)
            if wanted not in self.known_chains:
                raise WalletError(UNRECOGNIZED_CHAIN, f"Unrecognized chain ID {hex(wanted)}.")
            return None, self._switch(wanted)
        if method == "wallet_addEthereumChain":
            wanted = int(params[0]["chainId"], 16)
            self._check_rpc(params[0].get("rpcUrls") or [], wanted)
            self.known_chains.add(wanted)
            self.added[wanted] = params[0]
            return None, self._switch(wanted)  # wallets offer to switch right after adding
        raise WalletError(4200, f"{method} is not supported by this test wallet")

    def _check_rpc(self, urls: list[str], chain_id: int) -> None:
        """As MetaMask does before adding a network: its RPC URL answers with its chain id."""
        if not urls:
            raise WalletError(INVALID_PARAMS, "rpcUrls must name at least one RPC URL")
        try:
            answer = httpx.post(
                urls[0], json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=10
            ).json()
            answered = int(answer["result"], 16)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise WalletError(INVALID_PARAMS, f"Could not fetch chain ID from {urls[0]}") from exc
        if answered != chain_id:
            raise WalletError(INVALID_PARAMS, f"{urls[0]} is on chain {answered}, not {chain_id}")

    def _switch(self, chain_id: int) -> list[Any]:
        changed = chain_id != self.chain_id
        self.chain_id = chain_id
        return [["chainChanged", hex(chain_id)]] if changed else []

    def _check_account(self, who: str) -> None:
        if who.lower() != self.address:
            raise WalletError(4100, f"{who} is not an account of this wallet")

    def _sign(self, signable: Any) -> str:
        return "0x" + bytes(Account.sign_message(signable, self.key).signature).hex()

    def methods(self) -> list[str]:
        """The methods the page called, in order."""
        return [m for m, _ in self.calls]


def announce_late(page: Page) -> None:
    """The wallets installed with ``late=True`` announce themselves now (EIP-6963)."""
    page.evaluate("(window.__lateWallets || []).forEach((start) => start())")


def emit(page: Page, event: str, value: Any) -> None:
    """Make the wallet emit ``event`` (e.g. ``accountsChanged``) to the page."""
    page.evaluate("([e, v]) => window.ethereum._emit(e, v)", [event, value])
