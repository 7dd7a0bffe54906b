import { useApp } from "../../stores/store";
import { keysLabel } from "./shortcuts";

/** Under the viewer: what the cursor points at, the mouse hints, and the shortcuts dialog's button. */
export function CursorReadout() {
  const location = useApp((s) => s.location);
  return (
    <div className="flex flex-wrap items-center gap-x-4 border-t border-slate-800 bg-slate-900/60 px-3 py-1.5 text-xs text-slate-400">
      <span className="shrink-0">Cursor</span>
      <p role="note" aria-label="Cursor" className="min-w-0 flex-1 truncate font-mono tabular-nums text-slate-200">
        {location || "—"}
      </p>
      <span className="hidden shrink-0 text-slate-500 lg:inline">Scroll or ↑/↓: slices · Right-drag: window/level</span>
      <button
        type="button"
        onClick={() => useApp.getState().setShortcutsOpen(true)}
        title={`Keyboard shortcuts (${keysLabel("help")})`}
        className="shrink-0 rounded border border-slate-700 px-1.5 py-0.5 text-slate-300 hover:bg-slate-800 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-400"
      >
        Shortcuts <kbd className="font-mono text-slate-400">{keysLabel("help")}</kbd>
      </button>
    </div>
  );
}
