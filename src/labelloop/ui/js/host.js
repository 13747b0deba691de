// The page's stand-in for anywidget: the same `model` over a WebSocket.
//
// Wire format (the Python side speaks the same):
//   server → client  {"type":"state","state":{…}}        full state; first frame of every connection
//                    {"type":"update","state":{k: v}}     fires change:k, then change; not dirty
//                    {"type":"custom","content":…,"buffers":N} then N binary frames → msg:custom
//   client → server  {"type":"update","state":{…}}        save_changes: the dirty keys only
//                    {"type":"custom","content":…,"buffers":N} then N binary frames (send)
import { Emitter } from "./emitter.js";
import { injectStyles } from "./styles.js";
import widget from "./widget.js";

/** @typedef {import("./types.js").Model} Model */
/** @typedef {import("./types.js").Handler} Handler */
/** @typedef {"lost" | "restored"} ConnectionEvent */
/** @typedef {string | ArrayBuffer} Frame */

const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 8000;
/** Frames kept while the connection is down; past this the oldest go. */
const OUTBOX_LIMIT = 1000;

/**
 * anywidget's model over a WebSocket, which reconnects by itself.
 * @implements {Model}
 */
export class SocketModel {
  /** @type {Record<string, unknown>} */
  #state = {};
  /** @type {Set<string>} */
  #dirty = new Set();
  #events = new Emitter();
  #connection = new Emitter();
  /** @type {WebSocket | null} */
  #socket = null;
  #ready = false;
  #closed = false;
  #attempt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** Messages sent while disconnected, each a JSON frame and its binary frames. @type {Frame[][]} */
  #outbox = [];
  /** A custom message still waiting for its binary frames. @type {{content: unknown, expected: number, buffers: DataView[]} | null} */
  #incoming = null;
  /** @type {string} */
  #url;
  /** @type {((model: SocketModel) => void) | null} */
  #onFirstState;
  /** @type {((error: Error) => void) | null} */
  #onFirstFailure;

  /**
   * Use `connect(url)`, which waits for the first state.
   * @param {string} url
   * @param {(model: SocketModel) => void} onFirstState
   * @param {(error: Error) => void} onFirstFailure
   */
  constructor(url, onFirstState, onFirstFailure) {
    this.#url = url;
    this.#onFirstState = onFirstState;
    this.#onFirstFailure = onFirstFailure;
    this.#open();
  }

  /** Whether the socket is open and its state has arrived. */
  get connected() {
    return this.#ready;
  }

  /** @param {string} key */
  get(key) {
    return this.#state[key];
  }

  /**
   * @param {string} key
   * @param {unknown} value
   */
  set(key, value) {
    this.#state[key] = value;
    this.#dirty.add(key);
    this.#announce([key]);
  }

  save_changes() {
    if (this.#dirty.size === 0) return;
    /** @type {Record<string, unknown>} */
    const state = {};
    for (const key of this.#dirty) state[key] = this.#state[key];
    this.#dirty.clear();
    this.#transmit([JSON.stringify({ type: "update", state })]);
  }

  /**
   * @param {unknown} content
   * @param {unknown} [_callbacks]  anywidget's signature; nothing answers them here
   * @param {(ArrayBuffer | ArrayBufferView)[]} [buffers]
   */
  send(content, _callbacks, buffers = []) {
    const header = JSON.stringify({ type: "custom", content, buffers: buffers.length });
    this.#transmit([header, ...buffers.map(toArrayBuffer)]);
  }

  /**
   * @param {string} name  "change:<key>", "change" or "msg:custom"
   * @param {Handler} handler
   */
  on(name, handler) {
    this.#events.on(name, handler);
  }

  /**
   * @param {string | null} [name]
   * @param {Handler | null} [handler]
   */
  off(name, handler) {
    this.#events.off(name, handler);
  }

  /**
   * Hear when the connection drops ("lost") and when a new one has its state ("restored").
   * @param {(event: ConnectionEvent) => void} listener
   * @returns {() => void}
   */
  onConnection(listener) {
    return this.#connection.on("connection", listener);
  }

  /** Close for good: no reconnecting. */
  close() {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#socket?.close(1000);
  }

  #open() {
    const socket = new WebSocket(this.#url);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = () => this.#closedSocket(socket);
    this.#socket = socket;
  }

  /** @param {Frame} data */
  #receive(data) {
    if (typeof data !== "string") {
      this.#receiveBuffer(data);
      return;
    }
    if (this.#incoming) {
      console.warn("labelloop: a message arrived before the previous one's buffers; dropped it");
      this.#incoming = null;
    }
    const frame = JSON.parse(data);
    if (frame.type === "state") this.#receiveState(frame.state ?? {});
    else if (frame.type === "update") this.#receiveUpdate(frame.state ?? {});
    else if (frame.type === "custom") this.#receiveCustom(frame.content, Number(frame.buffers ?? 0));
  }

  /** @param {Record<string, unknown>} state */
  #receiveState(state) {
    const first = this.#onFirstState !== null;
    const changed = Object.keys({ ...this.#state, ...state }).filter(
      (key) => JSON.stringify(this.#state[key]) !== JSON.stringify(state[key]),
    );
    this.#state = { ...state };
    this.#dirty.clear();
    this.#ready = true;
    this.#attempt = 0;
    if (first) {
      this.#onFirstState?.(this);
      this.#onFirstState = this.#onFirstFailure = null;
      return;
    }
    this.#announce(changed);
    this.#flushOutbox();
    this.#connection.emit("connection", "restored");
  }

  /** @param {Record<string, unknown>} state */
  #receiveUpdate(state) {
    Object.assign(this.#state, state);
    this.#announce(Object.keys(state));
  }

  /**
   * @param {unknown} content
   * @param {number} expected
   */
  #receiveCustom(content, expected) {
    if (expected > 0) this.#incoming = { content, expected, buffers: [] };
    else this.#events.emit("msg:custom", content, []);
  }

  /** @param {ArrayBuffer} data */
  #receiveBuffer(data) {
    const incoming = this.#incoming;
    if (!incoming) {
      console.warn("labelloop: a binary frame arrived that no message announced; dropped it");
      return;
    }
    incoming.buffers.push(new DataView(data));
    if (incoming.buffers.length < incoming.expected) return;
    this.#incoming = null;
    this.#events.emit("msg:custom", incoming.content, incoming.buffers);
  }

  /** @param {string[]} keys */
  #announce(keys) {
    if (keys.length === 0) return;
    for (const key of keys) this.#events.emit(`change:${key}`);
    this.#events.emit("change");
  }

  /** @param {Frame[]} frames */
  #transmit(frames) {
    const socket = this.#socket;
    if (this.#ready && socket?.readyState === WebSocket.OPEN) {
      for (const frame of frames) socket.send(frame);
      return;
    }
    this.#outbox.push(frames);
    if (this.#outbox.length > OUTBOX_LIMIT) this.#outbox.shift();
  }

  #flushOutbox() {
    for (const frames of this.#outbox.splice(0)) this.#transmit(frames);
  }

  /** @param {WebSocket} socket */
  #closedSocket(socket) {
    if (socket !== this.#socket) return;
    const wasReady = this.#ready;
    this.#ready = false;
    this.#incoming = null;
    if (this.#closed) return;
    if (this.#onFirstFailure) {
      this.#onFirstFailure(new Error(`could not connect to ${this.#url}`));
      this.#onFirstState = this.#onFirstFailure = null;
      return;
    }
    if (wasReady) this.#connection.emit("connection", "lost");
    this.#retryTimer = setTimeout(() => this.#open(), retryDelay(this.#attempt++));
  }
}

/**
 * Open a model over the WebSocket at `url`; resolves once the first state has arrived.
 * @param {string} url  ws:// or wss://, or a path on this page's server
 * @returns {Promise<SocketModel>}
 */
export function connect(url) {
  return new Promise((resolve, reject) => {
    new SocketModel(toWebSocketUrl(url), resolve, reject);
  });
}

/**
 * @typedef {object} Widget
 * @property {(props: {model: Model}) => (void | (() => void))} [initialize]
 * @property {(props: {model: Model, el: HTMLElement}) => (void | (() => void))} render
 */

/**
 * Connect, then run the widget in `el` as anywidget would. When the
 * connection drops it says so and pauses the widget (the server releases a
 * dropped session's items, so labels made meanwhile could not be saved); when
 * it comes back, the widget starts afresh on the new session and asks for
 * items again. Resolves to the cleanup.
 * @param {HTMLElement} el
 * @param {string} wsUrl
 * @param {Widget} [app]
 * @returns {Promise<() => void>}
 */
export async function mountPage(el, wsUrl, app = widget) {
  injectStyles(el);
  const notice = document.createElement("div");
  notice.className = "labelloop-connection";
  notice.setAttribute("role", "status");
  const surface = document.createElement("div");
  surface.className = "labelloop-surface";
  el.replaceChildren(notice, surface);
  const model = await connectPatiently(wsUrl, notice);
  let stop = run(app, model, surface);
  const unsubscribe = model.onConnection((event) => {
    if (event === "lost") {
      tell(notice, "Connection lost, reconnecting…");
      pause(surface);
      return;
    }
    tell(notice, "");
    surface.inert = false;
    stop();
    stop = run(app, model, surface);
  });
  return () => {
    unsubscribe();
    stop();
    model.close();
    el.replaceChildren();
  };
}

/**
 * The first connection, tried until it works.
 * @param {string} wsUrl
 * @param {HTMLElement} notice
 * @returns {Promise<SocketModel>}
 */
async function connectPatiently(wsUrl, notice) {
  tell(notice, "Connecting…");
  for (let attempt = 0; ; attempt++) {
    try {
      const model = await connect(wsUrl);
      tell(notice, "");
      return model;
    } catch {
      tell(notice, "Cannot reach the server, retrying…");
      await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt)));
    }
  }
}

/**
 * @param {Widget} app
 * @param {Model} model
 * @param {HTMLElement} el
 * @returns {() => void}
 */
function run(app, model, el) {
  const endInitialize = app.initialize?.({ model });
  const endRender = app.render({ model, el });
  return () => {
    if (endRender) endRender();
    if (endInitialize) endInitialize();
  };
}

/**
 * No clicks, no keys: inert stops the pointer, and focus leaves too, since
 * Chromium lets an element keep focus (and get keys) after it became inert.
 * @param {HTMLElement} surface
 */
function pause(surface) {
  surface.inert = true;
  const focused = document.activeElement;
  if (focused instanceof HTMLElement && surface.contains(focused)) focused.blur();
}

/**
 * @param {HTMLElement} notice
 * @param {string} text
 */
function tell(notice, text) {
  notice.textContent = text;
  notice.hidden = text === "";
}

/**
 * Exponential backoff with jitter, so many tabs do not retry in step.
 * @param {number} attempt
 */
function retryDelay(attempt) {
  const ceiling = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/**
 * A copy of the bytes, so a message held while offline is not changed by its sender.
 * @param {ArrayBuffer | ArrayBufferView} buffer
 * @returns {ArrayBuffer}
 */
function toArrayBuffer(buffer) {
  const bytes = ArrayBuffer.isView(buffer)
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    : new Uint8Array(buffer);
  return bytes.slice().buffer;
}

/**
 * @param {string} url
 * @returns {string}
 */
export function toWebSocketUrl(url) {
  const resolved = new URL(url, window.location.href);
  if (resolved.protocol === "http:") resolved.protocol = "ws:";
  if (resolved.protocol === "https:") resolved.protocol = "wss:";
  return resolved.href;
}
