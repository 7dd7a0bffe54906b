import { useApp } from "../../stores/store";
import { keysLabel } from "./shortcuts";

/** Under the viewer: what the cursor points at, the mouse hints, and the shortcuts dialog's button. */
export function CursorReadout() {
  const location = useApp((s) => s.location);
  const hints = "Scroll or ↑/↓: slices · Right-drag: window/level";
  // the readout comes first: the hints show only where a scan's longest readout (~560 px) still fits beside them
  return (
    <div className="flex shrink-0 items-center gap-x-3 whitespace-nowrap border-t border-slate-800 bg-slate-900/60 px-3 py-1.5 text-xs text-slate-400 @wide:gap-x-4">
      <span className="hidden shrink-0 @wide:inline">Cursor</span>
      <p role="note" aria-label="Cursor" className="min-w-0 flex-1 truncate font-mono tabular-nums text-slate-200">
        {location || "—"}
      </p>
      <span className="hidden shrink-0 text-slate-500 @wide:inline @roomy:hidden">Scroll: slices · Right-drag: window</span>
      <span className="hidden shrink-0 text-slate-500 @roomy:inline">{hints}</span>
      <button
        type="button"
        onClick={() => useApp.getState().setShortcutsOpen(true)}
        aria-label={`Shortcuts ${keysLabel("help")}`}
        title={`Keyboard shortcuts (${keysLabel("help")}) · ${hints}`}
        className="shrink-0 rounded border border-slate-700 px-1.5 py-0.5 text-slate-300 hover:bg-slate-800 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-400"
      >
        <span className="hidden @wide:inline">Shortcuts </span>
        <kbd className="font-mono text-slate-400">{keysLabel("help")}</kbd>
      </button>
    </div>
  );
}
