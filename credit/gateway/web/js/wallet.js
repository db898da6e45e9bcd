// An EIP-1193 wallet (window.ethereum): accounts, chain, signatures, and its events.

/** Whether ``err`` means the person declined in their wallet (EIP-1193 code 4001). */
export function isRejection(err) {
  return Boolean(err) && (err.code === 4001 || err.code === "ACTION_REJECTED");
}

/** The wallet error code of ``err``, also when a wallet nests it (e.g. data.originalError). */
function codeOf(err) {
  return err && (err.code ?? (err.data && err.data.originalError && err.data.originalError.code));
}

export class Wallet {
  constructor(provider) {
    this.provider = provider;
  }

  /** The page's injected wallet, or null when there is none. */
  static detect() {
    return window.ethereum ? new Wallet(window.ethereum) : null;
  }

  request(method, params) {
    return this.provider.request(params === undefined ? { method } : { method, params });
  }

  /** Ask the person to connect; the first account (lower case, as wallets give it). */
  async connect() {
    const accounts = await this.request("eth_requestAccounts");
    return accounts && accounts.length ? String(accounts[0]).toLowerCase() : null;
  }

  /** The connected account without prompting (null if none). */
  async current() {
    const accounts = await this.request("eth_accounts");
    return accounts && accounts.length ? String(accounts[0]).toLowerCase() : null;
  }

  async chainId() {
    return Number.parseInt(await this.request("eth_chainId"), 16);
  }

  /** Switch to the ledger's chain; add it first if the wallet does not know it (4902). */
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

  /** EIP-191 signature of ``hexMessage`` (0x-hex of the UTF-8 text). */
  personalSign(account, hexMessage) {
    return this.request("personal_sign", [hexMessage, account]);
  }

  /** EIP-712 signature of a full typed-data object. */
  signTypedData(account, typed) {
    return this.request("eth_signTypedData_v4", [account, JSON.stringify(typed)]);
  }

  on(event, listener) {
    if (typeof this.provider.on === "function") this.provider.on(event, listener);
  }
}
