import type { RefObject } from "react";
import { Button } from "../../components/Button";
import { download } from "../../components/download";
import { ToggleButton } from "../../components/ToggleButton";
import { exportStem } from "../../core/export";
import { useApp } from "../../stores/store";
import type { ViewMode } from "../../stores/viewSlice";
import type { NiivueController } from "./niivueController";

export interface WindowRange {
  min: number;
  max: number;
}

const VIEWS: { mode: ViewMode; label: string }[] = [
  { mode: "axial", label: "Axial" },
  { mode: "coronal", label: "Coronal" },
  { mode: "sagittal", label: "Sagittal" },
  { mode: "multiplanar", label: "Multiplanar" },
  { mode: "render", label: "3D" },
];

const PLANE_NAME: Record<ViewMode, string> = { axial: "Axial", coronal: "Coronal", sagittal: "Sagittal", multiplanar: "Axial", render: "Axial" };

/** The window inputs' step: about a thousandth of the range, in a round power of ten. */
const step = (min: number, max: number) => {
  const span = Math.abs(max - min);
  return span > 100 ? 1 : span > 10 ? 0.1 : span > 1 ? 0.01 : 0.001;
};

/** Above the viewer: view mode, window/level, the current slice, and saving the view as a PNG. */
export function ViewToolbar({ ctlRef, windowRange, setWindowRange, voxel, onError }: { ctlRef: RefObject<NiivueController | null>; windowRange: WindowRange | null; setWindowRange: (r: WindowRange) => void; voxel: [number, number, number] | null; onError: (message: string) => void }) {
  const scan = useApp((s) => s.scan);
  const result = useApp((s) => s.result);
  const viewMode = useApp((s) => s.viewMode);
  const setViewMode = useApp((s) => s.setViewMode);

  const axis = scan ? useApp.getState().perSliceAxis() : 2;
  const sliceText = scan && voxel ? `${PLANE_NAME[viewMode]} slice ${voxel[axis]} / ${scan.volume.dims[axis] - 1}` : "—";

  const saveView = async () => {
    const ctl = ctlRef.current;
    if (!ctl || !scan) return;
    try {
      download(`${exportStem(scan.name, "view", result?.adapter ?? null)}.png`, await ctl.snapshot());
    } catch (e) {
      onError(`The view could not be saved: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const changeWindow = (which: "min" | "max", value: number) => {
    if (!windowRange || !Number.isFinite(value)) return;
    const next = { ...windowRange, [which]: value };
    setWindowRange(next);
    if (next.min < next.max) ctlRef.current?.setWindow(next.min, next.max);
  };

  return (
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
  );
}
