// @ts-check
// The gateway's HTTP API: JSON in and out, its error envelope, and outage detection.
// A request that cannot reach the gateway at all (network error, proxy 502/504) marks it
// unreachable; a probe of /v1/health every few seconds notices when it is back.

/**
 * The text of an error (``err.message``, else the value itself).
 * @param {unknown} err
 * @returns {string}
 */
export function reason(err) {
  const message = err && /** @type {{message?: unknown}} */ (err).message;
  return String(message || err);
}

/**
 * The HTTP status of a failed API call (0: unreachable); null for any other error.
 * @param {unknown} err
 * @returns {number | null}
 */
export function statusOf(err) {
  return err instanceof ApiProblem ? err.status : null;
}

export class ApiProblem extends Error {
  /**
   * An error answer: ``status`` 0 means the gateway could not be reached.
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {unknown} [details]
   */
  constructor(status, code, message, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const PROBE_MS = 2000;
const STREAM_PAUSE_MS = 3000;

/**
 * Call ``onEvent(type, data)`` for each server-sent event of ``body`` until it ends.
 * @param {ReadableStream<any>} body a fetch answer's body
 * @param {(type: string, data: string) => void} onEvent
 */
export async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let type = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) type = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(type, data.join("\n"));
    }
  }
}

export class Api {
  /**
   * @param {{onOffline?: () => void, onOnline?: () => void, base?: string}} [options]
   */
  constructor({ onOffline = () => {}, onOnline = () => {}, base = "" } = {}) {
    this.base = base;
    /** @type {string | null} the session, sent as a bearer token */
    this.token = null;
    this.offline = false;
    this.onOffline = onOffline;
    this.onOnline = onOnline;
    /** @type {ReturnType<typeof setInterval> | null} */
    this._probe = null;
  }

  /**
   * @param {string} path
   * @returns {Promise<any>}
   */
  get(path) {
    return this.request("GET", path);
  }

  /**
   * @param {string} path
   * @param {unknown} [json]
   * @returns {Promise<any>}
   */
  post(path, json) {
    return this.request("POST", path, { json });
  }

  /**
   * Send a request; resolves to the JSON answer (null for 204), rejects with ApiProblem.
   * @param {string} method
   * @param {string} path
   * @param {{json?: unknown, body?: BodyInit, contentType?: string}} [options]
   * @returns {Promise<any>}
   */
  async request(method, path, { json, body, contentType } = {}) {
    /** @type {Record<string, string>} */
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (contentType) {
      headers["Content-Type"] = contentType;
    }
    let res;
    try {
      res = await fetch(this.base + path, { method, headers, body, cache: "no-store" });
    } catch (err) {
      this._down();
      throw new ApiProblem(0, "unreachable", reason(err));
    }
    if (res.status === 502 || res.status === 504) {
      this._down();
      throw new ApiProblem(0, "unreachable", `the gateway's proxy answered ${res.status}`);
    }
    this._up();
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const e = (data && data.error) || {};
      throw new ApiProblem(res.status, e.code || "http_error", e.message || res.statusText, e.details);
    }
    return data;
  }

  /**
   * Follow a server-sent events stream, sending the session in the Authorization header (the
   * browser's EventSource cannot send headers, and a token in the URL would be written to access
   * logs). ``onEvent(type, data)`` is called for each event. When the stream ends or breaks it is
   * opened again after a pause (the answer's Retry-After, if any); a 401 or 403 ends it for good.
   * ``onState`` hears "open", "paused" (reopening soon) and "closed". Returns ``{ close() }``.
   * @param {string} path
   * @param {(type: string, data: string) => void} onEvent
   * @param {{onState?: (state: string) => void, pauseMs?: number}} [options]
   * @returns {{close(): void}}
   */
  stream(path, onEvent, { onState = () => {}, pauseMs = STREAM_PAUSE_MS } = {}) {
    const stop = new AbortController();
    const follow = async () => {
      while (!stop.signal.aborted) {
        let pause = pauseMs;
        try {
          /** @type {Record<string, string>} */
          const headers = { Accept: "text/event-stream" };
          if (this.token) headers.Authorization = `Bearer ${this.token}`;
          const res = await fetch(this.base + path, { headers, cache: "no-store", signal: stop.signal });
          if (res.status === 401 || res.status === 403) break;
          if (res.ok && res.body) {
            onState("open");
            await readEvents(res.body, onEvent);
          } else pause = Math.max(pause, 1000 * Number(res.headers.get("Retry-After") || 0));
        } catch {
          /* the gateway went away or the stream broke: open it again after the pause */
        }
        if (stop.signal.aborted) break;
        onState("paused");
        await /** @type {Promise<void>} */ (new Promise((done) => {
          const timer = setTimeout(done, pause);
          stop.signal.addEventListener("abort", () => (clearTimeout(timer), done()), { once: true });
        }));
      }
      onState("closed");
    };
    follow();
    return { close: () => stop.abort() };
  }

  _down() {
    if (this.offline) return;
    this.offline = true;
    this.onOffline();
    this._probe = setInterval(async () => {
      try {
        const res = await fetch(this.base + "/v1/health", { cache: "no-store" });
        if (res.ok) this._up();
      } catch {
        /* still down: keep probing */
      }
    }, PROBE_MS);
  }

  _up() {
    if (!this.offline) return;
    this.offline = false;
    if (this._probe !== null) clearInterval(this._probe);
    this._probe = null;
    this.onOnline();
  }
}
