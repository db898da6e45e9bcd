// @ts-check
// A tiny DOM builder: h("p", {class: "x"}, "text", child) — text is always set as text, never HTML.

/** @typedef {Node | string | number | boolean | null | undefined | Child[]} Child */

/**
 * Create an element with attributes (``on*`` functions become listeners) and children.
 * SVG elements are typed as HTML elements: the page only sets their attributes and children.
 * @template {string} K
 * @param {K} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...Child} children
 * @returns {K extends keyof HTMLElementTagNameMap ? HTMLElementTagNameMap[K] : HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = /** @type {HTMLElement} */ (tag === "svg" || SVG_TAGS.has(tag)
    ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag));
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return /** @type {any} */ (el);
}

const SVG_TAGS = new Set(["path", "line", "circle", "text", "g", "title", "desc", "rect", "polyline"]);

/**
 * @param {Element} el
 * @param {Child[]} children
 */
function append(el, children) {
  for (const child of /** @type {unknown[]} */ (children).flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replace the children of ``el``.
 * @template {Element} E
 * @param {E} el
 * @param {...Child} children
 * @returns {E}
 */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * The element with ``id``, of class ``kind`` (throws if the page lacks it or it is another
 * kind of element: a bug, not a user error).
 * @template {HTMLElement} [E=HTMLElement]
 * @param {string} id
 * @param {new () => E} [kind] e.g. ``HTMLInputElement``
 * @returns {E}
 */
export function byId(id, kind) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  if (!(el instanceof (kind || HTMLElement))) throw new Error(`#${id} is a ${el.tagName}, not a ${kind && kind.name}`);
  return /** @type {E} */ (el);
}

/**
 * The elements matching ``selector`` under ``root`` (all HTML elements, e.g. buttons).
 * @template {HTMLElement} [E=HTMLElement]
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {E[]}
 */
export function all(selector, root = document) {
  return /** @type {E[]} */ ([...root.querySelectorAll(selector)]);
}
