// @ts-check
// A standard Ethereum JSON-RPC client over HTTP (fetch): hex quantities in and out, batches
// where the endpoint takes them (one request at a time where it does not), and a pause when it
// answers 429 (for as long as its Retry-After says).

/**
 * The text of an error (``err.message``, else the value itself).
 * @param {unknown} err
 * @returns {string}
 */
export function errorText(err) {
  const message = err && /** @type {{message?: unknown}} */ (err).message;
  return String(message || err);
}

export class RpcError extends Error {
  /**
   * @param {string} message
   * @param {number | null} [code] the JSON-RPC error code
   */
  constructor(message, code = null) {
    super(message);
    this.code = code;
  }
}

const MAX_WAITS = 30; // answers 429 in a row before giving up
const MAX_WAIT_SECONDS = 60;
/** @param {number | bigint} n */
const hex = (n) => "0x" + BigInt(n).toString(16);

/**
 * A block header as the replay reads it.
 * @typedef {{number: number, hash: string, timestamp: number}} Header
 */

/**
 * What {@link Chain} needs from a JSON-RPC client.
 * @typedef {object} Rpc
 * @property {(method: string, params: unknown[]) => Promise<any>} send
 * @property {(calls: [string, unknown[]][]) => Promise<any[]>} batch
 */

/** ``send(method, params)`` and ``batch([[method, params], ...])`` against ``url``. */
export class HttpRpc {
  /**
   * @param {string} url
   * @param {{fetchImpl?: typeof fetch, batchSize?: number}} [options]
   */
  constructor(url, { fetchImpl = globalThis.fetch.bind(globalThis), batchSize = 10 } = {}) {
    this.url = url;
    this.fetch = fetchImpl;
    this.batchSize = batchSize;
    this.batches = true; // until the endpoint shows it cannot take them
    this.nextId = 1;
  }

  /**
   * @param {unknown} body
   * @returns {Promise<any>}
   */
  async _post(body) {
    /** @type {Response | undefined} */
    let res;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.fetch(this.url, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body),
        });
      } catch (err) {
        throw new RpcError(`the ledger's node cannot be reached: ${errorText(err)}`);
      }
      if (res.status !== 429 || attempt >= MAX_WAITS) break;
      const asked = Number.parseFloat(res.headers.get("Retry-After") || "");
      const seconds = Math.min(MAX_WAIT_SECONDS, Number.isFinite(asked) && asked >= 0 ? asked : 1);
      await new Promise((done) => setTimeout(done, 1000 * seconds));
    }
    const answered = /** @type {Response} */ (res); // the loop ends with an answer or throws
    const data = await answered.json().catch(() => null);
    if (data === null) throw new RpcError(`the ledger's node answered ${answered.status} without JSON`);
    return data;
  }

  /**
   * @param {any} answer one JSON-RPC answer
   * @returns {any} its result
   */
  static _result(answer) {
    if (answer && answer.error) throw new RpcError(answer.error.message || "JSON-RPC error", answer.error.code);
    if (!answer || !("result" in answer)) throw new RpcError("a JSON-RPC answer without a result");
    return answer.result;
  }

  /**
   * @param {string} method
   * @param {unknown[]} [params]
   * @returns {Promise<any>}
   */
  async send(method, params = []) {
    return HttpRpc._result(await this._post({ jsonrpc: "2.0", id: this.nextId++, method, params }));
  }

  /**
   * The results of ``calls`` in order; a batch the endpoint refuses is sent one by one.
   * @param {[string, unknown[]][]} calls
   * @returns {Promise<any[]>}
   */
  async batch(calls) {
    const out = [];
    for (let k = 0; k < calls.length; k += this.batchSize) {
      const chunk = calls.slice(k, k + this.batchSize);
      if (this.batches && chunk.length > 1) {
        const first = this.nextId;
        this.nextId += chunk.length;
        const answer = await this._post(chunk.map(([method, params], i) => ({ jsonrpc: "2.0", id: first + i, method, params })));
        if (Array.isArray(answer)) {
          const byId = new Map(answer.map((/** @type {any} */ a) => [a.id, a]));
          for (let i = 0; i < chunk.length; i++) out.push(HttpRpc._result(byId.get(first + i)));
          continue;
        }
        this.batches = false;
      }
      for (const [method, params] of chunk) out.push(await this.send(method, params));
    }
    return out;
  }
}

/** What the replay reads from the chain, over any ``rpc`` with send() and batch(). */
export class Chain {
  /** @param {Rpc} rpc */
  constructor(rpc) {
    this.rpc = rpc;
  }

  /** @returns {Promise<number>} */
  async head() {
    return Number(BigInt(await this.rpc.send("eth_blockNumber", [])));
  }

  /**
   * @param {any} block an ``eth_getBlockByNumber`` answer
   * @returns {Header | null}
   */
  static _header(block) {
    if (!block) return null;
    return { number: Number(BigInt(block.number)), hash: block.hash, timestamp: Number(BigInt(block.timestamp)) };
  }

  /**
   * The header of block ``number``, or null when the chain is not that long.
   * @param {number} number
   */
  async header(number) {
    return Chain._header(await this.rpc.send("eth_getBlockByNumber", [hex(number), false]));
  }

  /**
   * The headers of ``numbers`` (null for a missing block), batched.
   * @param {number[]} numbers
   * @returns {Promise<(Header | null)[]>}
   */
  async headers(numbers) {
    const blocks = await this.rpc.batch(numbers.map((n) => ["eth_getBlockByNumber", [hex(n), false]]));
    return blocks.map(Chain._header);
  }

  /**
   * Raw logs of ``addresses`` in blocks ``from..to`` (inclusive).
   * @param {string[]} addresses
   * @param {number} from
   * @param {number} to
   * @returns {Promise<any[]>}
   */
  logs(addresses, from, to) {
    return this.rpc.send("eth_getLogs", [{ fromBlock: hex(from), toBlock: hex(to), address: addresses }]);
  }

  /**
   * ``eth_call`` of ``data`` to ``to`` at the latest block: the 0x hex answer.
   * @param {string} to
   * @param {string} data
   * @returns {Promise<string>}
   */
  call(to, data) {
    return this.rpc.send("eth_call", [{ to, data }, "latest"]);
  }
}
