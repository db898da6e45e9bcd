// @ts-check
// The ledger's and rule book's events the replay folds, decoded from standard JSON-RPC logs as
// credit/chain/events.py decodes them: topic0 is the keccak of the event's signature; logs of
// another address, an unknown topic or a different indexing are dropped; addresses come out in
// lower case, bytes as 0x hex, integers as BigInt, bools as booleans.
// The fragments are copied from the compiled ABIs; tests/verify/test_browser_replay.py holds them equal.

import { fromHex, keccakText } from "./hash.js";

/** @typedef {{name: string, type: string, indexed: boolean}} Input */
/** @typedef {{name: string, inputs: Input[]}} EventAbi */

/**
 * A decoded log: ``args`` by input name (addresses and bytes as 0x hex, integers as BigInt);
 * the replay adds ``blockTime``.
 * @typedef {object} DecodedEvent
 * @property {string} name
 * @property {string} address
 * @property {number} blockNumber
 * @property {number} logIndex
 * @property {string} txHash
 * @property {Record<string, any>} args
 * @property {number} [blockTime]
 */

/** @type {(name: string, type: string, indexed?: boolean) => Input} */
const p = (name, type, indexed = false) => ({ name, type, indexed });

/**
 * Events of CreditLedger the replay needs (the others cannot change an epoch's state).
 * @type {EventAbi[]}
 */
export const LEDGER_EVENTS = [
  { name: "ResidentRegistered", inputs: [p("resident", "address", true)] },
  { name: "ResidentDeregistered", inputs: [p("resident", "address", true)] },
  {
    name: "RecordCredited",
    inputs: [
      p("recordId", "bytes32", true), p("resident", "address", true), p("category", "uint16"),
      p("units", "uint16"), p("points", "uint48"), p("ruleVersion", "uint16"),
    ],
  },
  {
    name: "ViolationRecorded",
    inputs: [
      p("recordId", "bytes32", true), p("resident", "address", true), p("category", "uint16"),
      p("units", "uint16"), p("points", "uint48"), p("deducted", "uint48"), p("ruleVersion", "uint16"),
      p("appealDeadline", "uint48"),
    ],
  },
  {
    name: "AppealFiled",
    inputs: [p("recordId", "bytes32", true), p("resident", "address", true), p("statement", "bytes32")],
  },
  {
    name: "AppealResolved",
    inputs: [
      p("recordId", "bytes32", true), p("arbiter", "address", true), p("overturned", "bool"),
      p("restored", "uint48"), p("reason", "bytes32"),
    ],
  },
  {
    name: "CreditExpired",
    inputs: [p("resident", "address", true), p("amount", "uint48"), p("lastActiveEpoch", "uint24")],
  },
];

/**
 * Events of RuleBook the replay needs.
 * @type {EventAbi[]}
 */
export const RULE_BOOK_EVENTS = [
  {
    name: "RuleSetPublished",
    inputs: [
      p("ruleVersion", "uint32", true), p("contentHash", "bytes32", true), p("effectiveAt", "uint48"),
      p("uri", "string"),
    ],
  },
];

/**
 * ``Name(type,type,...)``: what topic0 hashes.
 * @param {EventAbi} event
 */
export function signature(event) {
  return `${event.name}(${event.inputs.map((i) => i.type).join(",")})`;
}

const DYNAMIC = new Set(["string", "bytes"]);

/**
 * @param {string} data 0x hex
 * @param {number} index
 */
function word(data, index) {
  return data.slice(2 + 64 * index, 2 + 64 * (index + 1));
}

/**
 * One static ABI value from its 64-hex-digit word.
 * @param {string} type
 * @param {string} hex
 * @returns {string | bigint | boolean}
 */
function decodeWord(type, hex) {
  if (hex.length !== 64) throw new Error("a log's data is shorter than its event");
  if (type === "address") return "0x" + hex.slice(24).toLowerCase();
  if (type === "bool") return BigInt("0x" + hex) !== 0n;
  if (type.startsWith("uint")) return BigInt("0x" + hex);
  if (type.startsWith("bytes")) return "0x" + hex.slice(0, 2 * Number(type.slice(5))).toLowerCase();
  throw new Error(`the replay cannot decode ${type}`);
}

/**
 * @param {string} type ``string`` or ``bytes``
 * @param {string} data 0x hex
 * @param {number} headIndex
 */
function decodeDynamic(type, data, headIndex) {
  const offset = Number(BigInt("0x" + word(data, headIndex)));
  const start = 2 + 2 * offset;
  const length = Number(BigInt("0x" + data.slice(start, start + 64)));
  const body = data.slice(start + 64, start + 64 + 2 * length);
  if (body.length !== 2 * length) throw new Error("a log's data is shorter than its event");
  return type === "string" ? new TextDecoder().decode(fromHex(body)) : "0x" + body.toLowerCase();
}

/** Decodes the logs of ``{address: events}`` (addresses in any case). */
export class EventCodec {
  /** @param {Record<string, EventAbi[]>} abis */
  constructor(abis) {
    this.addresses = Object.keys(abis).map((a) => a.toLowerCase()).sort();
    /** @type {Map<string, {event: EventAbi, indexed: Input[], plain: Input[]}>} */
    this._events = new Map();
    for (const [address, events] of Object.entries(abis)) {
      for (const event of events) {
        const indexed = event.inputs.filter((i) => i.indexed);
        const plain = event.inputs.filter((i) => !i.indexed);
        this._events.set(`${address.toLowerCase()} ${keccakText(signature(event))}`, { event, indexed, plain });
      }
    }
  }

  /**
   * ``{name, address, blockNumber, logIndex, txHash, args}`` or null if not one of ours.
   * @param {any} log a JSON-RPC log
   * @returns {DecodedEvent | null}
   */
  decode(log) {
    const address = String(log.address).toLowerCase();
    const topics = (log.topics || []).map((/** @type {unknown} */ t) => String(t).toLowerCase());
    if (!topics.length || !this.addresses.includes(address)) return null;
    const known = this._events.get(`${address} ${topics[0]}`);
    if (!known) return null;
    const { event, indexed, plain } = known;
    if (topics.length !== 1 + indexed.length) return null; // same topic, different indexing
    /** @type {Record<string, any>} */
    const args = {};
    indexed.forEach((input, k) => {
      const topic = topics[k + 1];
      args[input.name] = DYNAMIC.has(input.type) ? topic : decodeWord(input.type, topic.slice(2));
    });
    const data = String(log.data || "0x").toLowerCase();
    plain.forEach((input, k) => {
      args[input.name] = DYNAMIC.has(input.type)
        ? decodeDynamic(input.type, data, k)
        : decodeWord(input.type, word(data, k));
    });
    return {
      name: event.name,
      address,
      blockNumber: Number(BigInt(log.blockNumber)),
      logIndex: Number(BigInt(log.logIndex)),
      txHash: String(log.transactionHash).toLowerCase(),
      args,
    };
  }

  /**
   * Our decoded events among ``logs``, in chain order.
   * @param {any[]} logs
   */
  decodeAll(logs) {
    /** @type {DecodedEvent[]} */
    const found = [];
    for (const log of logs) {
      const e = this.decode(log);
      if (e) found.push(e);
    }
    return found.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  }
}
