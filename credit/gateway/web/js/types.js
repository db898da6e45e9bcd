// @ts-check
// The shapes the page's modules share: the app state every view receives, the gateway's config.
// Types only (JSDoc for the type checker, `make lint`); nothing here runs.

/**
 * ``GET /v1/config``: the ledger's network, contracts, rule set and token (more fields are read
 * by the views that need them).
 * @typedef {{
 *   chain_id: number,
 *   network: string,
 *   wallet_rpc_urls?: string[],
 *   contracts: Record<string, string>,
 *   rules: {label: string, hash: string, categories: any[], [key: string]: any},
 *   epoch: {genesis: number, length_seconds: number},
 *   eip712: {types: Record<string, {name: string, type: string}[]>, domain: object},
 *   token: {symbol: string, decimals: number},
 *   [key: string]: any,
 * }} Config
 */

/** An object of the gateway's JSON answers that this page does not describe field by field.
 * @typedef {Record<string, any>} Json
 */

/** A signed-in session: the token, the EIP-55 address and the on-chain roles.
 * @typedef {{token: string, address: string, roles: string[]}} Session
 */

/** The message banner's text: a function follows a language switch.
 * @typedef {string | (() => string)} Message
 */

/**
 * The page's state and the helpers every view is handed as ``app``. Views keep their own state
 * on it too (``summary``, ``queue``, ``detail``, …), hence the index signature.
 * @typedef {{
 *   config: Config | null,
 *   api: import("./api.js").Api,
 *   wallets: import("./wallet.js").WalletDetail[],
 *   wallet: import("./wallet.js").Wallet | null,
 *   account: string | null,
 *   chainId: number | null,
 *   session: Session | null,
 *   view: string | null,
 *   stream: {close(): void} | null,
 *   tracker?: {load(): void, stop(): void, render(): void, add(status: any): void},
 *   message?: {message: Message, kind: string},
 *   publicPage?: any,
 *   say: (message: Message, kind?: string) => void,
 *   fail: (err: unknown) => void,
 *   sign: <T>(request: () => Promise<T>) => Promise<T | null>,
 *   signData: (typed: object) => Promise<string | null>,
 *   refreshSoon: (delay?: number) => void,
 *   [key: string]: any,
 * }} App
 */

export {};
