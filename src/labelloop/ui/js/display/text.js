import { h } from "../dom.js";

/**
 * Text is set as textContent: markup in it is shown, never parsed.
 * @param {import("../types.js").TextDisplay} display
 * @returns {import("./index.js").DisplayView}
 */
export function createTextDisplay(display) {
  const element = h("div", { className: "ll-text", text: String(display.text ?? "") });
  return { element, ready: Promise.resolve(), destroy() {} };
}
