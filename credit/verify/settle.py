"""Settling a verified epoch: finalising its root, then crediting its winners page by page.

Anyone may do either (a resident's worker after revealing, or ``credit verify settle``); the
contract checks every page and pays each winner once. Decisions:

- The root is final as soon as ``finalize`` runs; crediting never holds it up.
- Pages list only winners the chain reports unsettled (``unsettledWinners``), at most the
  contract's ``creditPageLimit`` each; a page is chosen starting from one that depends on the
  sender's address, so residents settling the same epoch at once rarely push the same page.
- A page someone else settled first (``VerifierAlreadySettled``) is re-planned from the chain;
  every retry follows a settlement, so the loop ends.
- A closed credit window or a refusal by the ledger (e.g. the rules retired the category) ends the
  crediting with a note: the root stands, and nobody's credit was lost to the refused page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from credit.chain.verifier import Outcome, VerifierClient
from credit.errors import ContractRevert


@dataclass
class Settlement:
    """What one settling run did for an epoch (JSON-safe)."""

    epoch: int
    finalized_by_me: bool = False
    outcome: str = Outcome.OPEN.name
    final_root: str | None = None
    pages_pushed: int = 0
    credited_by_me: int = 0
    unsettled: int = 0
    notes: list[str] = field(default_factory=list)


def settle_epoch(
    client: VerifierClient, epoch: int, *, say: Callable[[str], None] = lambda _msg: None
) -> Settlement:
    """Finalise ``epoch`` if nobody has, then push crediting pages until every winner is settled.

    Call it after the reveal window closed (``windows(epoch).reveal_closes``).
    """
    done = Settlement(epoch)
    tally = client.tally(epoch)
    if tally.outcome is Outcome.OPEN:
        try:
            client.finalize(epoch)
        except ContractRevert as exc:
            if exc.name != "VerifierAlreadyFinalized":  # another resident was quicker: fine
                raise
            done.notes.append("finalised by someone else first")
        else:
            done.finalized_by_me = True
            say(f"finalised epoch {epoch}")
        tally = client.tally(epoch)
    done.outcome = tally.outcome.name
    if tally.outcome is not Outcome.FINALIZED:
        return done
    done.final_root = "0x" + tally.root.hex()
    if tally.unsettled:
        _credit(client, epoch, done, say)
    done.unsettled = client.tally(epoch).unsettled
    return done


def _credit(
    client: VerifierClient, epoch: int, done: Settlement, say: Callable[[str], None]
) -> None:
    closes = client.windows(epoch).credit_closes
    if client.now() >= closes:
        done.notes.append(f"the credit window closed at {closes}: the root stands unpaid")
        return
    limit = client.page_limit()
    owed = client.unsettled_winners(epoch, client.winners(epoch))
    while owed:
        pages = [owed[k : k + limit] for k in range(0, len(owed), limit)]
        page = pages[int(client.resident, 16) % len(pages)]
        try:
            receipt = client.credit_winners(epoch, page)
        except ContractRevert as exc:
            if exc.name == "VerifierAlreadySettled":  # a page pushed by someone else: re-plan
                owed = client.unsettled_winners(epoch, owed)
                continue
            if exc.name == "VerifierCreditWindowClosed":
                done.notes.append(f"the credit window closed at {closes}: the rest stands unpaid")
            else:
                done.notes.append(f"the ledger refused to credit a page: {exc}")
            return
        credited = client.credited_in(receipt)
        done.pages_pushed += 1
        done.credited_by_me += credited
        say(f"credited {credited} verifiers of epoch {epoch} ({len(page)} settled)")
        settled = set(page)
        owed = [a for a in owed if a not in settled]
