// niivue's own canvas keys (V cycles views behind the app's back, M changes what a drag does,
// ? opens an alert, C clip planes...) are kept from it: the app's keys are one table
// (shortcuts.ts), handled on the window.

/** Keep key events on `canvas` from niivue's listeners (captured on `host`, its parent); returns the undo. */
export function swallowNiivueKeys(host: HTMLElement, canvas: HTMLCanvasElement): () => void {
  const swallow = (e: KeyboardEvent) => {
    if (e.target === canvas) e.stopPropagation();
  };
  host.addEventListener("keydown", swallow, { capture: true });
  host.addEventListener("keyup", swallow, { capture: true });
  return () => {
    host.removeEventListener("keydown", swallow, { capture: true });
    host.removeEventListener("keyup", swallow, { capture: true });
  };
}
