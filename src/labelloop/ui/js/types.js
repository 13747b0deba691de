// Shapes shared by the modules: anywidget's model contract and the messages
// of docs/ui-protocol.md. This file only declares types.

/** @typedef {(...args: any[]) => void} Handler */

/**
 * The model anywidget hands a widget; host.js offers the same over a WebSocket.
 * @typedef {object} Model
 * @property {(key: string) => any} get
 * @property {(key: string, value: unknown) => void} set
 * @property {() => void} save_changes
 * @property {(content: unknown, callbacks?: unknown, buffers?: (ArrayBuffer | ArrayBufferView)[]) => void} send
 * @property {(name: string, handler: Handler) => void} on
 * @property {(name?: string | null, handler?: Handler | null) => void} off
 */

/**
 * @typedef {object} Config
 * @property {string} project
 * @property {string} annotator
 * @property {string[]} options
 * @property {string[]} hotkeys
 * @property {boolean} multilabel
 * @property {boolean} allow_other
 * @property {boolean} free_text
 * @property {boolean} has_model
 * @property {number} prefetch
 */

/**
 * @typedef {object} Progress
 * @property {number} total
 * @property {number} done
 * @property {number} mine
 * @property {number} remaining
 */

/**
 * @typedef {object} ModelInfo
 * @property {number | null} score
 * @property {number} n_labels
 * @property {boolean} settled
 * @property {{n_labels: number[], score: number[]}} curve
 * @property {boolean} training
 */

/** @typedef {"loading" | "labelling" | "finished" | "error"} Status */

/** @typedef {{kind: "image", mime: string, width: number, height: number, buffer: number}} ImageDisplay */
/** @typedef {{kind: "text", text: string}} TextDisplay */
/** @typedef {{kind: "table", rows: [unknown, unknown][]}} TableDisplay */
/** @typedef {{kind: "html", html: string}} HtmlDisplay */
/** @typedef {ImageDisplay | TextDisplay | TableDisplay | HtmlDisplay} Display */

/** @typedef {string | string[]} LabelValue */

/**
 * @typedef {object} Item
 * @property {string | null} lease  null for an item opened from history (relabel mode)
 * @property {string} key
 * @property {boolean} relabel
 * @property {LabelValue | null} current
 * @property {Display} display
 * @property {{label: string, confidence: number} | null} [hint]
 */

/**
 * @typedef {object} HistoryEntry
 * @property {string} key
 * @property {LabelValue} value
 * @property {number | string} label_id
 * @property {string} created_at
 */

/**
 * Messages Python → JS.
 * @typedef {{type: "items", items: Item[]}
 *   | {type: "ack", lease?: string, key?: string, label_id?: number | string}
 *   | {type: "undone", item: Item}
 *   | {type: "history", entries: HistoryEntry[], offset: number, more: boolean}
 *   | {type: "error", message: string, lease?: string}} ServerMessage
 */

/**
 * Messages JS → Python.
 * @typedef {{type: "more", n: number}
 *   | {type: "submit", lease: string, value: LabelValue, time_taken: number}
 *   | {type: "skip", lease: string}
 *   | {type: "undo"}
 *   | {type: "history", offset: number}
 *   | {type: "open", key: string}
 *   | {type: "relabel", key: string, value: LabelValue}
 *   | {type: "release", leases: string[]}
 *   | {type: "retrain"}} ClientMessage
 */

/**
 * What every mounted piece of the interface gives back.
 * @typedef {object} Part
 * @property {HTMLElement} element
 * @property {() => void} destroy
 */

export {};
