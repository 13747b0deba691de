import uPlot from "uplot";
import { h, show } from "../dom.js";

/** @typedef {import("../types.js").ModelInfo} ModelInfo */

const WIDTH = 280;
const HEIGHT = 150;

/**
 * A small live chart of the model's score against the number of labels.
 * Hidden while there is no model or no curve yet.
 * @param {import("../types.js").Model} model
 * @returns {import("../types.js").Part}
 */
export function mountChart(model) {
  const caption = h("div", { className: "ll-chart-caption" });
  const plotBox = h("div", { className: "ll-chart-plot" });
  const element = h("section", { className: "ll-chart", attrs: { "aria-label": "model score" } }, [caption, plotBox]);
  /** @type {uPlot | null} */
  let plot = null;

  const render = () => {
    /** @type {ModelInfo | null} */
    const info = model.get("model_info") ?? null;
    const curve = points(info);
    show(element, curve !== null);
    if (!info || curve === null) return;
    caption.textContent = describe(info);
    if (plot) plot.setData(curve);
    else plot = new uPlot(options(element), curve, plotBox);
  };
  model.on("change:model_info", render);
  render();
  return {
    element,
    destroy() {
      model.off("change:model_info", render);
      plot?.destroy();
    },
  };
}

/**
 * The curve as uPlot wants it; a run without a score (too few labels to
 * cross-validate) stays null, drawn as a gap.
 * @param {ModelInfo | null} info
 * @returns {[number[], (number | null)[]] | null}
 */
function points(info) {
  const x = info?.curve?.n_labels ?? [];
  const y = info?.curve?.score ?? [];
  if (x.length === 0 || x.length !== y.length) return null;
  return [x.map(Number), y.map((score) => (score == null ? null : Number(score)))];
}

/** @param {ModelInfo} info */
function describe(info) {
  const parts = [typeof info.score === "number" ? `score ${info.score.toFixed(3)}` : "no score yet"];
  if (info.n_labels != null) parts.unshift(`${info.n_labels} labels`);
  if (info.settled) parts.push("settled: more labels are unlikely to help");
  return parts.join(" · ");
}

/**
 * Scores are fractions: show at least 0–1, wider only if a score falls outside.
 * @param {uPlot} _plot
 * @param {number | null} min
 * @param {number | null} max
 * @returns {uPlot.Range.MinMax}
 */
function scoreRange(_plot, min, max) {
  return [Math.min(0, min ?? 0), Math.max(1, max ?? 1)];
}

/**
 * @param {HTMLElement} element
 * @returns {uPlot.Options}
 */
function options(element) {
  const accent = getComputedStyle(element).getPropertyValue("--ll-accent").trim() || "#1976d2";
  const ink = getComputedStyle(element).getPropertyValue("--ll-muted").trim() || "#666";
  const axis = { stroke: ink, grid: { stroke: "rgba(128,128,128,0.15)" }, ticks: { show: false } };
  return {
    width: WIDTH,
    height: HEIGHT,
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: false }, y: { range: scoreRange } },
    series: [{ label: "labels" }, { label: "score", stroke: accent, width: 2, points: { show: true, size: 4 } }],
    axes: [{ ...axis, label: "labels" }, { ...axis, size: 40 }],
  };
}
