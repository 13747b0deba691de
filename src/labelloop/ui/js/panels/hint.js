import { h, show } from "../dom.js";

/** @typedef {import("../types.js").Item} Item */

/**
 * The model's guess for the current item, and the toggle that shows it.
 * Only present when the project has a model.
 * @param {import("../session.js").Session} session
 * @returns {import("../types.js").Part & {showItem(item: Item | null): void}}
 */
export function mountHint(session) {
  const { model } = session;
  const line = h("span", { className: "ll-hint-text", attrs: { "aria-live": "polite" } });
  const toggle = h("input", { attrs: { type: "checkbox" } });
  const element = h("div", { className: "ll-hint" }, [
    h("label", { className: "ll-hint-toggle" }, [toggle, h("span", { text: "show the model's guess" })]),
    line,
  ]);
  /** @type {Item | null} */
  let item = null;

  const render = () => {
    const enabled = Boolean(model.get("hint_enabled"));
    toggle.checked = enabled;
    show(element, Boolean(session.config.has_model));
    const hint = item?.hint;
    show(line, enabled && hint != null);
    if (hint) line.textContent = `model's guess: ${hint.label} (${Math.round(100 * Number(hint.confidence))}%)`;
  };
  const onToggle = () => session.setHintEnabled(toggle.checked);
  toggle.addEventListener("change", onToggle);
  model.on("change:hint_enabled", render);
  model.on("change:config", render);
  render();
  return {
    element,
    showItem(next) {
      item = next;
      render();
    },
    destroy() {
      model.off("change:hint_enabled", render);
      model.off("change:config", render);
    },
  };
}
