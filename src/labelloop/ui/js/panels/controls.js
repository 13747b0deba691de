import { h, keyButton } from "../dom.js";

/**
 * @typedef {object} ControlActions
 * @property {() => void} skip
 * @property {() => void} undo
 * @property {() => void} back
 */

/**
 * Skip / Undo / Back, each with its key.
 * @param {ControlActions} actions
 * @returns {import("../types.js").Part}
 */
export function mountControls(actions) {
  const element = h("div", { className: "ll-controls" }, [
    keyButton("Back", "←", actions.back, "ll-button ll-back"),
    keyButton("Undo", "⌫", actions.undo, "ll-button ll-undo"),
    keyButton("Skip", "→", actions.skip, "ll-button ll-skip"),
  ]);
  return { element, destroy() {} };
}
