/** @typedef {import("../types.js").LabelValue} LabelValue */

/**
 * The index of the option whose hotkey `key` is, or -1.
 * @param {string[]} hotkeys
 * @param {string} key
 */
export function hotkeyIndex(hotkeys, key) {
  const exact = hotkeys.indexOf(key);
  return exact >= 0 ? exact : hotkeys.indexOf(key.toLowerCase());
}

/**
 * A label value as a list (multi-label values already are).
 * @param {LabelValue | null} value
 * @returns {string[]}
 */
export function asList(value) {
  if (value == null) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}
