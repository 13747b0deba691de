import { createHtmlDisplay } from "./html.js";
import { createImageDisplay } from "./image.js";
import { createTableDisplay } from "./table.js";
import { createTextDisplay } from "./text.js";
import { createProblemDisplay } from "./problem.js";

/** @typedef {import("../types.js").Display} Display */

/**
 * An item's display, built before it is shown so that showing it is a DOM swap.
 * @typedef {object} DisplayView
 * @property {HTMLElement} element
 * @property {Promise<void>} ready  settles once the display can paint (images decoded)
 * @property {() => void} destroy
 */

/**
 * @param {Display} display
 * @param {DataView[]} buffers  the buffers of the message that brought the item
 * @returns {DisplayView}
 */
export function createDisplay(display, buffers) {
  switch (display?.kind) {
    case "image":
      return createImageDisplay(display, buffers);
    case "text":
      return createTextDisplay(display);
    case "table":
      return createTableDisplay(display);
    case "html":
      return createHtmlDisplay(display);
    default:
      return createProblemDisplay(`cannot show a display of kind "${kindOf(display)}"`);
  }
}

/** @param {unknown} display */
function kindOf(display) {
  return String(/** @type {{kind?: unknown} | null} */ (display)?.kind);
}
