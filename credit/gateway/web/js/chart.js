// @ts-check
// The credit-over-time chart: a step line drawn as inline SVG from the resident's records.
import { h } from "./dom.js";
import { day } from "./format.js";

/** @typedef {{t: number, v: number, delta: number, record: any}} Point */

/**
 * Points ``{t, v, delta, record}`` of the balance after each record, in chain order.
 * Credits add their points, violations subtract what was deducted (an overturned violation
 * was restored, so it nets to zero); a lapsed balance drops to zero at the summary's time.
 * @param {{records?: any[], lapsed?: boolean, as_of_time: number}} summary the resident's summary
 * @returns {Point[]}
 */
export function creditSeries(summary) {
  /** @type {Point[]} */
  const points = [];
  let value = 0;
  for (const r of summary.records || []) {
    let delta;
    if (r.kind === "credit") delta = r.points;
    else if (r.kind === "violation" && r.status !== "overturned") delta = -r.deducted;
    else continue;
    value += delta;
    points.push({ t: r.block_time, v: value, delta, record: r });
  }
  if (points.length && summary.lapsed) {
    points.push({ t: summary.as_of_time, v: 0, delta: -value, record: null });
  }
  return points;
}

const H = 220;
const M = { left: 48, right: 16, top: 16, bottom: 32 };

/**
 * The chart for ``series`` (see creditSeries); ``labels`` gives the translated texts. ``width``
 * is the box's width in CSS pixels, so that the labels keep their size on a phone.
 * @param {Point[]} series
 * @param {number} now unix seconds
 * @param {{title: string, empty: string, describe: (count: number, value: number, date: string) => string}} labels
 * @param {number} [width]
 */
export function creditChart(series, now, labels, width = 640) {
  const W = Math.max(280, Math.round(width));
  const title = h("title", { id: "chart-title" }, labels.title);
  if (!series.length) {
    return h("p", { class: "muted", id: "chart-empty" }, labels.empty);
  }
  const t0 = series[0].t - 3600;
  const t1 = Math.max(now, series[series.length - 1].t) + 3600;
  const values = series.map((p) => p.v);
  const vMax = Math.max(10, ...values);
  const vMin = Math.min(0, ...values);
  /** @param {number} t */
  const x = (t) => M.left + ((t - t0) / (t1 - t0)) * (W - M.left - M.right);
  /** @param {number} v */
  const y = (v) => M.top + ((vMax - v) / (vMax - vMin)) * (H - M.top - M.bottom);
  let d = `M ${x(t0).toFixed(1)} ${y(0).toFixed(1)}`;
  for (const p of series) d += ` H ${x(p.t).toFixed(1)} V ${y(p.v).toFixed(1)}`;
  d += ` H ${x(t1).toFixed(1)}`;
  const area = `${d} V ${y(vMin).toFixed(1)} H ${x(t0).toFixed(1)} Z`;
  const last = series[series.length - 1];
  const desc = h("desc", { id: "chart-desc" }, labels.describe(series.length, last.v, day(last.t)));
  const grid = [vMin, (vMin + vMax) / 2, vMax].map((v) => {
    const gy = y(v).toFixed(1);
    return h(
      "g",
      { class: "grid" },
      h("line", { x1: M.left, x2: W - M.right, y1: gy, y2: gy }),
      h("text", { x: M.left - 6, y: gy, "text-anchor": "end", "dominant-baseline": "middle" },
        String(Math.round(v))),
    );
  });
  const axis = h(
    "g",
    { class: "axis" },
    h("text", { x: M.left, y: H - 8, "text-anchor": "start" }, day(t0)),
    h("text", { x: W - M.right, y: H - 8, "text-anchor": "end" }, day(t1)),
  );
  const dots = series.map((p) =>
    h(
      "circle",
      { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 4, class: p.delta < 0 ? "dot down" : "dot" },
      h("title", {}, `${day(p.t)}: ${p.delta > 0 ? "+" : ""}${p.delta} → ${p.v}`),
    ),
  );
  return h(
    "svg",
    {
      viewBox: `0 0 ${W} ${H}`,
      class: "chart",
      role: "img",
      "aria-labelledby": "chart-title chart-desc",
      preserveAspectRatio: "xMidYMid meet",
      id: "credit-chart",
    },
    title,
    desc,
    grid,
    h("path", { d: area, class: "area" }),
    h("path", { d, class: "line" }),
    dots,
    axis,
  );
}
