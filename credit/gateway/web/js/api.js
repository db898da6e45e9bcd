// The gateway's HTTP API: JSON in and out, its error envelope, and outage detection.
// A request that cannot reach the gateway at all (network error, proxy 502/504) marks it
// unreachable; a probe of /v1/health every few seconds notices when it is back.

export class ApiProblem extends Error {
  /** An error answer: ``status`` 0 means the gateway could not be reached. */
  constructor(status, code, message, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const PROBE_MS = 2000;

export class Api {
  constructor({ onOffline = () => {}, onOnline = () => {}, base = "" } = {}) {
    this.base = base;
    this.token = null;
    this.offline = false;
    this.onOffline = onOffline;
    this.onOnline = onOnline;
    this._probe = null;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, json) {
    return this.request("POST", path, { json });
  }

  /** Send a request; resolves to the JSON answer (null for 204), rejects with ApiProblem. */
  async request(method, path, { json, body, contentType } = {}) {
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
      throw new ApiProblem(0, "unreachable", String(err && err.message ? err.message : err));
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
    clearInterval(this._probe);
    this._probe = null;
    this.onOnline();
  }
}
