import { createDisplay } from "./display/index.js";
import { focusWhenAttached, h, hasCommandModifier, hasFocusWithin, isTyping, show } from "./dom.js";
import { inputFor } from "./inputs/index.js";
import { asList } from "./inputs/values.js";
import { recordPaint } from "./paint.js";
import { mountChart } from "./panels/chart.js";
import { mountControls } from "./panels/controls.js";
import { mountHint } from "./panels/hint.js";
import { mountHistory } from "./panels/history.js";
import { mountNotice } from "./panels/notice.js";
import { mountProgress } from "./panels/progress.js";
import { mountRetrain } from "./panels/retrain.js";
import { injectStyles } from "./styles.js";

/** @typedef {import("./queue.js").Entry} Entry */
/** @typedef {import("./session.js").Session} Session */
/** @typedef {import("./display/index.js").DisplayView} DisplayView */
/** @typedef {import("./inputs/index.js").InputHandle} InputHandle */

/**
 * One rendering of a session into an element. Shows the queue's current
 * item; the items behind it are built (images decoded) ahead of time, so a
 * key press only swaps DOM nodes.
 */
export class View {
  /** @type {Session} */
  #session;
  #root = h("div", { className: "labelloop", attrs: { tabindex: "0", "data-lm-suppress-shortcuts": "true" } });
  #banner = h("div", { className: "ll-banner" });
  #waiting = h("div", { className: "ll-waiting", attrs: { role: "status" } });
  #finished = h("div", { className: "ll-finished" });
  #displayBox = h("div", { className: "ll-display" });
  #inputBox = h("div", { className: "ll-input" });
  #itemBox = h("div", { className: "ll-item" });
  /** @type {Map<Entry, DisplayView>} */
  #prepared = new Map();
  /** @type {Entry | null} */
  #shown = null;
  /** @type {InputHandle | null} */
  #input = null;
  /** The timeStamp of the key press being handled, for paint timing. @type {number | null} */
  #keyStamp = null;
  /** @type {(() => void)[]} */
  #cleanups = [];
  #hint;
  #history;

  /**
   * @param {Session} session
   * @param {HTMLElement} el
   */
  constructor(session, el) {
    this.#session = session;
    injectStyles(el);
    this.#hint = this.#keep(mountHint(session));
    this.#history = this.#keep(mountHistory(session, () => this.#takeFocus()));
    this.#build(session);
    el.append(this.#root);
    this.#listen(session);
    session.attach();
    this.#sync();
    focusWhenAttached(this.#root);
  }

  destroy() {
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#input?.destroy();
    for (const display of this.#prepared.values()) display.destroy();
    this.#prepared.clear();
    this.#root.remove();
    this.#session.detach();
  }

  /** @param {Session} session */
  #build(session) {
    const controls = this.#keep(
      mountControls({ skip: () => session.skip(), undo: () => session.undo(), back: () => this.#toggleHistory() }),
    );
    this.#itemBox.append(this.#displayBox, this.#hint.element, this.#inputBox);
    const main = h("div", { className: "ll-main" }, [
      this.#banner,
      this.#waiting,
      this.#finished,
      this.#itemBox,
      h("div", { className: "ll-actions" }, [controls.element, this.#keep(mountRetrain(session)).element]),
      this.#keep(mountNotice(session)).element,
    ]);
    const side = h("div", { className: "ll-side" }, [this.#keep(mountChart(session.model)).element, this.#history.element]);
    this.#root.append(this.#keep(mountProgress(session.model)).element, h("div", { className: "ll-body" }, [main, side]));
  }

  /** @param {Session} session */
  #listen(session) {
    const { model } = session;
    const remountInput = () => this.#showEntry(this.#shown, true);
    const onPageHide = () => session.queue.stop();
    /** @param {PageTransitionEvent} event */
    const onPageShow = (event) => event.persisted && session.queue.start();
    this.#root.addEventListener("keydown", this.#onKeydown);
    this.#root.addEventListener("click", this.#keepFocus);
    window.addEventListener("pagehide", onPageHide);
    window.addEventListener("pageshow", onPageShow);
    model.on("change:status", this.#renderStage);
    model.on("change:config", remountInput);
    model.on("change:progress", this.#renderStage);
    this.#cleanups.push(
      session.on("queue", this.#sync),
      () => this.#root.removeEventListener("keydown", this.#onKeydown),
      () => this.#root.removeEventListener("click", this.#keepFocus),
      () => window.removeEventListener("pagehide", onPageHide),
      () => window.removeEventListener("pageshow", onPageShow),
      () => model.off("change:status", this.#renderStage),
      () => model.off("change:config", remountInput),
      () => model.off("change:progress", this.#renderStage),
    );
  }

  /**
   * @template {import("./types.js").Part} P
   * @param {P} part
   * @returns {P}
   */
  #keep(part) {
    this.#cleanups.push(() => part.destroy());
    return part;
  }

  /** Follow the queue: build displays for new entries, show the head, drop the rest. */
  #sync = () => {
    const entries = this.#session.queue.entries;
    for (const entry of entries) {
      if (!this.#prepared.has(entry)) this.#prepared.set(entry, createDisplay(entry.item.display, entry.buffers));
    }
    const current = this.#session.queue.current;
    if (current !== this.#shown) this.#showEntry(current);
    for (const [entry, display] of this.#prepared) {
      if (entry !== this.#shown && !entries.includes(entry)) {
        display.destroy();
        this.#prepared.delete(entry);
      }
    }
    this.#renderStage();
  };

  /**
   * @param {Entry | null} entry
   * @param {boolean} [sameItem]  true when only the input is rebuilt
   */
  #showEntry(entry, sameItem = false) {
    const hadFocus = hasFocusWithin(this.#root);
    this.#input?.destroy();
    this.#input = null;
    this.#inputBox.replaceChildren();
    this.#shown = entry;
    const display = entry ? this.#prepared.get(entry) : undefined;
    if (!sameItem) this.#displayBox.replaceChildren(...(display ? [display.element] : []));
    this.#hint.showItem(entry?.item ?? null);
    if (entry) this.#input = this.#mountInput(entry);
    show(this.#itemBox, entry !== null); // a hidden field cannot take focus
    if (hadFocus) this.#takeFocus();
    if (display && !sameItem && this.#keyStamp !== null) recordPaint(this.#keyStamp, display.ready);
  }

  /**
   * @param {Entry} entry
   * @returns {InputHandle}
   */
  #mountInput(entry) {
    const config = this.#session.config;
    return inputFor(config).mount(this.#inputBox, {
      options: (config.options ?? []).map(String),
      hotkeys: (config.hotkeys ?? []).map(String),
      allowOther: Boolean(config.allow_other),
      current: entry.item.current ?? null,
      submit: (value) => {
        // A late submit from an input already replaced must not label the next item.
        if (this.#shown === entry) this.#session.label(value);
      },
    });
  }

  #renderStage = () => {
    const entry = this.#shown;
    const status = this.#session.model.get("status");
    show(this.#itemBox, entry !== null);
    this.#renderBanner(entry);
    this.#renderFinished(entry === null && status === "finished");
    const waiting = entry === null && status !== "finished" ? this.#waitingText(status) : "";
    this.#waiting.textContent = waiting;
    show(this.#waiting, waiting !== "");
  };

  /** @param {Entry | null} entry */
  #renderBanner(entry) {
    const item = entry?.item;
    const relabelling = Boolean(item?.relabel);
    show(this.#banner, relabelling);
    if (!item || !relabelling) return;
    const current = asList(item.current).join(", ");
    this.#banner.textContent = `Relabelling item ${item.key}${current ? ` — your label: ${current}` : ""}`;
  }

  /** @param {boolean} finished */
  #renderFinished(finished) {
    show(this.#finished, finished);
    if (!finished) return;
    const mine = this.#session.model.get("progress")?.mine;
    this.#finished.replaceChildren(
      h("h2", { text: "All done" }),
      h("p", { text: "Every item in this project has its labels." }),
      ...(mine !== undefined ? [h("p", { text: `You labelled ${mine}.` })] : []),
    );
  }

  /** @param {string} status */
  #waitingText(status) {
    if (status === "error") return "Labelling has stopped.";
    if (status === "loading" || this.#session.queue.waiting) return "Loading items…";
    return "No items are free right now (others are labelling them); checking again…";
  }

  #toggleHistory() {
    if (this.#session.history.open) this.#session.closeHistory();
    else this.#session.openHistory();
  }

  #takeFocus() {
    this.#root.focus({ preventScroll: true });
    this.#input?.focus();
  }

  /**
   * A click can leave focus nowhere: its button was removed (the next item's
   * input replaced it) or disabled itself (Retrain). Keys must still work.
   */
  #keepFocus = () => {
    const active = this.#root.ownerDocument.activeElement;
    const lost = !hasFocusWithin(this.#root) || (active instanceof HTMLButtonElement && active.disabled);
    if (lost && this.#root.isConnected) this.#takeFocus();
  };

  /** @param {KeyboardEvent} event */
  #onKeydown = (event) => {
    if (hasCommandModifier(event) || event.isComposing) return;
    const typing = isTyping(event);
    if (typing && event.key !== "Enter" && event.key !== "Escape") return;
    if (this.#session.history.open) {
      if (this.#history.onKey(event)) consume(event);
      return;
    }
    if (event.repeat && !typing) {
      consume(event); // holding a key down must not label a run of items
      return;
    }
    this.#keyStamp = event.timeStamp;
    try {
      if (this.#handleKey(event, typing)) consume(event);
    } finally {
      this.#keyStamp = null;
    }
  };

  /**
   * @param {KeyboardEvent} event
   * @param {boolean} typing
   * @returns {boolean} whether the key was used
   */
  #handleKey(event, typing) {
    if (event.key === "Escape") {
      if (typing) this.#root.focus({ preventScroll: true });
      return typing;
    }
    if (!typing) {
      switch (event.key) {
        case "ArrowRight":
          this.#session.skip();
          return true;
        case "Backspace":
          this.#session.undo();
          return true;
        case "ArrowLeft":
          this.#toggleHistory();
          return true;
      }
    }
    return this.#input?.onKey(event) ?? false;
  }
}

/** @param {KeyboardEvent} event */
function consume(event) {
  event.preventDefault();
  event.stopPropagation();
}
