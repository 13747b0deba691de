import { h, show } from "../dom.js";

/**
 * Retrain the model now; says "training…" while it trains.
 * @param {import("../session.js").Session} session
 * @returns {import("../types.js").Part}
 */
export function mountRetrain(session) {
  const { model } = session;
  const button = h("button", { className: "ll-button ll-retrain", attrs: { type: "button" } });
  button.addEventListener("click", () => session.retrain());

  const render = () => {
    show(button, Boolean(session.config.has_model));
    const training = Boolean(model.get("model_info")?.training) || session.retrainAsked;
    button.disabled = training;
    button.textContent = training ? "training…" : "Retrain";
  };
  const unsubscribe = session.on("retrain", render);
  model.on("change:model_info", render);
  model.on("change:config", render);
  render();
  return {
    element: button,
    destroy() {
      unsubscribe();
      model.off("change:model_info", render);
      model.off("change:config", render);
    },
  };
}
