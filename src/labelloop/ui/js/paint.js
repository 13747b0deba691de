/**
 * Record how long a key press took to paint the next item: from the keydown
 * to the first animation frame after the item's DOM is in place and its
 * image decoded. Benchmarks read `window.__labelloopPaints` (ms).
 * @param {number} keydownAt  the event's timeStamp (same clock as performance.now)
 * @param {Promise<void>} ready  settles once the new item can paint
 */
export function recordPaint(keydownAt, ready) {
  ready.then(() =>
    requestAnimationFrame(() => {
      const paints = (window.__labelloopPaints ??= []);
      paints.push(performance.now() - keydownAt);
      if (paints.length > MAX_KEPT) paints.splice(0, paints.length - MAX_KEPT);
    }),
  );
}

const MAX_KEPT = 10000;
