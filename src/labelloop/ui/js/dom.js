// Element builders. Item data only ever reaches the page through these, as
// text nodes and attribute values: nothing here parses HTML.

/**
 * @typedef {object} ElementProps
 * @property {string} [className]
 * @property {string} [text]
 * @property {Record<string, string>} [attrs]
 */

/**
 * Create an element; strings among `children` become text nodes.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {ElementProps} [props]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, children = []) {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  if (props.text !== undefined) element.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/**
 * A button that shows its keyboard shortcut beside its text.
 * @param {string} text
 * @param {string | null} key  shown in a <kbd>; null for none
 * @param {() => void} onClick
 * @param {string} [className]
 * @returns {HTMLButtonElement}
 */
export function keyButton(text, key, onClick, className = "ll-button") {
  const children = key ? [h("kbd", { text: key }), h("span", { text })] : [h("span", { text })];
  const button = h("button", { className, attrs: { type: "button" } }, children);
  button.addEventListener("click", onClick);
  return button;
}

/**
 * @param {HTMLElement} element
 * @param {boolean} visible
 */
export function show(element, visible) {
  element.hidden = !visible;
}

/**
 * Whether focus is on `root` or inside it.
 * @param {HTMLElement} root
 */
export function hasFocusWithin(root) {
  const active = root.ownerDocument.activeElement;
  return active !== null && root.contains(active);
}

/**
 * Focus `element` once it is in the document: anywidget may call render
 * before the view's element is attached.
 * @param {HTMLElement} element
 * @param {number} [framesLeft]
 */
export function focusWhenAttached(element, framesLeft = 120) {
  if (element.isConnected) element.focus({ preventScroll: true });
  else if (framesLeft > 0) requestAnimationFrame(() => focusWhenAttached(element, framesLeft - 1));
}

/**
 * Whether a key event comes from a field the person is typing in.
 * @param {KeyboardEvent} event
 */
export function isTyping(event) {
  const target = /** @type {HTMLElement | null} */ (event.target);
  if (!target) return false;
  if (target.isContentEditable || target.tagName === "TEXTAREA") return true;
  return target.tagName === "INPUT" && !["checkbox", "radio", "button"].includes(
    /** @type {HTMLInputElement} */ (target).type,
  );
}

/**
 * Whether the key event carries a modifier that belongs to the browser or the notebook.
 * @param {KeyboardEvent} event
 */
export function hasCommandModifier(event) {
  return event.ctrlKey || event.metaKey || event.altKey;
}
