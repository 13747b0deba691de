// A fake of labelloop's Python side, running in the test page: the `model`
// anywidget would give the widget, and a session that answers the protocol's
// messages (docs/ui-protocol.md) from a scripted pool of items. It records
// what the widget sends so tests can check it.
//
// Item specs come from the test: {key, display, hint?}; an image display
// carries its bytes as base64 in `display.data`, which travels as a buffer.

/**
 * @param {{state: Record<string, any>, items: any[]}} scenario
 */
export function createFakeHost(scenario) {
  const state = structuredClone(scenario.state);
  const dirty = new Set();
  /** @type {Map<string, Set<Function>>} */
  const handlers = new Map();
  const pool = [...scenario.items];
  const specs = new Map(scenario.items.map((spec) => [spec.key, spec]));
  /** lease → item key, for every lease handed out */
  const leases = new Map();
  /** my labels, oldest first: {key, value, label_id, created_at} */
  const labels = [];
  let leaseCount = 0;
  let labelCount = 0;

  const emit = (name, ...args) => {
    for (const handler of [...(handlers.get(name) ?? [])]) handler(...args);
  };

  const model = {
    get: (key) => state[key],
    set(key, value) {
      state[key] = value;
      dirty.add(key);
      emit(`change:${key}`);
      emit("change");
    },
    save_changes() {
      if (dirty.size === 0) return;
      const payload = {};
      for (const key of dirty) payload[key] = state[key];
      dirty.clear();
      fake.updates.push(payload);
    },
    send(content, _callbacks, buffers = []) {
      fake.sent.push({ content: structuredClone(content), buffers: buffers.map(bytesOf) });
      answer(content);
    },
    on(name, handler) {
      if (!handlers.has(name)) handlers.set(name, new Set());
      handlers.get(name).add(handler);
    },
    off(name, handler) {
      if (name == null) handlers.clear();
      else if (handler == null) handlers.delete(name);
      else handlers.get(name)?.delete(handler);
    },
  };

  const fake = {
    model,
    /** every message the widget sent: {content, buffers} */
    sent: [],
    /** the type of every message delivered to the widget */
    delivered: [],
    /** every save_changes payload */
    updates: [],
    /** replies held back while `hold` is true */
    held: [],
    hold: false,
    latencyMs: 0,
    /** leases whose submit fails as expired */
    failLeases: [],
    /** Deliver the replies held back. */
    release() {
      for (const [content, buffers] of fake.held.splice(0)) deliver(content, buffers);
    },
    /** A state change from the Python side: fires change events, not dirty. */
    setState(key, value) {
      state[key] = value;
      emit(`change:${key}`);
      emit("change");
    },
    /** A message from the Python side, now. */
    push(content, buffers = []) {
      deliver(content, buffers);
    },
    sentOfType(type) {
      return fake.sent.filter((message) => message.content.type === type).map((message) => message.content);
    },
    leaseOf(key) {
      return [...leases].filter(([, itemKey]) => itemKey === key).map(([lease]) => lease).pop() ?? null;
    },
    listenerCount() {
      return [...handlers.values()].reduce((count, set) => count + set.size, 0);
    },
  };

  function answer(content) {
    switch (content.type) {
      case "more":
        return reply(...itemsMessage(pool.splice(0, content.n).map((spec) => leased(spec))));
      case "submit":
        return submit(content);
      case "skip":
        return reply({ type: "ack", lease: content.lease, label_id: null });
      case "undo":
        return undo();
      case "history":
        return history(content.offset);
      case "open":
        return open(content.key);
      case "relabel":
        return relabel(content);
    }
  }

  function submit({ lease, value }) {
    if (fake.failLeases.includes(lease)) return reply({ type: "error", message: "lease expired", lease });
    const label = { key: leases.get(lease), value, label_id: ++labelCount, created_at: new Date().toISOString() };
    labels.push(label);
    return reply({ type: "ack", lease, label_id: label.label_id });
  }

  function undo() {
    const last = labels.pop();
    if (!last) return reply({ type: "error", message: "nothing to undo" });
    const [message, buffers] = itemsMessage([leased(specs.get(last.key))]);
    return reply({ type: "undone", item: message.items[0] }, buffers);
  }

  function history(offset) {
    const entries = [...labels].reverse();
    reply({ type: "history", entries: entries.slice(offset, offset + 20), offset, more: entries.length > offset + 20 });
  }

  function open(key) {
    const label = labels.find((entry) => entry.key === key);
    if (!label) return reply({ type: "error", message: `no label of yours for item ${key}` });
    const [message, buffers] = itemsMessage([{ spec: specs.get(key), lease: null }]);
    Object.assign(message.items[0], { relabel: true, current: label.value });
    return reply(message, buffers);
  }

  function relabel({ key, value }) {
    const label = labels.find((entry) => entry.key === key);
    if (label) label.value = value;
    reply({ type: "ack", key, label_id: label?.label_id ?? null });
  }

  function leased(spec) {
    const lease = `lease-${spec.key}-${++leaseCount}`;
    leases.set(lease, spec.key);
    return { spec, lease };
  }

  /** @param {{spec: any, lease: string | null}[]} picks */
  function itemsMessage(picks) {
    const buffers = [];
    const items = picks.map(({ spec, lease }) => {
      const { data, ...display } = spec.display;
      if (data !== undefined) {
        display.buffer = buffers.length;
        buffers.push(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
      }
      return { lease, key: spec.key, relabel: false, current: null, display, hint: spec.hint ?? null };
    });
    return [{ type: "items", items }, buffers];
  }

  function reply(content, buffers = []) {
    if (fake.hold) fake.held.push([content, buffers]);
    else setTimeout(() => deliver(content, buffers), fake.latencyMs);
  }

  function deliver(content, buffers) {
    fake.delivered.push(content.type);
    // Jupyter hands buffers to msg:custom handlers as DataViews.
    emit("msg:custom", structuredClone(content), buffers.map((bytes) => new DataView(bytes.buffer.slice(0))));
  }

  return fake;
}

function bytesOf(buffer) {
  const view = ArrayBuffer.isView(buffer) ? buffer : new Uint8Array(buffer);
  return [...new Uint8Array(view.buffer, view.byteOffset, view.byteLength)];
}
