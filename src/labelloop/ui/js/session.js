import { Emitter } from "./emitter.js";
import { ItemQueue } from "./queue.js";

/** @typedef {import("./types.js").Model} Model */
/** @typedef {import("./types.js").Config} Config */
/** @typedef {import("./types.js").HistoryEntry} HistoryEntry */
/** @typedef {import("./types.js").LabelValue} LabelValue */

/**
 * @typedef {object} HistoryState
 * @property {boolean} open
 * @property {boolean} loading
 * @property {HistoryEntry[]} entries
 * @property {boolean} more  whether older entries exist
 */

const DEFAULT_PREFETCH = 3;

/**
 * One labelling session per model, shared by all its views: the queue, the
 * history panel's data and the messages for people. No DOM here.
 * Events: "queue", "history", "notice", "retrain".
 */
export class Session {
  /** @type {Model} */
  model;
  /** @type {ItemQueue} */
  queue;
  /** @type {HistoryState} */
  history = { open: false, loading: false, entries: [], more: false };
  /** The latest error message from the server, until dismissed. */
  notice = "";
  /** A retrain was asked for and the model has not reported back yet. */
  retrainAsked = false;
  #events = new Emitter();
  #views = 0;

  /** @param {Model} model */
  constructor(model) {
    this.model = model;
    this.queue = new ItemQueue({
      send: (message) => model.send(message),
      prefetch: () => Number(this.config.prefetch ?? DEFAULT_PREFETCH),
      mayAsk: () => model.get("status") !== "finished",
    });
    this.queue.onChange(() => this.#events.emit("queue"));
    model.on("msg:custom", this.#onMessage);
    model.on("change:status", this.#onStatusOrConfig);
    model.on("change:config", this.#onStatusOrConfig);
    model.on("change:model_info", this.#onModelInfo);
  }

  /** @returns {Partial<Config>} */
  get config() {
    return this.model.get("config") ?? {};
  }

  /**
   * @param {"queue" | "history" | "notice" | "retrain"} name
   * @param {() => void} handler
   * @returns {() => void}
   */
  on(name, handler) {
    return this.#events.on(name, handler);
  }

  /** A view appeared: the first one starts the flow of items. */
  attach() {
    this.#views += 1;
    this.queue.start();
  }

  /** A view went away: with none left, the leases go back. */
  detach() {
    this.#views = Math.max(0, this.#views - 1);
    if (this.#views === 0) this.queue.stop();
  }

  dispose() {
    this.queue.stop();
    this.model.off("msg:custom", this.#onMessage);
    this.model.off("change:status", this.#onStatusOrConfig);
    this.model.off("change:config", this.#onStatusOrConfig);
    this.model.off("change:model_info", this.#onModelInfo);
    this.#events.off();
  }

  /** @param {LabelValue} value */
  label(value) {
    return this.queue.label(value);
  }

  skip() {
    return this.queue.skip();
  }

  undo() {
    this.queue.undo();
  }

  retrain() {
    this.retrainAsked = true;
    this.model.send({ type: "retrain" });
    this.#events.emit("retrain");
  }

  /** @param {boolean} enabled */
  setHintEnabled(enabled) {
    this.model.set("hint_enabled", enabled);
    this.model.save_changes();
  }

  openHistory() {
    this.history = { ...this.history, open: true, loading: true };
    this.model.send({ type: "history", offset: 0 });
    this.#events.emit("history");
  }

  loadMoreHistory() {
    this.history = { ...this.history, loading: true };
    this.model.send({ type: "history", offset: this.history.entries.length });
    this.#events.emit("history");
  }

  closeHistory() {
    this.history = { ...this.history, open: false };
    this.#events.emit("history");
  }

  /** Show one of my earlier items to relabel it. @param {string} key */
  openItem(key) {
    this.closeHistory();
    this.queue.open(key);
  }

  /** @param {string} text */
  setNotice(text) {
    this.notice = text;
    this.#events.emit("notice");
  }

  /**
   * @param {any} content
   * @param {DataView[]} [buffers]
   */
  #onMessage = (content, buffers = []) => {
    switch (content?.type) {
      case "items":
        this.queue.receive(content.items ?? [], buffers);
        break;
      case "undone":
        this.queue.receiveUndone(content.item, buffers);
        break;
      case "ack":
        this.queue.acknowledge(content);
        break;
      case "history":
        this.#receiveHistory(content);
        break;
      case "error":
        this.#receiveError(content);
        break;
    }
  };

  /** @param {{entries: HistoryEntry[], offset: number, more: boolean}} page */
  #receiveHistory(page) {
    const earlier = page.offset > 0 ? this.history.entries.slice(0, page.offset) : [];
    this.history = { ...this.history, loading: false, entries: [...earlier, ...(page.entries ?? [])], more: Boolean(page.more) };
    this.#events.emit("history");
  }

  /** @param {{message: string, lease?: string}} error */
  #receiveError(error) {
    if (this.retrainAsked) {
      this.retrainAsked = false;
      this.#events.emit("retrain");
    }
    if (this.history.loading) this.history = { ...this.history, loading: false };
    this.setNotice(this.queue.fail(error));
  }

  #onStatusOrConfig = () => {
    // New items or a larger prefetch: the queue may ask again.
    this.queue.poke();
  };

  #onModelInfo = () => {
    if (!this.retrainAsked) return;
    this.retrainAsked = false;
    this.#events.emit("retrain");
  };
}
