// @ts-check
// Replaying an epoch from the chain in the browser (or node), as credit/verify/replay.py does:
// the ledger's and rule book's logs from the deployment's start block up to the epoch's last
// block (the newest block with a timestamp before the epoch's end, found by binary search),
// folded into the epoch's state, whose Merkle root every honest verifier computes alike.

import { keccakText } from "./hash.js";
import { EventCodec, LEDGER_EVENTS, RULE_BOOK_EVENTS } from "./events.js";
import { epochState, foldFacts } from "./state.js";
import { stateRoot } from "./merkle.js";
import { RpcError } from "./rpc.js";

export const PAGE_BLOCKS = 5000; // blocks per eth_getLogs (the gateway's bound)
const IN_FLIGHT = 3; // header batches requested at once
const LIMIT_EXCEEDED = -32005; // EIP-1474: e.g. more logs than the node returns at once
const EPOCH_SCHEDULE = keccakText("epochSchedule()").slice(0, 10);
const RULE_SET = keccakText("ruleSet(uint32)").slice(0, 10);

/** @typedef {import("./rpc.js").Chain} Chain */
/** @typedef {import("./rpc.js").Header} Header */
/** @typedef {import("./events.js").DecodedEvent} DecodedEvent */
/** @typedef {import("./state.js").Version} Version */

/**
 * Where a deployment starts: its two contracts and the block of the first.
 * @typedef {{ledger: string, ruleBook: string, startBlock: number | string}} Deployment
 */

/** @typedef {{phase: string, done: number, total: number}} Progress */

/**
 * @typedef {object} Replayed
 * @property {number} epoch
 * @property {string} root 0x hex
 * @property {number} residents
 * @property {number | null} cutoff the epoch's last block
 * @property {number} events
 * @property {import("./state.js").Row[]} state
 */

export class ReplayError extends Error {}

/** @param {string} data 0x hex: its 32-byte words */
const words = (data) => {
  const h = String(data).replace(/^0x/, "");
  return Array.from({ length: Math.floor(h.length / 64) }, (_, i) => BigInt("0x" + h.slice(64 * i, 64 * i + 64)));
};

/**
 * The ledger's ``(length, genesis)`` in seconds.
 * @param {Chain} chain
 * @param {string} ledger
 * @returns {Promise<import("./state.js").Schedule>}
 */
export async function epochSchedule(chain, ledger) {
  const [length, genesis] = words(await chain.call(ledger, EPOCH_SCHEDULE));
  if (length === undefined || genesis === undefined) throw new ReplayError("the ledger did not answer epochSchedule()");
  return { length: Number(length), genesis: Number(genesis) };
}

/**
 * ``expiryEpochs`` of a published rule version (the second word of ruleSet's terms).
 * @param {Chain} chain
 * @param {string} ruleBook
 * @param {number} version
 */
export async function expiryEpochs(chain, ruleBook, version) {
  const data = RULE_SET + version.toString(16).padStart(64, "0");
  const answer = words(await chain.call(ruleBook, data));
  if (answer.length < 2) throw new ReplayError(`the rule book did not answer ruleSet(${version})`);
  return Number(answer[1]);
}

/**
 * Logs of ``addresses`` in ``first..last``, halving the range while the node says "too many".
 * @param {Chain} chain
 * @param {string[]} addresses
 * @param {number} first
 * @param {number} last
 * @returns {Promise<any[]>}
 */
export async function logsIn(chain, addresses, first, last) {
  try {
    return await chain.logs(addresses, first, last);
  } catch (err) {
    if (!(err instanceof RpcError) || err.code !== LIMIT_EXCEEDED || first === last) throw err;
    const mid = Math.floor((first + last) / 2);
    return [...(await logsIn(chain, addresses, first, mid)), ...(await logsIn(chain, addresses, mid + 1, last))];
  }
}

/**
 * The newest header in ``low..high`` with a time before ``timestamp``, or null.
 * @param {Chain} chain
 * @param {number} timestamp
 * @param {number} low
 * @param {number} high
 * @returns {Promise<Header | null>}
 */
export async function lastBlockBefore(chain, timestamp, low, high) {
  /** @type {Header | null} */
  let found = null;
  while (low <= high) {
    const mid = Math.floor((low + high) / 2);
    const header = await chain.header(mid);
    if (header === null) throw new ReplayError(`block ${mid} vanished during the replay (a reorg?): run it again`);
    if (header.timestamp < timestamp) {
      found = header;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

/**
 * Replay ``epoch`` of the deployment ``{ledger, ruleBook, startBlock}`` over ``chain``.
 * ``onProgress({phase, done, total})`` hears "blocks", "logs", "times", "state" and "root".
 * Resolves to ``{epoch, root, residents, cutoff, events, state}``.
 * @param {Chain} chain
 * @param {Deployment} deployment
 * @param {number} epoch
 * @param {{onProgress?: (progress: Progress) => void, pageBlocks?: number}} [options]
 * @returns {Promise<Replayed>}
 */
export async function replayEpoch(chain, deployment, epoch, { onProgress = () => {}, pageBlocks = PAGE_BLOCKS } = {}) {
  const ledger = deployment.ledger.toLowerCase();
  const ruleBook = deployment.ruleBook.toLowerCase();
  const start = Number(deployment.startBlock);
  const schedule = await epochSchedule(chain, ledger);
  const end = schedule.genesis + (epoch + 1) * schedule.length;
  onProgress({ phase: "blocks", done: 0, total: 1 });
  const head = await chain.header(await chain.head());
  if (head === null || head.timestamp < end) {
    throw new ReplayError(`epoch ${epoch} ends at ${end} but the chain has not passed it yet: wait for the next epoch to start`);
  }
  const cutoff = await lastBlockBefore(chain, end, start, head.number);
  onProgress({ phase: "blocks", done: 1, total: 1 });
  const codec = new EventCodec({ [ledger]: LEDGER_EVENTS, [ruleBook]: RULE_BOOK_EVENTS });
  /** @type {DecodedEvent[]} */
  const events = [];
  if (cutoff !== null) {
    const span = cutoff.number - start + 1;
    /** @type {Map<number, number>} block -> the timestamp its logs carry (blockTimestamp), if given */
    const stamped = new Map();
    for (let first = start; first <= cutoff.number; first += pageBlocks) {
      const last = Math.min(first + pageBlocks - 1, cutoff.number);
      for (const log of await logsIn(chain, [ledger, ruleBook], first, last)) {
        const e = codec.decode(log);
        if (e === null) continue;
        if (log.blockTimestamp !== undefined && log.blockTimestamp !== null) stamped.set(e.blockNumber, Number(BigInt(log.blockTimestamp)));
        events.push(e);
      }
      onProgress({ phase: "logs", done: last - start + 1, total: span });
    }
    events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    const times = new Map([...stamped, [cutoff.number, cutoff.timestamp]]);
    const wanted = [...new Set(events.map((e) => e.blockNumber))].filter((n) => !times.has(n));
    const step = 1000;
    /** @type {number[][]} */
    const chunks = [];
    for (let k = 0; k < wanted.length; k += step) chunks.push(wanted.slice(k, k + step));
    let fetched = 0;
    /** @param {number[]} numbers */
    const fetchChunk = async (numbers) => {
      const headers = await chain.headers(numbers);
      headers.forEach((h, i) => {
        if (h === null) throw new ReplayError(`block ${numbers[i]} vanished (a reorg?): run it again`);
        times.set(numbers[i], h.timestamp);
      });
      fetched += numbers.length;
      onProgress({ phase: "times", done: fetched, total: wanted.length });
    };
    for (let k = 0; k < chunks.length; k += IN_FLIGHT) await Promise.all(chunks.slice(k, k + IN_FLIGHT).map(fetchChunk));
    for (const e of events) e.blockTime = times.get(e.blockNumber);
  }
  onProgress({ phase: "state", done: 0, total: 1 });
  const facts = foldFacts(events, schedule);
  /** @type {Version[]} */
  const versions = [];
  for (const v of facts.published) {
    versions.push({ ...v, expiryEpochs: await expiryEpochs(chain, ruleBook, v.version) });
  }
  const state = epochState(facts, schedule, epoch, versions);
  onProgress({ phase: "root", done: 0, total: 1 });
  const root = stateRoot(state);
  onProgress({ phase: "root", done: 1, total: 1 });
  return { epoch, root, residents: state.length, cutoff: cutoff && cutoff.number, events: events.length, state };
}
