// @ts-check
// EIP-712 payloads for ``eth_signTypedData_v4``, from the domain and types in /v1/config.

const DOMAIN_FIELDS = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];

/**
 * The full typed-data object for ``primaryType`` (Claim, Report, Confirmation, Appeal or Decision).
 * @param {{eip712: {types: Record<string, {name: string, type: string}[]>, domain: object}}} config /v1/config
 * @param {string} primaryType
 * @param {Record<string, unknown>} message
 */
export function typedData(config, primaryType, message) {
  const types = config.eip712.types;
  if (!types[primaryType]) throw new Error(`the gateway does not define ${primaryType}`);
  return {
    types: { EIP712Domain: DOMAIN_FIELDS, [primaryType]: types[primaryType] },
    primaryType,
    domain: config.eip712.domain,
    message,
  };
}

// EvaluatorKind on chain, and the on-chain role (as the gateway names it) that allows each.
export const KINDS = [
  { kind: 0, name: "SUPERIOR", role: "SUPERIOR" },
  { kind: 1, name: "PEER", role: "RESIDENT" },
  { kind: 2, name: "PUBLIC", role: "PUBLIC_PANEL" },
  { kind: 3, name: "EXPERT", role: "EXPERT" },
];
export const OFFICIAL_ROLES = ["SUPERIOR", "PUBLIC_PANEL", "EXPERT"];

/**
 * The evaluator kinds an account with ``roles`` may confirm as (officials first).
 * @param {string[] | null | undefined} roles
 */
export function kindsFor(roles) {
  const held = new Set(roles || []);
  return KINDS.filter((k) => held.has(k.role)).sort((a, b) => Number(a.kind === 1) - Number(b.kind === 1));
}
