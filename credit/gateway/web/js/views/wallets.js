// @ts-check
// The wallet chooser of the welcome page: shown when several wallets announce themselves
// (EIP-6963), each with its own name and icon; the choice is remembered by the wallet's rdns.
import { h, fill, byId } from "../dom.js";

/** @typedef {import("../wallet.js").WalletDetail} WalletDetail */

const STORED = "cc.wallet";

/**
 * The rdns of the wallet chosen last time in this browser (null if none or no storage).
 * @returns {string | null}
 */
export function rememberedWallet() {
  try {
    return localStorage.getItem(STORED);
  } catch {
    return null;
  }
}

/**
 * Remember ``rdns`` as this browser's wallet (a wallet without one is not remembered).
 * @param {string} rdns
 */
export function rememberWallet(rdns) {
  try {
    if (rdns) localStorage.setItem(STORED, rdns);
  } catch {
    /* no storage (private mode): the person chooses again next time */
  }
}

/**
 * Show one radio button per wallet, ``chosen`` checked; hidden for fewer than two wallets.
 * ``onChoose`` hears the wallet the person picks.
 * @param {WalletDetail[]} wallets
 * @param {WalletDetail | null} chosen
 * @param {(wallet: WalletDetail) => void} onChoose
 */
export function renderChooser(wallets, chosen, onChoose) {
  const box = byId("wallet-chooser");
  box.hidden = wallets.length < 2;
  fill(
    byId("wallet-options"),
    wallets.map((wallet) =>
      h(
        "label",
        { class: "chooser-option" },
        h("input", {
          type: "radio",
          name: "wallet",
          value: wallet.info.uuid,
          checked: chosen !== null && chosen.provider === wallet.provider,
          onchange: () => onChoose(wallet),
        }),
        wallet.info.icon ? h("img", { src: wallet.info.icon, alt: "", width: 28, height: 28 }) : null,
        h("span", {}, wallet.info.name),
      ),
    ),
  );
}
