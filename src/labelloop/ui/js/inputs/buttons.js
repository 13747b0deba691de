import { h, keyButton } from "../dom.js";
import { asList, hotkeyIndex } from "./values.js";
import { createOtherField } from "./other.js";

/**
 * Single-label: one button per option; its hotkey labels the item at once.
 * @type {import("./index.js").InputModule}
 */
export const classButtons = {
  name: "buttons",
  mount(container, context) {
    const current = asList(context.current);
    const buttons = context.options.map((option, index) => {
      const button = keyButton(option, context.hotkeys[index] ?? null, () => context.submit(option), "ll-option");
      if (current.includes(option)) button.classList.add("ll-current");
      return button;
    });
    const other = context.allowOther ? createOtherField(context) : null;
    container.append(h("div", { className: "ll-options" }, buttons));
    if (other) container.append(other.element);

    return {
      onKey(event) {
        if (other && event.target === other.field) return submitOther(event);
        const index = hotkeyIndex(context.hotkeys, event.key);
        if (index < 0 || index >= context.options.length) return false;
        context.submit(context.options[index]);
        return true;
      },
      focus() {},
      destroy() {
        container.replaceChildren();
      },
    };

    /** @param {KeyboardEvent} event */
    function submitOther(event) {
      if (event.key !== "Enter" || !other?.text()) return false;
      context.submit(other.text());
      return true;
    }
  },
};
