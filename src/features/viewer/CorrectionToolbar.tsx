import { ToggleButton } from "../../components/ToggleButton";
import { Toolbar } from "../../components/Toolbar";
import type { EditTool } from "../../stores/editSlice";
import { useApp } from "../../stores/store";
import { InterpolateButton } from "./InterpolateButton";
import { keysLabel } from "./shortcuts";

/** The correction tools, in toolbar order: the store's tool (null: navigate), its label, and its shortcut and use. */
const TOOLS: { tool: EditTool | null; label: string; title: string }[] = [
  { tool: null, label: "Navigate", title: `${keysLabel("tool-navigate")} or ${keysLabel("cancel")}` },
  { tool: "brush", label: "Brush", title: `${keysLabel("tool-brush")}: paint the class chosen in the Mask legend` },
  { tool: "eraser", label: "Eraser", title: `${keysLabel("tool-eraser")}: paint background` },
  { tool: "fill", label: "Fill", title: `${keysLabel("tool-fill")}: click a region of the slice to give it the class chosen in the Mask legend` },
];

/** Mask correction: tool, brush size, undo/redo, and the slices corrected so far; disabled until there is a mask. */
export function CorrectionToolbar() {
  const hasMask = useApp((s) => s.result !== null);
  const hasScan = useApp((s) => s.scan !== null);
  const tool = useApp((s) => s.editTool);
  const brushMm = useApp((s) => s.brushMm);
  const undoCount = useApp((s) => s.undoStack.length);
  const redoCount = useApp((s) => s.redoStack.length);
  const corrected = useApp((s) => s.result?.corrected);
  const editClass = useApp((s) => s.manifest?.classes.find((c) => c.index === s.editClass));
  const { setEditTool, setBrushMm, undo, redo } = useApp.getState();

  const small = "rounded border border-slate-700 bg-slate-800 px-2 py-0.5 text-xs text-slate-200 hover:bg-slate-700 disabled:opacity-40";
  const slices = [...new Set((corrected ?? []).map((c) => c.index))].sort((a, b) => a - b);
  const corrections = (listed: number[]) => `${slices.length} slice${slices.length > 1 ? "s" : ""} corrected: ${listed.join(", ")}`;
  const status = !hasScan
    ? "Open and segment a scan to correct its mask"
    : !hasMask
      ? "Segment the scan to correct its mask"
      : slices.length
        ? `${corrections(slices.slice(0, 6))}${slices.length > 6 ? ", …" : ""}`
        : "No slice corrected";
  return (
    <Toolbar label="Correction toolbar" className="border-b bg-slate-900/40 py-1.5">
      <span className="hidden font-semibold uppercase tracking-wide text-amber-300 @wide:inline">Correct</span>
      <div role="group" aria-label="Mask tool" className="inline-flex shrink-0 overflow-hidden rounded-md border border-slate-700">
        {TOOLS.map((t) => (
          <ToggleButton key={t.label} pressed={tool === t.tool} onClick={() => setEditTool(t.tool)} tone="amber" title={t.title} disabled={!hasMask}>
            {t.label}
          </ToggleButton>
        ))}
      </div>
      {(tool === "brush" || tool === "fill") && editClass && <span className="hidden text-slate-400 @wide:inline">painting {editClass.name}</span>}
      <label className="flex shrink-0 items-center gap-1.5" title="Brush size">
        <span className="hidden @wide:inline">Size</span>
        <input type="range" aria-label="Brush size" disabled={!hasMask} min={1} max={20} step={1} value={brushMm} onChange={(e) => setBrushMm(e.target.valueAsNumber)} className="w-20 accent-amber-500 disabled:opacity-40 @wide:w-24" />
        <span className="w-10 tabular-nums text-slate-400">{brushMm} mm</span>
      </label>
      <button type="button" className={small} disabled={!undoCount} onClick={undo} title={keysLabel("undo")}>
        Undo{undoCount ? ` (${undoCount})` : ""}
      </button>
      <button type="button" className={small} disabled={!redoCount} onClick={redo} title={keysLabel("redo")}>
        Redo{redoCount ? ` (${redoCount})` : ""}
      </button>
      <InterpolateButton className={small} />
      {/* gives way when the bar is short, with the interpolation's note: a status, whole in its title */}
      <p role="note" aria-label="Corrected slices" className="ml-auto min-w-0 truncate tabular-nums text-slate-400" title={slices.length ? corrections(slices) : status}>
        {status}
      </p>
    </Toolbar>
  );
}
