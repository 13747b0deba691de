import { asList } from "../inputs/values.js";
import { h, keyButton, show } from "../dom.js";

/** @typedef {import("../types.js").HistoryEntry} HistoryEntry */

/**
 * My earlier labels; choosing one opens that item to relabel it.
 * @param {import("../session.js").Session} session
 * @param {() => void} returnFocus  called when the panel closes
 * @returns {import("../types.js").Part & {onKey(event: KeyboardEvent): boolean}}
 */
export function mountHistory(session, returnFocus) {
  const close = () => {
    session.closeHistory();
    returnFocus();
  };
  const list = h("ol", { className: "ll-history-list" });
  const status = h("div", { className: "ll-history-status" });
  const more = h("button", { className: "ll-button ll-history-more", text: "older…", attrs: { type: "button" } });
  more.addEventListener("click", () => session.loadMoreHistory());
  const element = h("aside", { className: "ll-history", attrs: { "aria-label": "my labels" } }, [
    h("div", { className: "ll-history-head" }, [h("strong", { text: "My labels" }), keyButton("close", "Esc", close)]),
    list,
    status,
    more,
  ]);

  const render = () => {
    const { open, loading, entries } = session.history;
    show(element, open);
    if (!open) return;
    list.replaceChildren(...entries.map((entry) => h("li", {}, [entryButton(entry)])));
    status.textContent = loading ? "loading…" : entries.length === 0 ? "No labels yet." : "";
    show(more, session.history.more && !loading);
  };

  /** @param {HistoryEntry} entry */
  const entryButton = (entry) => {
    const button = h("button", { className: "ll-history-entry", attrs: { type: "button", "data-key": String(entry.key) } }, [
      h("span", { className: "ll-history-key", text: `item ${entry.key}` }),
      h("span", { className: "ll-history-value", text: asList(entry.value).join(", ") }),
      h("time", { className: "ll-history-time", text: shortTime(entry.created_at) }),
    ]);
    button.addEventListener("click", () => {
      session.openItem(String(entry.key));
      returnFocus();
    });
    return button;
  };

  const unsubscribe = session.on("history", render);
  render();
  return {
    element,
    onKey(event) {
      if (event.key === "Escape" || event.key === "ArrowLeft") {
        close();
        return true;
      }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        moveFocus(list, event.key === "ArrowDown" ? 1 : -1);
        return true;
      }
      return false;
    },
    destroy: unsubscribe,
  };
}

/**
 * @param {HTMLElement} list
 * @param {number} step
 */
function moveFocus(list, step) {
  const buttons = [...list.querySelectorAll("button")];
  if (buttons.length === 0) return;
  const at = buttons.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
  const next = at < 0 ? (step > 0 ? 0 : buttons.length - 1) : Math.min(buttons.length - 1, Math.max(0, at + step));
  buttons[next].focus();
}

/** @param {string} timestamp */
function shortTime(timestamp) {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) return String(timestamp ?? "");
  return date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
}
