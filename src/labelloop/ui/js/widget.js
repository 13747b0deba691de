import { Session } from "./session.js";
import { View } from "./view.js";

/** @typedef {import("./types.js").Model} Model */

/** @type {WeakMap<Model, Session>} */
const sessions = new WeakMap();

/**
 * The anywidget entry point; the web page runs it unchanged (host.js).
 * initialize only wires listeners: anywidget gives load + initialize 2 s.
 */
export default {
  /** @param {{model: Model}} props */
  initialize({ model }) {
    const session = new Session(model);
    sessions.set(model, session);
    return () => {
      session.dispose();
      sessions.delete(model);
    };
  },

  /** @param {{model: Model, el: HTMLElement}} props */
  render({ model, el }) {
    let session = sessions.get(model);
    if (!session) {
      // Hosts that skip initialize still get a working view.
      session = new Session(model);
      sessions.set(model, session);
    }
    const view = new View(session, el);
    return () => view.destroy();
  },
};
