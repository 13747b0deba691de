import { h } from "../dom.js";
import { asList } from "./values.js";

/**
 * @typedef {object} OtherField
 * @property {HTMLElement} element
 * @property {HTMLInputElement} field
 * @property {() => string} text  the typed label, trimmed
 */

/**
 * The "other: …" field offered beside the options when the project allows it.
 * Prefilled with the current label when that is none of the options.
 * @param {import("./index.js").InputContext} context
 * @returns {OtherField}
 */
export function createOtherField(context) {
  const field = h("input", {
    className: "ll-other-field",
    attrs: { type: "text", placeholder: "another label, then Enter", "aria-label": "other label" },
  });
  const extra = asList(context.current).filter((value) => !context.options.includes(value));
  field.value = extra.join(", ");
  const element = h("label", { className: "ll-other" }, [h("span", { text: "other:" }), field]);
  return { element, field, text: () => field.value.trim() };
}
