// @ts-check
// The resident web client: wallet, sign-in, and the four views. No framework, no build step.
import { Api } from "./api.js";
import { Wallet, discoverWallets, isRejection } from "./wallet.js";
import { siweMessage } from "./siwe.js";
import { all, byId } from "./dom.js";
import { t, setLang, initialLang } from "./i18n.js";
import { short, utf8Hex } from "./format.js";
import { ClaimTracker } from "./claims.js";
import { OFFICIAL_ROLES, kindsFor } from "./typed.js";
import { loadHome, renderHome } from "./views/home.js";
import { mountClaim, renderClaimForm } from "./views/claim.js";
import { mountConfirm, loadQueue, renderKinds, renderQueue } from "./views/confirm.js";
import { loadRewards, renderRewards } from "./views/rewards.js";
import { mountReport, loadReport, renderReport, isOfficial } from "./views/report.js";
import { linkedClaim, openLinkedClaim, renderClaimDetail } from "./views/claim_detail.js";
import { loadAccessLog, renderAccessLog } from "./views/evidence_log.js";
import { loadInbox, renderInbox } from "./views/arbiter.js";
import { loadVerify, renderVerify } from "./views/verify.js";
import { loadRoleNotices, renderRoleNotices, clearRoleNotices, wantsRoleNotices } from "./views/role_notices.js";
import { publicRoute, openPublic, closePublic, renderPublic } from "./views/public.js";
import { rememberedWallet, rememberWallet, renderChooser } from "./views/wallets.js";

const REFRESH_MS = 5000;
const VIEWS = ["home", "claim", "confirm", "report", "rewards", "arbiter", "verify"];
const VERIFY_ROUTE = "#/verify";
/** @typedef {import("./types.js").App} App */
/** @typedef {import("./types.js").Message} Message */
/** @typedef {import("./wallet.js").WalletDetail} WalletDetail */

/** @type {Record<string, (app: App) => Promise<unknown>>} */
const LOADERS = {
  home: (a) => Promise.all([loadHome(a), loadAccessLog(a)]),
  claim: async (a) => a.tracker && a.tracker.render(),
  confirm: loadQueue,
  report: loadReport,
  rewards: loadRewards,
  arbiter: loadInbox,
  verify: loadVerify,
};

/** @type {App} */
const app = {
  config: null,
  api: new Api({ onOffline: () => (byId("offline").hidden = false), onOnline: () => recover() }),
  wallets: [], // every wallet found (EIP-6963 announcements, else window.ethereum)
  wallet: null, // the one in use
  account: null, // lower case, as the wallet reports it
  chainId: null,
  session: null, // {token, address (EIP-55), roles}
  view: null,
  summary: null,
  notices: null,
  queue: null,
  rewards: null,
  stream: null,
  say,
  fail,
  sign,
  signData,
  refreshSoon,
};
/** @type {any} */ (window).creditApp = app; // for debugging in the browser console

// ------------------------------------------------------------------ messages
/**
 * Show a message; pass a function (() => t(...)) so that it follows a language switch.
 * @param {Message} message
 * @param {string} [kind] info, success, error
 */
function say(message, kind = "info") {
  app.message = { message, kind };
  const box = byId("message");
  box.textContent = typeof message === "function" ? message() : message;
  box.className = `banner banner-${kind}`;
  box.hidden = false;
}

function clearMessage() {
  byId("message").hidden = true;
}

/**
 * Show what went wrong, calmly: a declined signature is a choice, not an error.
 * @param {any} err
 */
function fail(err) {
  if (isRejection(err)) say(() => t("msg.rejected"), "info");
  else if (err && err.status === 0) say(() => t("msg.unreachable"), "error");
  else if (err && err.status === 401 && app.session) {
    signOutLocal();
    say(() => t("auth.sessionExpired"), "info");
  } else say(() => t("msg.failed", { reason: (err && err.message) || String(err) }), "error");
}

/**
 * Run a wallet signature request; null (with a calm message) if declined or on the wrong chain.
 * @template T
 * @param {() => Promise<T>} request
 * @returns {Promise<T | null>}
 */
async function sign(request) {
  if (!checkChain()) {
    say(wrongChainText, "info");
    return null;
  }
  try {
    return await request();
  } catch (err) {
    if (isRejection(err)) {
      say(() => t("msg.rejected"), "info");
      return null;
    }
    throw err;
  }
}

/**
 * The wallet's EIP-712 signature of ``typed`` (a full typed-data object); null as ``sign``.
 * @param {object} typed
 * @returns {Promise<string | null>}
 */
function signData(typed) {
  const { wallet, account } = app;
  if (!wallet || !account) throw new Error("connect a wallet first"); // views sign when signed in
  return sign(() => wallet.signTypedData(account, typed));
}

// ------------------------------------------------------------------ chain and wallet
function wrongChainText() {
  const config = /** @type {import("./types.js").Config} */ (app.config); // set before a chain can be wrong
  return t("chain.wrong", { have: app.chainId, want: config.chain_id, name: config.network });
}

/** Whether the wallet is on the ledger's chain; shows or hides the switch banner. */
function checkChain() {
  const wrong = Boolean(app.config && app.account && app.chainId !== null && app.chainId !== app.config.chain_id);
  byId("wrongchain").hidden = !wrong;
  if (wrong) byId("wrongchain-text").textContent = wrongChainText();
  updateWelcome();
  return !wrong;
}

function updateWelcome() {
  const connected = byId("connected-as");
  connected.hidden = !app.account;
  if (app.account) connected.textContent = t("wallet.connectedAs", { address: short(app.account, 8) });
  const chainOk = app.config && app.chainId === app.config.chain_id;
  byId("signin", HTMLButtonElement).disabled = !(app.account && chainOk);
  byId("connect", HTMLButtonElement).disabled = !app.wallet;
}

async function connect() {
  clearMessage();
  const wallet = app.wallet;
  if (!wallet) return; // the button is disabled until there is one
  try {
    app.account = await wallet.connect();
    app.chainId = await wallet.chainId();
    if (checkChain()) byId("signin", HTMLButtonElement).focus();
    else byId("switch-chain", HTMLButtonElement).focus();
  } catch (err) {
    fail(err);
  }
}

async function switchChain() {
  try {
    const wallet = app.wallet;
    if (!wallet || !app.config) return; // no banner without both
    await wallet.switchTo(app.config);
    onChain("0x" + (await wallet.chainId()).toString(16));
  } catch (err) {
    fail(err);
  }
}

function onChain(/** @type {string} */ hex) {
  const before = app.chainId;
  app.chainId = Number.parseInt(hex, 16);
  if (checkChain() && before !== null && before !== app.chainId && app.account) say(() => t("chain.switched"), "success");
}

async function onAccounts(/** @type {string[]} */ accounts) {
  const next = accounts && accounts.length ? String(accounts[0]).toLowerCase() : null;
  if (next === app.account) return;
  app.account = next;
  if (app.session && app.session.address.toLowerCase() !== next) {
    app.api.request("POST", "/v1/auth/logout").catch(() => {}); // the old account's session ends
    signOutLocal();
    say(() => (next ? t("auth.accountChanged") : t("auth.disconnected")), "info");
  }
  updateWelcome();
  if (next && !app.session) await resume();
}

/** Show the wallets found; use the only one, or the one chosen here last time. */
function offerWallets(/** @type {WalletDetail[]} */ wallets) {
  app.wallets = wallets;
  byId("no-wallet").hidden = wallets.length > 0;
  if (!app.wallet) {
    const remembered = rememberedWallet();
    const pick = wallets.length === 1 ? wallets[0] : wallets.find((/** @type {WalletDetail} */ w) => w.info.rdns && w.info.rdns === remembered);
    if (pick) useWallet(pick);
  }
  renderChooser(wallets, chosenWallet(), chooseWallet);
  updateWelcome();
}

function chosenWallet() {
  return app.wallets.find((w) => app.wallet && w.provider === app.wallet.provider) || null;
}

/** The person picked a wallet in the chooser: connect with it from now on. */
function chooseWallet(/** @type {WalletDetail} */ detail) {
  clearMessage();
  useWallet(detail);
  rememberWallet(detail.info.rdns);
  checkChain();
}

/** Use ``detail``'s wallet; events of the others are ignored from now on. */
function useWallet(/** @type {WalletDetail} */ detail) {
  if (app.wallet && app.wallet.provider === detail.provider) return;
  const wallet = new Wallet(detail.provider, detail.info);
  Object.assign(app, { wallet, account: null, chainId: null });
  wallet.on("accountsChanged", (accounts) => app.wallet === wallet && onAccounts(accounts));
  wallet.on("chainChanged", (hex) => app.wallet === wallet && onChain(hex));
}

// ------------------------------------------------------------------ sign-in
async function signIn() {
  clearMessage();
  const { wallet, account } = app;
  if (!checkChain() || !wallet || !account) return;
  const button = byId("signin", HTMLButtonElement);
  button.disabled = true;
  try {
    const nonce = await app.api.post("/v1/auth/nonce", { address: app.account });
    const message = siweMessage(nonce, account);
    say(() => t("auth.signingIn"), "info");
    const signature = await sign(() => wallet.personalSign(account, utf8Hex(message)));
    if (!signature) return;
    const out = await app.api.post("/v1/auth/login", { message, signature });
    startSession({ token: out.token, address: out.address, roles: out.roles });
    focusMain();
    say(() => t("auth.signedIn"), "success");
  } catch (err) {
    fail(err);
  } finally {
    updateWelcome();
  }
}

function sessionKey(/** @type {string | null} */ account) {
  return `cc.session.${account}`;
}

/** Continue a session of this tab for the connected account, if the gateway still knows it. */
async function resume() {
  const token = sessionStorage.getItem(sessionKey(app.account));
  if (!token) return;
  app.api.token = token;
  try {
    const me = await app.api.get("/v1/auth/me");
    startSession({ token, address: me.address, roles: me.roles });
  } catch {
    app.api.token = null;
    sessionStorage.removeItem(sessionKey(app.account));
  }
}

function startSession(/** @type {import('./types.js').Session} */ session) {
  app.session = session;
  app.api.token = session.token;
  sessionStorage.setItem(sessionKey(app.account), session.token);
  byId("view-welcome").hidden = true;
  byId("nav").hidden = false;
  byId("signout", HTMLButtonElement).hidden = false;
  renderWho();
  byId("nav-report", HTMLButtonElement).hidden = !isOfficial(app); // officials report
  app.tracker = new ClaimTracker(app);
  app.tracker.load();
  startStream(session.address);
  showNav(session.roles);
  const linked = linkedClaim(); // a shared link opened before signing in: show its claim now
  if (linked) showView("confirm").then(() => openLinkedClaim(app)).catch((err) => fail(err));
  else if (publicRoute()) openPublic(app); // a public page stays open; the nav leads back
  else showView(window.location.hash === VERIFY_ROUTE ? "verify" : landingView(session.roles));
}

/** Arbiters decide appeals (and confirm nothing); only those who may confirm see "Confirm". */
function showNav(/** @type {string[]} */ roles) {
  /** @type {Record<string, boolean>} */
  const shown = { arbiter: roles.includes("ARBITER"), confirm: kindsFor(roles).length > 0, verify: roles.includes("RESIDENT") };
  for (const b of all("#nav button")) {
    const view = b.dataset.view || "";
    if (view in shown) b.hidden = !shown[view];
  }
}

/** Where a role lands after sign-in: arbiters on their inbox, other officials on confirming. */
function landingView(/** @type {string[]} */ roles) {
  if (roles.includes("ARBITER")) return "arbiter";
  const official = roles.some((/** @type {string} */ r) => OFFICIAL_ROLES.includes(r));
  return official && !roles.includes("RESIDENT") ? "confirm" : "home";
}

/** Keyboard focus to the main content: the current view's heading (after signing in). */
function focusMain() {
  const view = app.view && document.getElementById(`view-${app.view}`);
  const heading = view ? view.querySelector("h1") : null;
  const target = heading || byId("main");
  if (heading) heading.tabIndex = -1;
  target.focus();
}

function renderWho() {
  const who = byId("who");
  who.hidden = !app.session;
  if (!app.session) return;
  const roles = app.session.roles.filter((r) => t(`role.${r}`) !== `role.${r}`).map((r) => t(`role.${r}`));
  who.textContent = `${short(app.session.address, 6)}${roles.length ? " · " + roles.join(", ") : ""}`;
  who.title = app.session.address;
}

async function signOut() {
  try {
    await app.api.request("POST", "/v1/auth/logout");
  } catch {
    /* the session ends here either way */
  }
  signOutLocal();
}

function signOutLocal() {
  if (app.account) sessionStorage.removeItem(sessionKey(app.account));
  if (app.session) sessionStorage.removeItem(sessionKey(app.session.address.toLowerCase()));
  if (app.stream) app.stream.close();
  if (app.tracker) app.tracker.stop();
  Object.assign(app, {
    session: null,
    stream: null,
    summary: null,
    notices: null,
    queue: null,
    rewards: null,
    view: null,
    lastClaim: null,
    lastReport: null,
    detail: null,
    inbox: null,
    outcomes: null,
    accessLog: null,
    verify: null,
  });
  byId("report-result").replaceChildren();
  byId("claim-result").replaceChildren();
  byId("claim-detail").hidden = true;
  byId("access-log-section").hidden = true;
  clearRoleNotices(app);
  app.api.token = null;
  for (const v of VIEWS) byId(`view-${v}`).hidden = true;
  byId("view-welcome").hidden = Boolean(app.publicPage);
  byId("nav").hidden = true;
  byId("signout", HTMLButtonElement).hidden = true;
  renderWho();
  updateWelcome();
}

/** Follow the resident's notice stream; ``body[data-notice-stream]`` says how it is doing and
 *  ``body[data-notices-streamed]`` counts the notices it brought. */
/** @param {string} address the signed-in account */
function startStream(address) {
  let streamed = 0;
  const onNotice = (/** @type {string} */ type) => {
    if (type !== "notice") return;
    document.body.dataset.noticesStreamed = String(++streamed);
    if (app.view === "home") refreshSoon(100);
  };
  const onState = (/** @type {string} */ state) => (document.body.dataset.noticeStream = state);
  app.stream = app.api.stream(`/v1/residents/${address}/notices/stream`, onNotice, { onState });
}

// ------------------------------------------------------------------ views
async function showView(/** @type {string} */ name) {
  clearMessage();
  if (app.publicPage) leavePublic();
  app.view = name;
  if ((name === "verify") !== (window.location.hash === VERIFY_ROUTE)) {
    history.replaceState(null, "", name === "verify" ? VERIFY_ROUTE : window.location.pathname + window.location.search);
  }
  for (const v of VIEWS) byId(`view-${v}`).hidden = v !== name;
  for (const b of all("#nav button")) {
    if (b.dataset.view === name) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  renderRoleNotices(app, { list: false });
  await refresh();
}

async function refresh() {
  if (!app.session || !app.view || app.api.offline) return;
  await Promise.all([
    LOADERS[app.view](app),
    wantsRoleNotices(app) ? loadRoleNotices(app) : null,
  ].map((p) => Promise.resolve(p).catch((err) => err.status !== 0 && fail(err))));
}

/** Close the public page and take its route out of the address bar (Back returns to it). */
function leavePublic() {
  closePublic(app);
  if (publicRoute()) history.pushState(null, "", window.location.pathname + window.location.search);
}

/** The address bar changed: open the public page it names, or go back to where one was. */
function onPublicRoute() {
  if (publicRoute()) return openPublic(app).catch((err) => fail(err));
  if (!app.publicPage) return null;
  closePublic(app);
  if (app.session) return showView(app.view || landingView(app.session.roles));
  byId("view-welcome").hidden = false;
  return null;
}

function refreshSoon(delay = 400) {
  setTimeout(refresh, delay);
  setTimeout(refresh, delay + 1200); // the index may trail the relay by a moment
}

function rerender() {
  if (app.message && !byId("message").hidden) say(app.message.message, app.message.kind);
  renderWho();
  checkChain();
  if (!app.config) return;
  renderFooter();
  renderClaimForm(app);
  renderPublic(app);
  if (!app.session) return;
  renderHome(app);
  renderKinds(app);
  renderQueue(app);
  renderReport(app);
  renderRewards(app);
  renderClaimDetail(app);
  renderAccessLog(app);
  renderRoleNotices(app);
  renderInbox(app);
  renderVerify(app);
}

function renderFooter() {
  const c = app.config;
  if (!c) return;
  byId("footer-rules").textContent = t("footer.rules", {
    label: c.rules.label,
    hash: short(c.rules.hash, 8),
    ledger: short(c.contracts.CreditLedger, 6),
    network: c.network,
  });
}

// ------------------------------------------------------------------ start
async function loadConfig() {
  try {
    app.config = await app.api.get("/v1/config");
  } catch {
    return false; // the offline banner is up; recover() tries again
  }
  renderFooter();
  renderClaimForm(app);
  checkChain();
  return true;
}

async function recover() {
  byId("offline").hidden = true;
  if (!app.config && (await loadConfig()) && app.account) await resume();
  else await refresh();
}

async function start() {
  setLang(initialLang());
  const langSelect = byId("lang", HTMLSelectElement);
  langSelect.value = initialLang();
  langSelect.addEventListener("change", () => {
    setLang(langSelect.value);
    rerender();
  });
  const found = discoverWallets({ onChange: offerWallets });
  byId("connect", HTMLButtonElement).addEventListener("click", connect);
  byId("signin", HTMLButtonElement).addEventListener("click", signIn);
  byId("signout", HTMLButtonElement).addEventListener("click", signOut);
  byId("switch-chain", HTMLButtonElement).addEventListener("click", switchChain);
  for (const b of all("#nav button")) b.addEventListener("click", () => showView(b.dataset.view || "home"));
  mountClaim(app);
  mountConfirm(app);
  mountReport(app);
  window.addEventListener("hashchange", () => {
    if (app.session && linkedClaim()) showView("confirm").then(() => openLinkedClaim(app)).catch((err) => fail(err));
    else if (app.session && window.location.hash === VERIFY_ROUTE && app.view !== "verify") showView("verify");
    else onPublicRoute();
  });
  if (linkedClaim()) say(() => t("detail.signInFirst"), "info");
  updateWelcome();
  await loadConfig();
  if (app.config && publicRoute()) await openPublic(app);
  await found; // offerWallets has seen them
  if (app.wallet) {
    try {
      app.account = await app.wallet.current();
      if (app.account) app.chainId = await app.wallet.chainId();
    } catch {
      app.account = null;
    }
    checkChain();
    if (app.account && app.config) await resume();
  }
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let resized;
  window.addEventListener("resize", () => {
    clearTimeout(resized);
    resized = setTimeout(() => app.view === "home" && renderHome(app, { notices: false }), 150);
  });
  setInterval(() => {
    if (document.visibilityState === "visible") refresh();
  }, REFRESH_MS);
  document.body.dataset.ready = "true";
}

start();
