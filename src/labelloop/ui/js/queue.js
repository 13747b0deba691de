import { Emitter } from "./emitter.js";

/** @typedef {import("./types.js").Item} Item */
/** @typedef {import("./types.js").LabelValue} LabelValue */
/** @typedef {import("./types.js").ClientMessage} ClientMessage */

/**
 * An item in the buffer, with the binary payloads of the message that brought it.
 * @typedef {object} Entry
 * @property {Item} item
 * @property {DataView[]} buffers
 * @property {number | null} shownAt  when it last became the current item (performance.now)
 */

/**
 * @typedef {object} QueueOptions
 * @property {(message: ClientMessage) => void} send
 * @property {() => number} prefetch  how many items to hold beyond the current one
 * @property {() => boolean} mayAsk  false once the project is finished
 */

/** While the server has nothing to hand out and nothing is shown, ask this often. */
export const RETRY_MS = 3000;
/** A request for items unanswered this long is made again. */
export const ANSWER_TIMEOUT_MS = 10000;

/**
 * The client-side prefetch buffer. The head is the item on screen; labelling
 * it shows the next one at once and tells the server in the background.
 */
export class ItemQueue {
  /** @type {Entry[]} */
  #entries = [];
  /** @type {Map<string, string>} lease → key of a submitted label not yet acknowledged */
  #unacknowledged = new Map();
  #asked = 0;
  #exhausted = false;
  #started = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #answerTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  #changes = new Emitter();
  /** @type {QueueOptions} */
  #options;

  /** @param {QueueOptions} options */
  constructor(options) {
    this.#options = options;
  }

  /** @returns {Entry | null} */
  get current() {
    return this.#entries[0] ?? null;
  }

  /** @returns {readonly Entry[]} */
  get entries() {
    return this.#entries;
  }

  /** Whether a request for items is unanswered. */
  get waiting() {
    return this.#asked > 0;
  }

  /** Labels sent whose acknowledgement has not arrived. */
  get unacknowledged() {
    return this.#unacknowledged.size;
  }

  /**
   * @param {() => void} listener
   * @returns {() => void}
   */
  onChange(listener) {
    return this.#changes.on("change", listener);
  }

  start() {
    if (this.#started) return;
    this.#started = true;
    this.refill();
  }

  /** Give the leases back and empty the buffer. */
  stop() {
    this.#started = false;
    clearTimeout(this.#answerTimer);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const leases = this.#leasedEntries().map((entry) => /** @type {string} */ (entry.item.lease));
    if (leases.length > 0) this.#options.send({ type: "release", leases });
    this.#entries = [];
    this.#asked = 0;
    this.#exhausted = false;
    this.#changed();
  }

  /**
   * Take in an `items` message: items opened from history go in front (shown
   * next), leased ones at the back.
   * @param {Item[]} items
   * @param {DataView[]} buffers
   */
  receive(items, buffers) {
    const leased = items.filter((item) => !item.relabel);
    const opened = items.filter((item) => item.relabel);
    if (leased.length > 0 || items.length === 0) this.#answered(leased.length);
    for (const item of leased) {
      if (!this.#holdsLease(item.lease)) this.#entries.push(newEntry(item, buffers));
    }
    for (const item of opened.reverse()) this.#putFirst(item, buffers);
    this.#changed();
    this.refill();
  }

  /**
   * The item an undo gave back: shown next.
   * @param {Item} item
   * @param {DataView[]} buffers
   */
  receiveUndone(item, buffers) {
    this.#putFirst(item, buffers);
    this.#changed();
  }

  /**
   * Label the current item and move on.
   * @param {LabelValue} value
   * @returns {boolean} false when there is no current item
   */
  label(value) {
    const entry = this.#entries.shift();
    if (!entry) return false;
    const { item } = entry;
    if (item.relabel || item.lease == null) {
      this.#options.send({ type: "relabel", key: item.key, value });
    } else {
      this.#options.send({ type: "submit", lease: item.lease, value, time_taken: secondsShown(entry) });
      this.#unacknowledged.set(item.lease, item.key);
    }
    this.#advanced();
    return true;
  }

  /** Skip the current item (an item opened from history is just closed). */
  skip() {
    const entry = this.#entries.shift();
    if (!entry) return false;
    if (!entry.item.relabel && entry.item.lease != null) {
      this.#options.send({ type: "skip", lease: entry.item.lease });
    }
    this.#advanced();
    return true;
  }

  undo() {
    this.#options.send({ type: "undo" });
  }

  /** @param {string} key */
  open(key) {
    this.#options.send({ type: "open", key });
  }

  /** @param {{lease?: string}} ack */
  acknowledge(ack) {
    if (ack.lease) this.#unacknowledged.delete(ack.lease);
  }

  /**
   * Take in an `error`. An error naming a buffered item's lease means that
   * lease is gone (expired): the item is dropped.
   * @param {{message: string, lease?: string}} error
   * @returns {string} what to tell the person
   */
  fail(error) {
    const message = String(error.message ?? "unknown error");
    if (!error.lease) return message;
    const key = this.#unacknowledged.get(error.lease);
    this.#unacknowledged.delete(error.lease);
    const index = this.#entries.findIndex((entry) => entry.item.lease === error.lease);
    if (index >= 0) {
      const [dropped] = this.#entries.splice(index, 1);
      this.#changed();
      this.refill();
      return `Item ${dropped.item.key} was dropped: ${message}`;
    }
    return key === undefined ? message : `Your label for item ${key} was not saved: ${message}`;
  }

  /** Ask again now, for instance once the project has new items. */
  poke() {
    this.#exhausted = false;
    this.refill();
  }

  /** Ask for items if fewer than `prefetch` wait behind the current one. */
  refill() {
    if (!this.#started || this.#asked > 0 || !this.#options.mayAsk()) return;
    if (this.#exhausted) {
      if (this.#entries.length === 0) this.#retryLater();
      return;
    }
    const missing = Math.max(0, this.#options.prefetch()) + 1 - this.#leasedEntries().length;
    if (missing > 0) this.#ask(missing);
  }

  /** @param {number} n */
  #ask(n) {
    this.#asked = n;
    this.#options.send({ type: "more", n });
    this.#answerTimer = setTimeout(() => {
      this.#asked = 0;
      this.refill();
    }, ANSWER_TIMEOUT_MS);
  }

  /** @param {number} count */
  #answered(count) {
    clearTimeout(this.#answerTimer);
    if (count < this.#asked) this.#exhausted = true;
    this.#asked = 0;
  }

  #retryLater() {
    if (this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.poke();
    }, RETRY_MS);
  }

  #advanced() {
    // The server may have more by now: when the buffer runs dry, ask straight away.
    if (this.#entries.length === 0) this.#exhausted = false;
    this.#changed();
    this.refill();
  }

  /**
   * @param {Item} item
   * @param {DataView[]} buffers
   */
  #putFirst(item, buffers) {
    this.#entries = this.#entries.filter((entry) => !sameItem(entry.item, item));
    this.#entries.unshift(newEntry(item, buffers));
  }

  /** @param {string | null} lease */
  #holdsLease(lease) {
    return lease != null && this.#entries.some((entry) => entry.item.lease === lease);
  }

  #leasedEntries() {
    return this.#entries.filter((entry) => !entry.item.relabel && entry.item.lease != null);
  }

  #changed() {
    // time_taken counts from the latest moment an item came on screen.
    this.#entries.forEach((entry, index) => {
      if (index > 0) entry.shownAt = null;
      else if (entry.shownAt === null) entry.shownAt = performance.now();
    });
    this.#changes.emit("change");
  }
}

/**
 * @param {Item} item
 * @param {DataView[]} buffers
 * @returns {Entry}
 */
function newEntry(item, buffers) {
  return { item, buffers, shownAt: null };
}

/**
 * @param {Item} a
 * @param {Item} b
 */
function sameItem(a, b) {
  if (a.lease != null && b.lease != null) return a.lease === b.lease;
  return a.relabel && b.relabel && a.key === b.key;
}

/** @param {Entry} entry */
function secondsShown(entry) {
  if (entry.shownAt === null) return 0;
  return Math.round(performance.now() - entry.shownAt) / 1000;
}
