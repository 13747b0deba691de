import { h } from "../dom.js";

/** @typedef {import("../types.js").Model} Model */
/** @typedef {import("../types.js").Progress} Progress */

/**
 * The project's name, a bar of labelled / total, and how many are mine.
 * @param {Model} model
 * @returns {import("../types.js").Part}
 */
export function mountProgress(model) {
  const title = h("div", { className: "ll-title" });
  const fill = h("div", { className: "ll-bar-fill" });
  const bar = h("div", { className: "ll-bar", attrs: { role: "progressbar", "aria-valuemin": "0", "aria-label": "labelled" } }, [fill]);
  const counts = h("div", { className: "ll-counts" });
  const element = h("header", { className: "ll-header" }, [title, bar, counts]);

  const render = () => {
    const config = model.get("config") ?? {};
    title.textContent = [config.project, config.annotator].filter(Boolean).join(" · ");
    /** @type {Partial<Progress>} */
    const progress = model.get("progress") ?? {};
    const total = Number(progress.total ?? 0);
    const done = Number(progress.done ?? 0);
    fill.style.width = `${total > 0 ? Math.min(100, (100 * done) / total) : 0}%`;
    bar.setAttribute("aria-valuemax", String(total));
    bar.setAttribute("aria-valuenow", String(done));
    counts.textContent = describe(total, done, progress);
  };
  model.on("change:progress", render);
  model.on("change:config", render);
  render();
  return {
    element,
    destroy() {
      model.off("change:progress", render);
      model.off("change:config", render);
    },
  };
}

/**
 * @param {number} total
 * @param {number} done
 * @param {Partial<Progress>} progress
 */
function describe(total, done, progress) {
  const parts = [`${done} / ${total} labelled`];
  if (progress.mine !== undefined) parts.push(`mine ${progress.mine}`);
  if (progress.remaining !== undefined) parts.push(`${progress.remaining} left`);
  return parts.join(" · ");
}
