// @ts-check
// The Web Worker of the "Verify the ledger" page: replays one epoch off the page's thread.
// In: {rpcUrl, deployment: {ledger, ruleBook, startBlock, identityRegistry?}, epoch, batchSize?}
// (batchSize: calls per JSON-RPC batch; the gateway's /rpc takes 10, the default). With an
// identity registry (a city running private proofs) the same replay also gives the Poseidon
// credit root (poseidon_replay.js), as `credit verify run` computes it.
// Out: {type: "progress", phase, done, total}, then {type: "done", root, poseidonRoot (null
// without a registry), residents, events, cutoff, seconds} or {type: "error", message}.

import { Chain, HttpRpc, errorText } from "./rpc.js";
import { replayEpoch } from "./replay.js";
import { poseidonOfReplay } from "./poseidon_replay.js";

/** @param {MessageEvent} message */
self.onmessage = async (message) => {
  const { rpcUrl, deployment, epoch, batchSize } = message.data;
  const started = performance.now();
  try {
    const chain = new Chain(new HttpRpc(new URL(rpcUrl, self.location.href).href, batchSize ? { batchSize } : {}));
    const result = await replayEpoch(chain, deployment, Number(epoch), {
      onProgress: (p) => self.postMessage({ type: "progress", ...p }),
    });
    /** @type {string | null} */
    let poseidon = null;
    if (deployment.identityRegistry) {
      self.postMessage({ type: "progress", phase: "poseidon", done: 0, total: 1 });
      poseidon = (await poseidonOfReplay(chain, deployment, result)).poseidonRoot;
    }
    self.postMessage({
      type: "done",
      root: result.root,
      poseidonRoot: poseidon,
      residents: result.residents,
      events: result.events,
      cutoff: result.cutoff,
      seconds: (performance.now() - started) / 1000,
    });
  } catch (err) {
    self.postMessage({ type: "error", message: errorText(err) });
  }
};
