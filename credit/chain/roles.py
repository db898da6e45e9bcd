"""What an account may do, read from the contracts' AccessControl: never a gateway-side list.

Role names are the on-chain role names without the ``_ROLE`` suffix (``SUPERIOR`` is
``keccak256("SUPERIOR_ROLE")`` on the ledger); ``RESIDENT`` is ``CreditLedger.isResident`` and
``GOVERNOR`` is the rule book's ``GOVERNOR_ROLE``. Reads are cached for a few seconds
(:class:`RoleCache`) so that a request costs no chain call; a role granted or revoked on chain
shows after at most the cache's TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from web3 import Web3

from credit import vocabulary
from credit.chain.deploy import System, abi_role_names, role_id
from credit.errors import ChainError, CreditError
from credit.vocabulary import short_role

RESIDENT = "RESIDENT"
REGISTRAR = "REGISTRAR"
SUPERIOR = "SUPERIOR"
PUBLIC_PANEL = "PUBLIC_PANEL"
EXPERT = "EXPERT"
ARBITER = "ARBITER"
MINTER = "MINTER"
DEFAULT_ADMIN = "DEFAULT_ADMIN"
GOVERNOR = "GOVERNOR"

# name -> the ledger's AccessControl role it stands for (credit.vocabulary)
LEDGER_ROLES: dict[str, str] = {
    short_role(r): r
    for r in (
        vocabulary.REGISTRAR_ROLE,
        vocabulary.SUPERIOR_ROLE,
        vocabulary.PUBLIC_PANEL_ROLE,
        vocabulary.EXPERT_ROLE,
        vocabulary.ARBITER_ROLE,
        vocabulary.MINTER_ROLE,
        vocabulary.DEFAULT_ADMIN_ROLE,
    )
}
ALL_ROLES: frozenset[str] = frozenset({RESIDENT, GOVERNOR, *LEDGER_ROLES})
DEFAULT_TTL_SECONDS = 5.0


def checksum(address: str) -> str:
    """``address`` in EIP-55 form; a malformed address is a :class:`CreditError`."""
    try:
        return str(Web3.to_checksum_address(address))
    except (TypeError, ValueError) as exc:
        raise CreditError(f"{address!r} is not an Ethereum address: send 0x + 40 hex") from exc


def read_roles(system: System, address: str) -> frozenset[str]:
    """The roles ``address`` holds right now (uncached: one eth_call per role)."""
    account = checksum(address)
    try:
        held = {
            name
            for name, onchain in LEDGER_ROLES.items()
            if system.ledger.functions.hasRole(role_id(onchain), account).call()
        }
        if system.ledger.functions.isResident(account).call():
            held.add(RESIDENT)
        if system.rule_book.functions.hasRole(role_id("GOVERNOR_ROLE"), account).call():
            held.add(GOVERNOR)
    except CreditError:
        raise
    except Exception as exc:  # node down, timeout, wrong contract at the address
        raise ChainError(
            f"could not read the roles of {account} from the chain ({type(exc).__name__}): "
            "check that the node is reachable, then retry"
        ) from exc
    return frozenset(held)


def governing_roles(system: System, address: str) -> list[str]:
    """The roles that govern the system which ``address`` holds: admin of either contract or the
    rule book's governor, named as ``"RuleBook.GOVERNOR_ROLE"``."""
    account = checksum(address)
    held = []
    for label, contract in (("RuleBook", system.rule_book), ("CreditLedger", system.ledger)):
        for role in ("DEFAULT_ADMIN_ROLE", "GOVERNOR_ROLE"):
            if role not in abi_role_names(contract.abi):
                continue
            if contract.functions.hasRole(role_id(role), account).call():
                held.append(f"{label}.{role}")
    return held


class RoleCache:
    """Roles by (ledger, account), each entry kept ``ttl_seconds`` (thread-safe).

    The clock is injectable so tests can expire entries without sleeping.
    """

    def __init__(
        self,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}

    def roles_of(self, system: System, address: str) -> frozenset[str]:
        """Cached :func:`read_roles` (the chain is read again once the entry is older than TTL)."""
        key = (str(system.ledger.address), checksum(address))
        now = self._clock()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self.ttl_seconds:
            return hit[1]
        roles = read_roles(system, key[1])  # outside the lock: chain reads may be slow
        with self._lock:
            if len(self._entries) > 100_000:  # bound memory against address spraying
                self._entries.clear()
            self._entries[key] = (now, roles)
        return roles

    def invalidate(self, address: str | None = None) -> None:
        """Forget one account's roles, or every account's."""
        with self._lock:
            if address is None:
                self._entries.clear()
                return
            target = checksum(address)
            for key in [k for k in self._entries if k[1] == target]:
                del self._entries[key]


_DEFAULT_CACHE = RoleCache()


def roles_of(system: System, address: str, cache: RoleCache | None = None) -> frozenset[str]:
    """The roles of ``address`` on ``system``, through ``cache`` (a process-wide one by default)."""
    return (cache or _DEFAULT_CACHE).roles_of(system, address)
