// The replay's JSON-RPC client under node against a fake endpoint with the gateway's limits:
// a 429 first (Retry-After: 0), batches of at most 3 calls (a larger one is refused with one
// error object), and "too many logs" (-32005) for a range holding more than 2 logs.
// Prints what the client got and how many POSTs it took. Used by tests/verify/test_browser_replay.py.

import { Chain, HttpRpc } from "../../credit/gateway/web/js/verify/rpc.js";
import { logsIn } from "../../credit/gateway/web/js/verify/replay.js";

const LOGS = [1, 2, 2, 5, 7, 8].map((n, i) => ({ blockNumber: "0x" + n.toString(16), logIndex: "0x" + i.toString(16) }));
let posts = 0;
let limited = false;

function answer({ id, method, params }) {
  if (method === "eth_getBlockByNumber") {
    const n = Number(BigInt(params[0]));
    return { jsonrpc: "2.0", id, result: { number: params[0], hash: "0x" + "ab".repeat(32), timestamp: "0x" + (1000 + n).toString(16) } };
  }
  if (method === "eth_getLogs") {
    const [lo, hi] = [Number(BigInt(params[0].fromBlock)), Number(BigInt(params[0].toBlock))];
    const found = LOGS.filter((l) => Number(BigInt(l.blockNumber)) >= lo && Number(BigInt(l.blockNumber)) <= hi);
    if (found.length > 2) return { jsonrpc: "2.0", id, error: { code: -32005, message: "query returned more than 2 results" } };
    return { jsonrpc: "2.0", id, result: found };
  }
  return { jsonrpc: "2.0", id, error: { code: -32601, message: `${method} is not served` } };
}

async function fakeFetch(url, init) {
  posts++;
  const json = (status, body, headers = {}) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
  if (!limited) {
    limited = true;
    return json(429, { jsonrpc: "2.0", id: null, error: { code: -32005, message: "wait" } }, { "Retry-After": "0" });
  }
  const body = JSON.parse(init.body);
  if (Array.isArray(body)) {
    if (body.length > 3) return json(200, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "batch too large" } });
    return json(200, body.map(answer));
  }
  return json(200, answer(body));
}

const rpc = new HttpRpc("http://fake/rpc", { fetchImpl: fakeFetch, batchSize: 5 });
const chain = new Chain(rpc);
const headers = await chain.headers([1, 2, 3, 4, 5, 6, 7]);
const afterHeaders = posts;
const logs = await logsIn(chain, ["0x" + "11".repeat(20)], 0, 9);
process.stdout.write(
  JSON.stringify({
    times: headers.map((h) => h.timestamp),
    headerPosts: afterHeaders,
    batches: rpc.batches,
    logBlocks: logs.map((l) => Number(BigInt(l.blockNumber))),
  }) + "\n",
);
