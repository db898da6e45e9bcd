// @ts-check
// An EIP-1193 wallet: accounts, chain, signatures, and its events. Wallets are found through
// EIP-6963 (each announces itself with a name and an icon, so several can live side by side),
// else through the one that took ``window.ethereum``.

/**
 * What a wallet injects (EIP-1193).
 * @typedef {object} Eip1193Provider
 * @property {(args: {method: string, params?: unknown[] | object}) => Promise<any>} request
 * @property {(event: string, listener: (value: any) => void) => void} [on]
 */

/**
 * How a wallet presents itself (EIP-6963 ``EIP6963ProviderInfo``).
 * @typedef {object} WalletInfo
 * @property {string} uuid a UUIDv4 for this page load
 * @property {string} name
 * @property {string} icon a data URI (shown in an ``img``, never as markup)
 * @property {string} rdns the wallet's reverse DNS name, e.g. ``io.metamask``
 */

/** @typedef {{info: WalletInfo, provider: Eip1193Provider}} WalletDetail */

/**
 * The ledger's network as /v1/config describes it (what switchTo needs).
 * @typedef {object} ChainConfig
 * @property {number} chain_id
 * @property {string} network
 * @property {string[]} [wallet_rpc_urls]
 */

const ANNOUNCE = "eip6963:announceProvider";
const REQUEST = "eip6963:requestProvider";
/** The ``info`` of a wallet found only as ``window.ethereum`` (it did not announce itself). */
export const INJECTED = Object.freeze({ uuid: "injected", name: "Browser wallet", icon: "", rdns: "" });

/**
 * Whether ``err`` means the person declined in their wallet (EIP-1193 code 4001).
 * @param {unknown} err
 */
export function isRejection(err) {
  const code = err && /** @type {{code?: unknown}} */ (err).code;
  return code === 4001 || code === "ACTION_REJECTED";
}

/**
 * The wallet error code of ``err``, also when a wallet nests it (e.g. data.originalError).
 * @param {any} err
 * @returns {unknown}
 */
function codeOf(err) {
  return err && (err.code ?? (err.data && err.data.originalError && err.data.originalError.code));
}

/**
 * Whether an announcement carries what EIP-6963 requires (a page must not trust its shape).
 * @param {any} detail
 * @returns {detail is WalletDetail}
 */
function isDetail(detail) {
  const info = detail && detail.info;
  return Boolean(
    info && typeof info.uuid === "string" && typeof info.name === "string" && typeof info.rdns === "string"
      && detail.provider && typeof detail.provider.request === "function",
  );
}

/**
 * Find the page's wallets: ask with ``eip6963:requestProvider`` and listen for announcements
 * for ``waitMs``; when none announced, ``window.ethereum`` (as {@link INJECTED}), else nothing.
 * ``onChange`` hears that list, and the whole list again whenever a wallet announces itself
 * later (a slow extension).
 * @param {{waitMs?: number, onChange?: (wallets: WalletDetail[]) => void}} [options]
 * @returns {Promise<WalletDetail[]>}
 */
export async function discoverWallets({ waitMs = 100, onChange } = {}) {
  /** @type {Map<string, WalletDetail>} */
  const announced = new Map();
  let settled = false;
  const list = () => {
    if (announced.size) return [...announced.values()];
    const injected = /** @type {{ethereum?: Eip1193Provider}} */ (/** @type {unknown} */ (window)).ethereum;
    return injected ? [{ info: INJECTED, provider: injected }] : [];
  };
  window.addEventListener(ANNOUNCE, (event) => {
    const detail = /** @type {CustomEvent} */ (event).detail;
    if (!isDetail(detail) || announced.has(detail.info.uuid)) return;
    announced.set(detail.info.uuid, { info: Object.freeze({ ...detail.info }), provider: detail.provider });
    if (settled && onChange) onChange(list());
  });
  window.dispatchEvent(new Event(REQUEST));
  await new Promise((done) => setTimeout(done, waitMs));
  settled = true;
  const wallets = list();
  if (onChange) onChange(wallets);
  return wallets;
}

export class Wallet {
  /**
   * @param {Eip1193Provider} provider
   * @param {WalletInfo} [info]
   */
  constructor(provider, info = INJECTED) {
    this.provider = provider;
    this.info = info;
  }

  /**
   * @param {string} method
   * @param {unknown[]} [params]
   * @returns {Promise<any>}
   */
  request(method, params) {
    return this.provider.request(params === undefined ? { method } : { method, params });
  }

  /**
   * Ask the person to connect; the first account (lower case, as wallets give it).
   * @returns {Promise<string | null>}
   */
  async connect() {
    const accounts = await this.request("eth_requestAccounts");
    return accounts && accounts.length ? String(accounts[0]).toLowerCase() : null;
  }

  /**
   * The connected account without prompting (null if none).
   * @returns {Promise<string | null>}
   */
  async current() {
    const accounts = await this.request("eth_accounts");
    return accounts && accounts.length ? String(accounts[0]).toLowerCase() : null;
  }

  /** @returns {Promise<number>} */
  async chainId() {
    return Number.parseInt(await this.request("eth_chainId"), 16);
  }

  /**
   * Switch to the ledger's chain; add it first if the wallet does not know it (4902).
   * @param {ChainConfig} config
   */
  async switchTo(config) {
    const chainId = "0x" + config.chain_id.toString(16);
    try {
      await this.request("wallet_switchEthereumChain", [{ chainId }]);
    } catch (err) {
      if (codeOf(err) !== 4902) throw err;
      await this.request("wallet_addEthereumChain", [
        {
          chainId,
          chainName: `Consensus Credit (${config.network})`,
          nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          rpcUrls: config.wallet_rpc_urls || [],
        },
      ]);
    }
  }

  /**
   * EIP-191 signature of ``hexMessage`` (0x-hex of the UTF-8 text).
   * @param {string} account
   * @param {string} hexMessage
   * @returns {Promise<string>}
   */
  personalSign(account, hexMessage) {
    return this.request("personal_sign", [hexMessage, account]);
  }

  /**
   * EIP-712 signature of a full typed-data object.
   * @param {string} account
   * @param {object} typed
   * @returns {Promise<string>}
   */
  signTypedData(account, typed) {
    return this.request("eth_signTypedData_v4", [account, JSON.stringify(typed)]);
  }

  /**
   * @param {string} event
   * @param {(value: any) => void} listener
   */
  on(event, listener) {
    if (typeof this.provider.on === "function") this.provider.on(event, listener);
  }
}
