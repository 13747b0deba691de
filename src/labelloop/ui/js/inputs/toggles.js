import { h, keyButton } from "../dom.js";
import { asList, hotkeyIndex } from "./values.js";
import { createOtherField } from "./other.js";

/**
 * Multi-label: hotkeys toggle options; Enter submits the toggled ones
 * (plus the "other" text, when there is one) in the options' order.
 * @type {import("./index.js").InputModule}
 */
export const toggles = {
  name: "toggles",
  mount(container, context) {
    const selected = new Set(asList(context.current).filter((value) => context.options.includes(value)));
    const buttons = context.options.map((option, index) =>
      keyButton(option, context.hotkeys[index] ?? null, () => toggle(index), "ll-option ll-toggle"),
    );
    const other = context.allowOther ? createOtherField(context) : null;
    const submitButton = keyButton("submit", "Enter", submit, "ll-button ll-submit");
    container.append(h("div", { className: "ll-options" }, buttons));
    if (other) container.append(other.element);
    container.append(submitButton);
    paint();

    return {
      onKey(event) {
        if (event.key === "Enter") {
          submit();
          return true;
        }
        if (other && event.target === other.field) return false;
        const index = hotkeyIndex(context.hotkeys, event.key);
        if (index < 0 || index >= context.options.length) return false;
        toggle(index);
        return true;
      },
      focus() {},
      destroy() {
        container.replaceChildren();
      },
    };

    /** @param {number} index */
    function toggle(index) {
      const option = context.options[index];
      if (!selected.delete(option)) selected.add(option);
      paint();
    }

    function paint() {
      buttons.forEach((button, index) => {
        button.setAttribute("aria-pressed", String(selected.has(context.options[index])));
      });
    }

    function submit() {
      const value = context.options.filter((option) => selected.has(option));
      const typed = other?.text();
      if (typed && !value.includes(typed)) value.push(typed);
      context.submit(value);
    }
  },
};
