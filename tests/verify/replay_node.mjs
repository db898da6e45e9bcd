// Runs the browser's replay (credit/gateway/web/js/verify/) under node over a JSON dump of a
// chain, answered as a standard JSON-RPC node would answer it. Used by tests/verify/test_browser_replay.py.
//
//   node tests/verify/replay_node.mjs DUMP.json EPOCH [EPOCH...]   -> {"EPOCH": "0xroot", ...}
//
// The dump: {head, blocks: [{number, hash, timestamp} as hex], logs: [eth_getLogs entries],
// calls: {"to data": "0xresult"}, deployment: {ledger, ruleBook, startBlock}}.

import { readFileSync } from "node:fs";
import { Chain } from "../../credit/gateway/web/js/verify/rpc.js";
import { replayEpoch } from "../../credit/gateway/web/js/verify/replay.js";
import { replayPoseidonEpoch } from "../../credit/gateway/web/js/verify/poseidon_replay.js";

class DumpRpc {
  constructor(dump) {
    this.dump = dump;
    this.blocks = new Map(dump.blocks.map((b) => [Number(BigInt(b.number)), b]));
  }

  async send(method, params) {
    const d = this.dump;
    if (method === "eth_blockNumber") return d.head;
    if (method === "eth_getBlockByNumber") return this.blocks.get(Number(BigInt(params[0]))) || null;
    if (method === "eth_getLogs") {
      const { fromBlock, toBlock, address } = params[0];
      const wanted = new Set(address.map((a) => a.toLowerCase()));
      const [lo, hi] = [Number(BigInt(fromBlock)), Number(BigInt(toBlock))];
      return d.logs.filter((l) => {
        const n = Number(BigInt(l.blockNumber));
        return n >= lo && n <= hi && wanted.has(l.address.toLowerCase());
      });
    }
    if (method === "eth_call") {
      const key = `${params[0].to.toLowerCase()} ${params[0].data.toLowerCase()}`;
      if (!(key in d.calls)) throw new Error(`no recorded answer to eth_call ${key}`);
      return d.calls[key];
    }
    throw new Error(`the dump cannot answer ${method}`);
  }

  async batch(calls) {
    return Promise.all(calls.map(([m, p]) => this.send(m, p)));
  }
}

const [dumpPath, ...epochs] = process.argv.slice(2);
const dump = JSON.parse(readFileSync(dumpPath, "utf8"));
const chain = new Chain(new DumpRpc(dump));
const roots = {};
for (const epoch of epochs) {
  try {
    // with an identity registry in the deployment: the Poseidon root too (tests/zk)
    roots[epoch] = dump.deployment.identityRegistry
      ? await replayPoseidonEpoch(chain, dump.deployment, Number(epoch)).then((r) => ({ root: r.root, poseidonRoot: r.poseidonRoot }))
      : (await replayEpoch(chain, dump.deployment, Number(epoch))).root;
  } catch (err) {
    roots[epoch] = { error: String(err.message || err) };
  }
}
process.stdout.write(JSON.stringify(roots) + "\n");
