import { h } from "../dom.js";
import { createProblemDisplay } from "./problem.js";

// Small images are enlarged by a whole factor (crisp pixels) to at most this.
const LARGEST_SCALED_SIDE = 320;
const SMALL_SIDE = 160;

/**
 * The size to draw an image at, and whether to keep its pixels square.
 * @param {number} width
 * @param {number} height
 * @returns {{width: number, height: number, pixelated: boolean}}
 */
export function drawnSize(width, height) {
  const longest = Math.max(width, height);
  if (!(longest > 0) || longest > SMALL_SIDE) return { width, height, pixelated: false };
  const factor = Math.max(1, Math.floor(LARGEST_SCALED_SIDE / longest));
  return { width: width * factor, height: height * factor, pixelated: factor > 1 };
}

/**
 * Draws the image from its buffer through a Blob URL, revoked on destroy.
 * @param {import("../types.js").ImageDisplay} display
 * @param {DataView[]} buffers
 * @returns {import("./index.js").DisplayView}
 */
export function createImageDisplay(display, buffers) {
  const buffer = buffers[display.buffer];
  if (!buffer) return createProblemDisplay(`the image's data (buffer ${display.buffer}) is missing`);
  if (!/^image\//.test(display.mime ?? "")) {
    return createProblemDisplay(`"${String(display.mime)}" is not an image type`);
  }
  const url = URL.createObjectURL(new Blob([/** @type {DataView<ArrayBuffer>} */ (buffer)], { type: display.mime }));
  const image = h("img", { className: "ll-image", attrs: { alt: "item", draggable: "false" } });
  sizeImage(image, display.width, display.height);
  image.src = url;
  // A broken image still paints (as broken); the paint must not wait forever.
  const ready = image.decode().catch(() => undefined);
  const element = h("div", { className: "ll-image-wrap" }, [image]);
  return { element, ready, destroy: () => URL.revokeObjectURL(url) };
}

/**
 * @param {HTMLImageElement} image
 * @param {number} width
 * @param {number} height
 */
function sizeImage(image, width, height) {
  const size = drawnSize(Number(width), Number(height));
  if (!(size.width > 0 && size.height > 0)) return;
  image.width = size.width;
  image.height = size.height;
  image.classList.toggle("ll-pixelated", size.pixelated);
}
