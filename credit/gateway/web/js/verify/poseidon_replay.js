// @ts-check
// The Poseidon credit root of an epoch from the chain, as credit/verify/poseidon_root.py computes
// it: the ledger replay's epoch state (replay.js) plus the identity commitments registered on the
// IdentityRegistry up to the replay's last block; leaves and tree as in poseidon.js.
import { EventCodec } from "./events.js";
import { MAX_CREDIT, poseidonRoot } from "./poseidon.js";
import { PAGE_BLOCKS, logsIn, replayEpoch } from "./replay.js";

/** @typedef {import("./rpc.js").Chain} Chain */
/** @typedef {import("./poseidon.js").Leaf} Leaf */
/**
 * A deployment with its identity registry.
 * @typedef {import("./replay.js").Deployment & {identityRegistry: string}} PoseidonDeployment
 */

export const REGISTRY_EVENTS = [
  {
    name: "IdentityRegistered",
    inputs: [
      { name: "resident", type: "address", indexed: true },
      { name: "commitment", type: "uint256", indexed: false },
    ],
  },
];

/**
 * Commitments registered on `registry` in `start..last`, by lower-case resident address.
 * @param {Chain} chain
 * @param {string} registry
 * @param {number} start
 * @param {number} last
 * @param {number} [pageBlocks]
 * @returns {Promise<Map<string, bigint>>}
 */
export async function commitmentsUpTo(chain, registry, start, last, pageBlocks = PAGE_BLOCKS) {
  const codec = new EventCodec({ [registry.toLowerCase()]: REGISTRY_EVENTS });
  /** @type {Map<string, bigint>} */
  const found = new Map();
  for (let first = start; first <= last; first += pageBlocks) {
    const logs = await logsIn(chain, [registry.toLowerCase()], first, Math.min(first + pageBlocks - 1, last));
    for (const e of codec.decodeAll(logs)) found.set(e.args.resident, e.args.commitment);
  }
  return found;
}

/**
 * The leaves of the residents of `state` with a commitment: credit floored at 0, capped at 2^64-1.
 * @param {import("./state.js").Row[]} state
 * @param {Map<string, bigint>} commitments
 * @returns {Leaf[]}
 */
export function poseidonLeaves(state, commitments) {
  /** @type {Leaf[]} */
  const leaves = [];
  for (const row of state) {
    const commitment = commitments.get(row.resident);
    if (commitment === undefined) continue;
    const credit = row.credit < 0n ? 0n : row.credit > MAX_CREDIT ? MAX_CREDIT : row.credit;
    leaves.push({ commitment, credit });
  }
  return leaves;
}

/**
 * The Poseidon credit tree's leaves and root of an epoch already replayed (replay.js): its state
 * plus the commitments registered up to its last block.
 * @param {Chain} chain
 * @param {{identityRegistry: string, startBlock: number | string}} deployment
 * @param {{cutoff: number | null, state: import("./state.js").Row[]}} replay
 * @returns {Promise<{poseidonRoot: string, leaves: Leaf[]}>}
 */
export async function poseidonOfReplay(chain, deployment, replay) {
  const start = Number(deployment.startBlock);
  const commitments =
    replay.cutoff === null ? new Map() : await commitmentsUpTo(chain, deployment.identityRegistry, start, replay.cutoff);
  const leaves = poseidonLeaves(replay.state, commitments);
  return { poseidonRoot: poseidonRoot(leaves), leaves };
}

/**
 * Replay `epoch` of `{ledger, ruleBook, identityRegistry, startBlock}`: `{epoch, root, poseidonRoot, leaves}`.
 * @param {Chain} chain
 * @param {PoseidonDeployment} deployment
 * @param {number} epoch
 * @param {Parameters<typeof replayEpoch>[3]} [options]
 * @returns {Promise<{epoch: number, root: string, poseidonRoot: string, leaves: Leaf[]}>}
 */
export async function replayPoseidonEpoch(chain, deployment, epoch, options = {}) {
  const replay = await replayEpoch(chain, deployment, epoch, options);
  const { poseidonRoot: root, leaves } = await poseidonOfReplay(chain, deployment, replay);
  return { epoch, root: replay.root, poseidonRoot: root, leaves };
}
