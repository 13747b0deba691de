interface Window {
  /** Milliseconds from an advancing key press to the next item's paint (see paint.js). */
  __labelloopPaints?: number[];
}
