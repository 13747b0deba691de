import { classButtons } from "./buttons.js";
import { freeText } from "./text.js";
import { toggles } from "./toggles.js";

/** @typedef {import("../types.js").LabelValue} LabelValue */

/**
 * What an input module is given for one item.
 * @typedef {object} InputContext
 * @property {string[]} options
 * @property {string[]} hotkeys  hotkeys[i] is the key of options[i]
 * @property {boolean} allowOther  offer "other: …" beside the options
 * @property {LabelValue | null} current  the existing label when relabelling
 * @property {(value: LabelValue) => void} submit
 */

/**
 * A mounted input, for one item.
 * @typedef {object} InputHandle
 * @property {(event: KeyboardEvent) => boolean} onKey  true when the input used the key
 * @property {() => void} focus  take focus if the input types (text fields); else nothing
 * @property {() => void} destroy
 */

/**
 * One way of labelling. Mounted afresh for every item.
 * @typedef {object} InputModule
 * @property {string} name
 * @property {(container: HTMLElement, context: InputContext) => InputHandle} mount
 */

/**
 * The input for a project's configuration.
 * @param {Partial<import("../types.js").Config>} config
 * @returns {InputModule}
 */
export function inputFor(config) {
  if (config.free_text) return freeText;
  if (config.multilabel) return toggles;
  return classButtons;
}
