import { h, show } from "../dom.js";

/**
 * The error line: the session's `error` state, and the latest error message
 * (dismissable).
 * @param {import("../session.js").Session} session
 * @returns {import("../types.js").Part}
 */
export function mountNotice(session) {
  const { model } = session;
  const stateLine = h("div", { className: "ll-error ll-error-state" });
  const messageText = h("span");
  const dismiss = h("button", { className: "ll-dismiss", text: "×", attrs: { type: "button", "aria-label": "dismiss" } });
  dismiss.addEventListener("click", () => session.setNotice(""));
  const messageLine = h("div", { className: "ll-error ll-error-message" }, [messageText, dismiss]);
  const element = h("div", { className: "ll-errors", attrs: { role: "alert" } }, [stateLine, messageLine]);

  const render = () => {
    const stateError = String(model.get("error") ?? "");
    stateLine.textContent = stateError;
    show(stateLine, stateError !== "");
    messageText.textContent = session.notice;
    show(messageLine, session.notice !== "");
  };
  const unsubscribe = session.on("notice", render);
  model.on("change:error", render);
  render();
  return {
    element,
    destroy() {
      unsubscribe();
      model.off("change:error", render);
    },
  };
}
