import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Alert } from "../../components/Alert";
import { Button } from "../../components/Button";
import { download } from "../../components/download";
import { ToggleButton } from "../../components/ToggleButton";
import { exportStem } from "../../core/export";
import { disagreement } from "../../core/metrics/compare";
import { voxelVolumeMl } from "../../core/volume/affine";
import { resultKey } from "../../stores/jobSlice";
import { useApp } from "../../stores/store";
import type { EditTool } from "../../stores/editSlice";
import type { ViewMode } from "../../stores/viewSlice";
import { InterpolateButton } from "./InterpolateButton";
import { NiivueController, type MaskClass } from "./niivueController";
import { keysLabel } from "./shortcuts";

const VIEWS: { mode: ViewMode; label: string }[] = [
  { mode: "axial", label: "Axial" },
  { mode: "coronal", label: "Coronal" },
  { mode: "sagittal", label: "Sagittal" },
  { mode: "multiplanar", label: "Multiplanar" },
  { mode: "render", label: "3D" },
];

const PLANE_NAME: Record<ViewMode, string> = { axial: "Axial", coronal: "Coronal", sagittal: "Sagittal", multiplanar: "Axial", render: "Axial" };

const round = (v: number) => {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(1) : v.toPrecision(3);
};
const step = (min: number, max: number) => {
  const span = Math.abs(max - min);
  return span > 100 ? 1 : span > 10 ? 0.1 : span > 1 ? 0.01 : 0.001;
};

/** The niivue canvas with its toolbar: view mode, window/level, cursor readout and slice. */
export function Viewer() {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const ctlRef = useRef<NiivueController | null>(null);
  const scan = useApp((s) => s.scan);
  const result = useApp((s) => s.result);
  const manifest = useApp((s) => s.manifest);
  const viewMode = useApp((s) => s.viewMode);
  const opacity = useApp((s) => s.opacity);
  const maskVisible = useApp((s) => s.maskVisible);
  const hiddenClasses = useApp((s) => s.hiddenClasses);
  const jump = useApp((s) => s.jump);
  const location = useApp((s) => s.location);
  const setViewMode = useApp((s) => s.setViewMode);
  const compare = useApp((s) => s.compare);
  const results = useApp((s) => s.results);
  const showDisagreement = useApp((s) => s.showDisagreement);
  const pair = compare ? { base: results[resultKey(null)], adapted: results[resultKey(compare.adapter)] } : null;
  const comparing = pair?.base && pair.adapted ? { base: pair.base, adapted: pair.adapted } : null;
  const diff = useMemo(() => (comparing ? disagreement(comparing.base.labels, comparing.adapted.labels) : null), [comparing?.base, comparing?.adapted]); // eslint-disable-line react-hooks/exhaustive-deps
  const [viewerError, setViewerError] = useState<string | null>(null);
  const [drawing, setDrawing] = useState<string | null>(null);
  const [windowRange, setWindowRange] = useState<{ min: number; max: number } | null>(null);
  const [voxel, setVoxel] = useState<[number, number, number] | null>(null);

  // Latest scan and result for the location callback, which niivue calls outside React.
  const latest = useRef({ scan, result, manifest });
  useEffect(() => {
    latest.current = { scan, result, manifest };
  }, [scan, result, manifest]);

  // The crosshair's position, and what the mouse points at (shown instead while it hovers).
  const crosshairMm = useRef<[number, number, number] | null>(null);
  const hoverMm = useRef<[number, number, number] | null>(null);

  const showLocation = useCallback(() => {
    const ctl = ctlRef.current;
    const { scan, result, manifest } = latest.current;
    const mm = hoverMm.current ?? crosshairMm.current;
    if (!ctl || !scan || !mm) return;
    const v = ctl.voxelAt(mm);
    if (!v) return;
    const [nx, ny, nz] = scan.volume.dims;
    const inside = v.every((c, a) => c >= 0 && c < scan.volume.dims[a]);
    let text = `Voxel ${v.join(", ")}`;
    if (inside) {
      const idx = v[0] + nx * (v[1] + ny * v[2]);
      text += ` · value ${round(scan.volume.data[idx])}`;
      const labels = result?.labels;
      if (labels && labels.dims[0] === nx && labels.dims[1] === ny && labels.dims[2] === nz) {
        const cls = labels.data[idx];
        text += ` · ${manifest?.classes[cls]?.name ?? `class ${cls}`}`;
      }
    } else {
      text += " (outside the scan)";
    }
    text += ` · ${mm.map((c) => c.toFixed(1)).join(", ")} mm`;
    useApp.getState().setLocation(text);
  }, []);

  const onLocation = useCallback(
    (mm: [number, number, number]) => {
      crosshairMm.current = mm;
      const v = ctlRef.current?.voxelAt(mm) ?? null;
      const scan = latest.current.scan;
      setVoxel(v && scan && v.every((c, a) => c >= 0 && c < scan.volume.dims[a]) ? v : null);
      showLocation();
    },
    [showLocation],
  );

  const onHover = useCallback(
    (mm: [number, number, number] | null) => {
      hoverMm.current = mm;
      showLocation();
    },
    [showLocation],
  );

  // The class under the cursor changes when a mask arrives.
  useEffect(() => showLocation(), [result, showLocation]);

  // One niivue instance per mounted viewer; StrictMode's trial unmount does not destroy it.
  useEffect(() => {
    const canvas = canvasRef.current!;
    let ctl = ctlRef.current;
    if (ctl?.disposeTimer) {
      clearTimeout(ctl.disposeTimer);
      ctl.disposeTimer = null;
    }
    if (!ctl) {
      ctl = new NiivueController(canvas, {
        onLocation,
        onHover,
        onWindow: (min, max) => setWindowRange({ min, max }),
        onError: setViewerError,
        onDrawing: setDrawing,
      });
      ctlRef.current = ctl;
    }
    const mine = ctl;
    return () => {
      mine.disposeTimer = setTimeout(() => {
        mine.dispose();
        if (ctlRef.current === mine) ctlRef.current = null;
      }, 0);
    };
  }, [onLocation, onHover]);

  useEffect(() => {
    crosshairMm.current = null;
    hoverMm.current = null;
    if (!scan) useApp.getState().setLocation("");
    void ctlRef.current?.setScan(scan, scan?.volume ?? null, scan?.name ?? "");
  }, [scan]);

  const preview = useApp((s) => s.preview);
  useEffect(() => {
    const classes: MaskClass[] = manifest?.classes.map((c) => ({ index: c.index, name: c.name, color: c.color })) ?? [];
    // the run's mask so far stands in only where there is no result yet
    const shown = result ?? preview;
    void ctlRef.current?.setMask(shown, shown?.labels ?? null, classes).then(() => result && useApp.getState().markShown(result));
  }, [result, preview, manifest]);

  // Corrections: left-drag paints while a tool is active; the mask redraws as it changes.
  const editTool = useApp((s) => s.editTool);
  const maskVersion = useApp((s) => s.maskVersion);
  useEffect(() => {
    const ctl = ctlRef.current;
    if (!ctl) return;
    if (!editTool || !result) return ctl.setPainter(null);
    ctl.setPainter({
      paint: (mm) => {
        const v = ctl.voxelAt(mm);
        if (v) useApp.getState().paintAt(v, useApp.getState().perSliceAxis());
      },
      end: () => useApp.getState().endStroke(),
    });
  }, [editTool, result]);
  useEffect(() => {
    if (result) ctlRef.current?.refreshMask(result.labels);
  }, [maskVersion]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    // a brush paints one plane: the multiplanar and 3D views give way to a single slice view
    if (editTool && (viewMode === "multiplanar" || viewMode === "render")) setViewMode("axial");
  }, [editTool, viewMode, setViewMode]);

  useEffect(() => {
    void ctlRef.current?.setDisagreement(diff && showDisagreement ? diff : null, diff && showDisagreement ? diff.volume : null);
  }, [diff, showDisagreement, scan]);
  useEffect(() => ctlRef.current?.setHiddenClasses(hiddenClasses), [hiddenClasses]);
  useEffect(() => ctlRef.current?.setOpacity(maskVisible ? opacity : 0), [opacity, maskVisible]);
  useEffect(() => ctlRef.current?.setViewMode(viewMode), [viewMode]);
  useEffect(() => {
    if (jump) ctlRef.current?.jumpToSlice(jump.axis, jump.index);
  }, [jump]);
  // Slice steps from the keyboard (shortcuts.ts), every one of them: a subscription, not a render.
  useEffect(
    () =>
      useApp.subscribe((s, prev) => {
        if (s.sliceStep && s.sliceStep !== prev.sliceStep) ctlRef.current?.stepSlice(s.sliceStep.delta);
      }),
    [],
  );

  const axis = scan ? useApp.getState().perSliceAxis() : 2;
  const sliceText = scan && voxel ? `${PLANE_NAME[viewMode]} slice ${voxel[axis]} / ${scan.volume.dims[axis] - 1}` : "—";

  const saveView = async () => {
    const ctl = ctlRef.current;
    if (!ctl || !scan) return;
    try {
      download(`${exportStem(scan.name, "view", result?.adapter ?? null)}.png`, await ctl.snapshot());
    } catch (e) {
      setViewerError(`The view could not be saved: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const changeWindow = (which: "min" | "max", value: number) => {
    if (!windowRange || !Number.isFinite(value)) return;
    const next = { ...windowRange, [which]: value };
    setWindowRange(next);
    if (next.min < next.max) ctlRef.current?.setWindow(next.min, next.max);
  };

  return (
    <div className="flex h-full min-h-0 flex-col">
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2 border-b border-slate-800 bg-slate-900/60 px-3 py-2">
        <div role="group" aria-label="View" className="inline-flex overflow-hidden rounded-md border border-slate-700">
          {VIEWS.map(({ mode, label }) => (
            <ToggleButton key={mode} pressed={viewMode === mode} onClick={() => setViewMode(mode)}>
              {label}
            </ToggleButton>
          ))}
        </div>
        <div className="flex items-center gap-2 text-xs text-slate-300">
          {(["min", "max"] as const).map((end) => (
            <label key={end} className="flex items-center gap-1.5">
              <span>Window {end}</span>
              <input
                type="number"
                aria-label={`Window ${end}`}
                disabled={!windowRange}
                value={windowRange ? Number(windowRange[end].toFixed(3)) : ""}
                step={windowRange ? step(windowRange.min, windowRange.max) : 1}
                onChange={(e) => changeWindow(end, e.target.valueAsNumber)}
                className="w-20 rounded border border-slate-700 bg-slate-800 px-1.5 py-0.5 tabular-nums text-slate-100 focus:border-sky-500 focus:outline-none disabled:opacity-50"
              />
            </label>
          ))}
        </div>
        <p role="note" aria-label="Current slice" className="ml-auto text-xs tabular-nums text-slate-300">
          {sliceText}
        </p>
        <Button size="xs" disabled={!scan} onClick={() => void saveView()} title="What the viewer shows, as a PNG image">
          Save view (PNG)
        </Button>
      </div>
      {/* always there (disabled without a mask): the view never shrinks, and redraws, when a scan or mask arrives */}
      <EditBar />
      {comparing && compare && diff && (
        <CompareBar adapter={compare.adapter} shown={result === comparing.adapted ? "adapter" : result === comparing.base ? "base" : null} diff={diff} voxelMl={voxelVolumeMl(comparing.base.labels.affine)} />
      )}
      {viewerError && (
        <div className="px-3 pt-2">
          <Alert title="Viewer problem" onDismiss={() => setViewerError(null)}>
            {viewerError}
          </Alert>
        </div>
      )}
      <div className="relative min-h-0 flex-1">
        <canvas ref={canvasRef} aria-label="Scan viewer" tabIndex={0} className="absolute inset-0 block h-full w-full outline-none" />
        {drawing && (
          <p role="note" aria-live="polite" aria-label="Viewer drawing" className="pointer-events-none absolute left-1/2 top-3 -translate-x-1/2 rounded-md bg-slate-900/90 px-3 py-1.5 text-xs text-sky-200 shadow">
            {drawing} A large scan can take several seconds without a graphics card.
          </p>
        )}
        {!scan && (
          <div className="pointer-events-none absolute inset-0 flex items-center justify-center">
            <div className="max-w-sm rounded-xl border border-dashed border-slate-700 bg-slate-900/80 px-8 py-10 text-center">
              <p className="text-base font-semibold text-slate-200">Drop a brain MRI here</p>
              <p className="mt-2 text-sm text-slate-400">or use Open scan or Open sample above. NIfTI (.nii, .nii.gz), FreeSurfer MGH (.mgh, .mgz) and DICOM series (files or a folder) are read in this browser; nothing is uploaded.</p>
            </div>
          </div>
        )}
      </div>
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
    </div>
  );
}

/** Compare view: which mask is drawn (base or adapter), and the voxels where they disagree. */
function CompareBar({ adapter, shown, diff, voxelMl }: { adapter: string; shown: "base" | "adapter" | null; diff: { voxels: number; foreground: number }; voxelMl: number }) {
  const showDisagreement = useApp((s) => s.showDisagreement);
  const { showResult, setShowDisagreement, leaveComparison } = useApp.getState();
  const button = (side: "base" | "adapter", label: string) => (
    <ToggleButton pressed={shown === side} onClick={() => showResult(resultKey(side === "base" ? null : adapter))} tone="fuchsia">
      {label}
    </ToggleButton>
  );
  const share = diff.foreground ? (100 * diff.voxels) / diff.foreground : 0;
  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-2 border-b border-slate-800 bg-fuchsia-950/30 px-3 py-2 text-xs text-slate-300">
      <span className="font-semibold uppercase tracking-wide text-fuchsia-300">Compare</span>
      <div role="group" aria-label="Mask shown" className="inline-flex overflow-hidden rounded-md border border-slate-700">
        {button("base", "Base")}
        {button("adapter", `Base + ${adapter}`)}
      </div>
      <span className="text-slate-500">{keysLabel("compare-flip")} flips</span>
      <label className="flex items-center gap-1.5">
        <input type="checkbox" checked={showDisagreement} onChange={(e) => setShowDisagreement(e.target.checked)} className="accent-fuchsia-500" />
        <span>
          Disagreement <span className="inline-block h-2.5 w-2.5 rounded-sm bg-fuchsia-500 align-middle" aria-hidden="true" />
        </span>
      </label>
      <p role="note" aria-label="Disagreement" className="tabular-nums text-slate-400">
        {(diff.voxels * voxelMl).toFixed(1)} mL differ ({share.toFixed(1)}% of voxels either calls foreground)
      </p>
      <button type="button" onClick={leaveComparison} className="ml-auto text-slate-400 underline-offset-2 hover:text-slate-200 hover:underline">
        Close comparison
      </button>
    </div>
  );
}

/** Mask correction: tool, brush size, undo/redo, and the slices corrected so far; disabled until there is a mask. */
function EditBar() {
  const hasMask = useApp((s) => s.result !== null);
  const hasScan = useApp((s) => s.scan !== null);
  const tool = useApp((s) => s.editTool);
  const brushMm = useApp((s) => s.brushMm);
  const undoCount = useApp((s) => s.undoStack.length);
  const redoCount = useApp((s) => s.redoStack.length);
  const corrected = useApp((s) => s.result?.corrected);
  const editClass = useApp((s) => s.manifest?.classes.find((c) => c.index === s.editClass));
  const { setEditTool, setBrushMm, undo, redo } = useApp.getState();

  const toolButton = (t: EditTool | null, label: string, hint: string) => (
    <ToggleButton pressed={tool === t} onClick={() => setEditTool(t)} tone="amber" title={hint} disabled={!hasMask}>
      {label}
    </ToggleButton>
  );
  const small = "rounded border border-slate-700 bg-slate-800 px-2 py-0.5 text-xs text-slate-200 hover:bg-slate-700 disabled:opacity-40";
  const slices = [...new Set((corrected ?? []).map((c) => c.index))].sort((a, b) => a - b);
  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-2 border-b border-slate-800 bg-slate-900/40 px-3 py-1.5 text-xs text-slate-300">
      <span className="font-semibold uppercase tracking-wide text-amber-300">Correct</span>
      <div role="group" aria-label="Mask tool" className="inline-flex overflow-hidden rounded-md border border-slate-700">
        {toolButton(null, "Navigate", `${keysLabel("tool-navigate")} or ${keysLabel("cancel")}`)}
        {toolButton("brush", "Brush", `${keysLabel("tool-brush")}: paint the class chosen in the Mask legend`)}
        {toolButton("eraser", "Eraser", `${keysLabel("tool-eraser")}: paint background`)}
        {toolButton("fill", "Fill", `${keysLabel("tool-fill")}: click a region of the slice to give it the class chosen in the Mask legend`)}
      </div>
      {(tool === "brush" || tool === "fill") && editClass && <span className="text-slate-400">painting {editClass.name}</span>}
      <label className="flex items-center gap-1.5">
        <span>Size</span>
        <input type="range" aria-label="Brush size" disabled={!hasMask} min={1} max={20} step={1} value={brushMm} onChange={(e) => setBrushMm(e.target.valueAsNumber)} className="w-24 accent-amber-500 disabled:opacity-40" />
        <span className="w-10 tabular-nums text-slate-400">{brushMm} mm</span>
      </label>
      <button type="button" className={small} disabled={!undoCount} onClick={undo} title={keysLabel("undo")}>
        Undo{undoCount ? ` (${undoCount})` : ""}
      </button>
      <button type="button" className={small} disabled={!redoCount} onClick={redo} title={keysLabel("redo")}>
        Redo{redoCount ? ` (${redoCount})` : ""}
      </button>
      <InterpolateButton className={small} />
      <p role="note" aria-label="Corrected slices" className="ml-auto tabular-nums text-slate-400" title={slices.join(", ")}>
        {!hasScan ? "Open and segment a scan to correct its mask" : !hasMask ? "Segment the scan to correct its mask" : slices.length ? `${slices.length} slice${slices.length > 1 ? "s" : ""} corrected: ${slices.slice(0, 6).join(", ")}${slices.length > 6 ? ", …" : ""}` : "No slice corrected"}
      </p>
    </div>
  );
}
