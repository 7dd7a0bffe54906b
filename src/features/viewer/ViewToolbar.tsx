import type { RefObject } from "react";
import { Button } from "../../components/Button";
import { download } from "../../components/download";
import { ToggleButton } from "../../components/ToggleButton";
import { ShortLabel, Toolbar } from "../../components/Toolbar";
import { exportStem } from "../../core/export";
import { useApp } from "../../stores/store";
import type { ViewMode } from "../../stores/viewSlice";
import type { NiivueController } from "./niivueController";

export interface WindowRange {
  min: number;
  max: number;
}

/** Each view's name, and its short form (a radiologist's) for a narrow viewer. */
const VIEWS: { mode: ViewMode; label: string; short: string }[] = [
  { mode: "axial", label: "Axial", short: "Ax" },
  { mode: "coronal", label: "Coronal", short: "Cor" },
  { mode: "sagittal", label: "Sagittal", short: "Sag" },
  { mode: "multiplanar", label: "Multiplanar", short: "MPR" },
  { mode: "render", label: "3D", short: "3D" },
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
    <Toolbar label="Viewer toolbar" className="border-b bg-slate-900/60 py-2">
      <div role="group" aria-label="View" className="inline-flex shrink-0 overflow-hidden rounded-md border border-slate-700">
        {VIEWS.map(({ mode, label, short }) => (
          <ToggleButton key={mode} pressed={viewMode === mode} onClick={() => setViewMode(mode)} label={label} title={label}>
            <ShortLabel short={short} long={label} />
          </ToggleButton>
        ))}
      </div>
      <div className="flex shrink-0 items-center gap-1.5">
        <span>Window</span>
        {(["min", "max"] as const).map((end) => (
          <input
            key={end}
            type="number"
            aria-label={`Window ${end}`}
            title={`Window ${end}`}
            disabled={!windowRange}
            value={windowRange ? Number(windowRange[end].toFixed(3)) : ""}
            step={windowRange ? step(windowRange.min, windowRange.max) : 1}
            onChange={(e) => changeWindow(end, e.target.valueAsNumber)}
            className="w-16 rounded border border-slate-700 bg-slate-800 px-1.5 py-0.5 tabular-nums text-slate-100 focus:border-sky-500 focus:outline-none disabled:opacity-50 @wide:w-20"
          />
        ))}
      </div>
      <p role="note" aria-label="Current slice" className="ml-auto shrink-0 tabular-nums">
        {sliceText}
      </p>
      <Button size="xs" className="shrink-0" disabled={!scan} onClick={() => void saveView()} aria-label="Save view (PNG)" title="What the viewer shows, as a PNG image">
        <ShortLabel short="PNG" long="Save view (PNG)" />
      </Button>
    </Toolbar>
  );
}
