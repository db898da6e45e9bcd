"""Crash-test child: sends transfers on a persistent chain and acknowledges each one."""

from __future__ import annotations

import sys
from pathlib import Path

from credit.chain import embedded_web3

SINK = "0x000000000000000000000000000000000000dEaD"

if __name__ == "__main__":
    w3 = embedded_web3(path=Path(sys.argv[1]))
    print(f"start {w3.eth.get_balance(SINK)}", flush=True)
    for _ in range(int(sys.argv[2])):
        w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": SINK, "value": 1})
        print(f"ack {w3.eth.get_balance(SINK)}", flush=True)
