import { h } from "../dom.js";

/**
 * @param {import("../types.js").TableDisplay} display
 * @returns {import("./index.js").DisplayView}
 */
export function createTableDisplay(display) {
  const rows = (display.rows ?? []).map(([key, value]) =>
    h("tr", {}, [
      h("th", { text: String(key), attrs: { scope: "row" } }),
      h("td", { text: String(value) }),
    ]),
  );
  const element = h("div", { className: "ll-table-wrap" }, [
    h("table", { className: "ll-table" }, [h("tbody", {}, rows)]),
  ]);
  return { element, ready: Promise.resolve(), destroy() {} };
}
