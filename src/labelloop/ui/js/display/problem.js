import { h } from "../dom.js";

/**
 * Stands in for a display that cannot be shown, so labelling can go on.
 * @param {string} message
 * @returns {import("./index.js").DisplayView}
 */
export function createProblemDisplay(message) {
  const element = h("div", { className: "ll-display-problem", text: message });
  return { element, ready: Promise.resolve(), destroy() {} };
}
