import { h } from "../dom.js";

// The sandbox (no allow-scripts, no allow-same-origin) stops scripts; the
// policy also stops the document from fetching anything off the page.
const POLICY =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; form-action 'none'";

/**
 * HTML is shown only inside a sandboxed frame, never in the page itself.
 * @param {import("../types.js").HtmlDisplay} display
 * @returns {import("./index.js").DisplayView}
 */
export function createHtmlDisplay(display) {
  const frame = h("iframe", {
    className: "ll-html",
    attrs: { sandbox: "", referrerpolicy: "no-referrer", title: "item" },
  });
  frame.srcdoc = `<meta http-equiv="Content-Security-Policy" content="${POLICY}">${String(display.html ?? "")}`;
  return { element: frame, ready: Promise.resolve(), destroy() {} };
}
