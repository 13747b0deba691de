/** @typedef {import("./types.js").Handler} Handler */

/** A minimal event emitter; `on` returns the function that unsubscribes. */
export class Emitter {
  /** @type {Map<string, Set<Handler>>} */
  #handlers = new Map();

  /**
   * @param {string} name
   * @param {Handler} handler
   * @returns {() => void}
   */
  on(name, handler) {
    let handlers = this.#handlers.get(name);
    if (!handlers) this.#handlers.set(name, (handlers = new Set()));
    handlers.add(handler);
    return () => this.off(name, handler);
  }

  /**
   * Without a handler, drops every handler of `name`; without a name, all of them.
   * @param {string | null} [name]
   * @param {Handler | null} [handler]
   */
  off(name, handler) {
    if (name == null) this.#handlers.clear();
    else if (handler == null) this.#handlers.delete(name);
    else this.#handlers.get(name)?.delete(handler);
  }

  /**
   * @param {string} name
   * @param {...unknown} args
   */
  emit(name, ...args) {
    // A copy, so a handler may unsubscribe itself while we iterate.
    for (const handler of [...(this.#handlers.get(name) ?? [])]) handler(...args);
  }
}
