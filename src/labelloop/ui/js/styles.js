import appCss from "./styles.css" with { type: "text" };
import chartCss from "uplot/dist/uPlot.min.css" with { type: "text" };

const MARKER = "data-labelloop-styles";

/**
 * Add the stylesheet once to the document (or shadow root) `node` lives in.
 * anywidget loads only the JS module, so the CSS travels inside it as text.
 * @param {Node} node
 */
export function injectStyles(node) {
  const root = node.getRootNode();
  const target = root instanceof ShadowRoot ? root : document.head;
  if (target.querySelector(`style[${MARKER}]`)) return;
  const style = document.createElement("style");
  style.setAttribute(MARKER, "");
  style.textContent = `${chartCss}\n${appCss}`;
  target.append(style);
}
