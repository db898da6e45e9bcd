"""A verifier worker with a bug (test double): its replay inflates one resident's credit by one.

Run as ``python tests/verify/faulty_worker.py verify run ...``: the ``credit`` CLI with the epoch
state computation patched, so it commits and reveals a wrong root exactly as an honest worker would.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

import credit.verify.replay as replay_module
from credit.cli import main

_honest = replay_module.epoch_state


def _off_by_one(*args: Any, **kwargs: Any) -> Any:
    state = _honest(*args, **kwargs)
    first, *rest = state.residents
    return replace(state, residents=(replace(first, credit=first.credit + 1), *rest))


replay_module.epoch_state = _off_by_one

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
