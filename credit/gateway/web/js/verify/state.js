// @ts-check
// An epoch's state from the ledger's events: the fold of credit/indexer/fold.py (fold_facts) and
// the state of credit/verify/state.py (epoch_state), restricted to what the state reads. Pure.
//
// For every resident registered at the end of the epoch, in ascending address order:
// - credit: the raw balance moved by credited records, deductions, overturned appeals (which
//   give back what the violation deducted) and materialised expiries, read as zero once lapsed
//   under the expiry of the rule version in force at the epoch's last second;
// - earned: the points credited to them in the epoch.

/** @typedef {import("./events.js").DecodedEvent} DecodedEvent */

/**
 * The ledger's epochs: ``length`` and ``genesis`` in seconds.
 * @typedef {{length: number, genesis: number}} Schedule
 */

/**
 * A published rule version; ``expiryEpochs`` once read from the rule book.
 * @typedef {{version: number, contentHash: string, effectiveAt: number, expiryEpochs?: number}} Version
 */

/**
 * What the state reads from the events (see {@link foldFacts}).
 * @typedef {object} Facts
 * @property {Set<string>} residents registered at the end
 * @property {{resident: string, points: bigint, epoch: number}[]} credits
 * @property {{resident: string, deducted: bigint, status: string}[]} violations
 * @property {{resident: string, amount: bigint}[]} expiries
 * @property {Version[]} published
 */

/** @typedef {{resident: string, credit: bigint, earned: bigint}} Row */

/**
 * The epoch ``timestamp`` falls in (0 before genesis), as Schedule.epoch_at.
 * @param {Schedule} schedule
 * @param {number} timestamp
 */
export function epochAt(schedule, timestamp) {
  return Math.max(0, Math.floor((timestamp - schedule.genesis) / schedule.length));
}

/**
 * The facts the state needs from ``events`` (decoded, in chain order, each with ``blockTime``).
 * Mirrors fold_facts: a deregistration removes a resident until they register again; a violation
 * is keyed by its record id, an appeal filed or resolved only touches a violation already seen.
 * @param {DecodedEvent[]} events
 * @param {Schedule} schedule
 * @returns {Facts}
 */
export function foldFacts(events, schedule) {
  /** @type {Facts["residents"]} */
  const residents = new Set();
  /** @type {Facts["credits"]} */
  const credits = [];
  /** @type {Map<string, Facts["violations"][number]>} record id -> violation */
  const violations = new Map();
  /** @type {Facts["expiries"]} */
  const expiries = [];
  /** @type {Version[]} */
  const published = [];
  for (const e of events) {
    const a = e.args;
    const rid = a.recordId || "";
    switch (e.name) {
      case "ResidentRegistered":
        residents.add(a.resident);
        break;
      case "ResidentDeregistered":
        residents.delete(a.resident);
        break;
      case "RecordCredited":
        credits.push({ resident: a.resident, points: a.points, epoch: epochAt(schedule, Number(e.blockTime)) });
        break;
      case "ViolationRecorded":
        violations.set(rid, { resident: a.resident, deducted: a.deducted, status: "recorded" });
        break;
      case "AppealFiled": {
        const v = violations.get(rid);
        if (v) v.status = "appealed";
        break;
      }
      case "AppealResolved": {
        const v = violations.get(rid);
        if (v) v.status = a.overturned ? "overturned" : "upheld";
        break;
      }
      case "CreditExpired":
        expiries.push({ resident: a.resident, amount: a.amount });
        break;
      case "RuleSetPublished":
        published.push({ version: Number(a.ruleVersion), contentHash: a.contentHash, effectiveAt: Number(a.effectiveAt) });
        break;
      default:
        break;
    }
  }
  return { residents, credits, violations: [...violations.values()], expiries, published };
}

/**
 * Credit expiry (epochs) of the latest version effective at ``atTime``; 0 if none.
 * @param {Version[]} versions
 * @param {number} atTime
 * @returns {number}
 */
export function expiryInForce(versions, atTime) {
  /** @type {Version | null} */
  let best = null;
  for (const v of versions) {
    if (v.effectiveAt <= atTime && (best === null || v.version > best.version)) best = v;
  }
  return best ? best.expiryEpochs || 0 : 0;
}

/**
 * The state of ``epoch``: ``[{resident, credit, earned}]`` (BigInt amounts), ascending address.
 * ``versions`` are ``{version, effectiveAt, expiryEpochs}``; without them nothing lapses.
 * @param {Facts} facts
 * @param {Schedule} schedule
 * @param {number} epoch
 * @param {Version[]} [versions]
 * @returns {Row[]}
 */
export function epochState(facts, schedule, epoch, versions = []) {
  const end = schedule.genesis + (epoch + 1) * schedule.length;
  /** @type {Map<string, bigint>} */
  const balance = new Map();
  /** @type {Map<string, number>} */
  const lastActive = new Map();
  /** @type {Map<string, bigint>} */
  const earned = new Map();
  /** @type {(map: Map<string, bigint>, who: string, amount: bigint) => void} */
  const add = (map, who, amount) => map.set(who, (map.get(who) || 0n) + amount);
  for (const c of facts.credits) {
    add(balance, c.resident, c.points);
    lastActive.set(c.resident, c.epoch);
    if (c.epoch === epoch) add(earned, c.resident, c.points);
  }
  for (const v of facts.violations) {
    if (v.status !== "overturned") add(balance, v.resident, -v.deducted);
  }
  for (const x of facts.expiries) add(balance, x.resident, -x.amount);
  const expiry = expiryInForce(versions, end - 1);
  /** @type {Row[]} */
  const rows = [];
  for (const resident of [...facts.residents].sort(byAddress)) {
    const raw = balance.get(resident) || 0n;
    const lapsed = expiry !== 0 && raw !== 0n && epoch > (lastActive.get(resident) || 0) + expiry;
    rows.push({ resident, credit: lapsed ? 0n : raw, earned: earned.get(resident) || 0n });
  }
  return rows;
}

/**
 * @param {string} a
 * @param {string} b
 */
function byAddress(a, b) {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
