// An epoch's state from the ledger's events: the fold of credit/indexer/fold.py (fold_facts) and
// the state of credit/verify/state.py (epoch_state), restricted to what the state reads. Pure.
//
// For every resident registered at the end of the epoch, in ascending address order:
// - credit: the raw balance moved by credited records, deductions, overturned appeals (which
//   give back what the violation deducted) and materialised expiries, read as zero once lapsed
//   under the expiry of the rule version in force at the epoch's last second;
// - earned: the points credited to them in the epoch.

/** The epoch ``timestamp`` falls in (0 before genesis), as Schedule.epoch_at. */
export function epochAt(schedule, timestamp) {
  return Math.max(0, Math.floor((timestamp - schedule.genesis) / schedule.length));
}

/**
 * The facts the state needs from ``events`` (decoded, in chain order, each with ``blockTime``).
 * Mirrors fold_facts: a deregistration removes a resident until they register again; a violation
 * is keyed by its record id, an appeal filed or resolved only touches a violation already seen.
 */
export function foldFacts(events, schedule) {
  const residents = new Set();
  const credits = [];
  const violations = new Map(); // record id -> {resident, deducted, status}
  const expiries = [];
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
        credits.push({ resident: a.resident, points: a.points, epoch: epochAt(schedule, e.blockTime) });
        break;
      case "ViolationRecorded":
        violations.set(rid, { resident: a.resident, deducted: a.deducted, status: "recorded" });
        break;
      case "AppealFiled":
        if (violations.has(rid)) violations.get(rid).status = "appealed";
        break;
      case "AppealResolved":
        if (violations.has(rid)) violations.get(rid).status = a.overturned ? "overturned" : "upheld";
        break;
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

/** Credit expiry (epochs) of the latest version effective at ``atTime``; 0 if none. */
export function expiryInForce(versions, atTime) {
  let best = null;
  for (const v of versions) {
    if (v.effectiveAt <= atTime && (best === null || v.version > best.version)) best = v;
  }
  return best ? best.expiryEpochs : 0;
}

/**
 * The state of ``epoch``: ``[{resident, credit, earned}]`` (BigInt amounts), ascending address.
 * ``versions`` are ``{version, effectiveAt, expiryEpochs}``; without them nothing lapses.
 */
export function epochState(facts, schedule, epoch, versions = []) {
  const end = schedule.genesis + (epoch + 1) * schedule.length;
  const balance = new Map();
  const lastActive = new Map();
  const earned = new Map();
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
  const rows = [];
  for (const resident of [...facts.residents].sort(byAddress)) {
    const raw = balance.get(resident) || 0n;
    const lapsed = expiry !== 0 && raw !== 0n && epoch > (lastActive.get(resident) || 0) + expiry;
    rows.push({ resident, credit: lapsed ? 0n : raw, earned: earned.get(resident) || 0n });
  }
  return rows;
}

function byAddress(a, b) {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
