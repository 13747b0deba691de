import { h, keyButton } from "../dom.js";

/**
 * Free text: type the label, Enter submits. The options, if any, are offered
 * as suggestions.
 * @type {import("./index.js").InputModule}
 */
export const freeText = {
  name: "text",
  mount(container, context) {
    const listId = `ll-suggestions-${Math.random().toString(36).slice(2)}`;
    const field = h("input", {
      className: "ll-free-text",
      attrs: { type: "text", placeholder: "type the label, then Enter", "aria-label": "label", list: listId },
    });
    if (typeof context.current === "string") field.value = context.current;
    const suggestions = h("datalist", { attrs: { id: listId } });
    for (const option of context.options) {
      const entry = document.createElement("option");
      entry.value = option;
      suggestions.append(entry);
    }
    container.append(h("div", { className: "ll-free" }, [field, keyButton("submit", "Enter", submit, "ll-button ll-submit")]), suggestions);

    return {
      onKey(event) {
        if (event.key !== "Enter") return false;
        submit();
        return true;
      },
      focus() {
        field.focus({ preventScroll: true });
      },
      destroy() {
        container.replaceChildren();
      },
    };

    function submit() {
      const text = field.value.trim();
      if (text) context.submit(text);
      else field.focus();
    }
  },
};
