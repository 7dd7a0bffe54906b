import { useId, useMemo } from "react";
import { download } from "../../components/download";
import { Panel } from "../../components/Panel";
import { writeNifti } from "../../core/io";
import { Swatch } from "../../components/Swatch";
import { voxelVolumeMl } from "../../core/volume/affine";
import { useApp } from "../../stores/store";


/** Mask display: opacity, per-class visibility, and a legend with each class's volume. */
export function MaskPanel() {
  const result = useApp((s) => s.result);
  const manifest = useApp((s) => s.manifest);
  const opacity = useApp((s) => s.opacity);
  const setOpacity = useApp((s) => s.setOpacity);
  const hidden = useApp((s) => s.hiddenClasses);
  const toggleClass = useApp((s) => s.toggleClass);
  const editTool = useApp((s) => s.editTool);
  const editClass = useApp((s) => s.editClass);
  const setEditClass = useApp((s) => s.setEditClass);
  const baseId = useId();

  const counts = useMemo(() => {
    if (!result) return null;
    const K = Math.max(manifest?.classes.length ?? 0, 1);
    const c = new Float64Array(Math.max(K, 256));
    const data = result.labels.data;
    for (let i = 0; i < data.length; i++) c[data[i]]++;
    return c;
  }, [result, manifest]);
  const voxelMl = result ? voxelVolumeMl(result.labels.affine) : 0;
  const classes = manifest?.classes.filter((c) => c.index !== 0) ?? [];

  return (
    <Panel title="Mask">
      <div className="space-y-1">
        <div className="flex items-center justify-between text-xs">
          <label htmlFor={`${baseId}-opacity`} className="font-medium text-slate-300">
            Mask opacity
          </label>
          <span className="tabular-nums text-slate-400">{Math.round(opacity * 100)}%</span>
        </div>
        <input
          id={`${baseId}-opacity`}
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={opacity}
          onChange={(e) => setOpacity(e.target.valueAsNumber)}
          className="w-full accent-sky-500"
        />
      </div>
      {classes.length > 0 ? (
        <ul aria-label="Mask legend" className="divide-y divide-slate-800 rounded-md border border-slate-800">
          {classes.map((c) => {
            const id = `${baseId}-class-${c.index}`;
            const off = hidden.includes(c.index);
            return (
              <li key={c.index} className="flex items-center gap-2 px-2.5 py-1.5">
                <input id={id} type="checkbox" checked={!off} onChange={() => toggleClass(c.index)} className="h-4 w-4 accent-sky-500" />
                <Swatch rgb={c.color} faded={off} />
                <label htmlFor={id} className={`flex-1 cursor-pointer font-medium ${off ? "text-slate-500 line-through" : "text-slate-200"}`}>
                  {c.name}
                </label>
                <span className="tabular-nums text-xs text-slate-400">{counts ? `${(counts[c.index] * voxelMl).toFixed(1)} mL` : "—"}</span>
                {editTool === "brush" && (
                  <input type="radio" name={`${baseId}-paint`} aria-label={`Paint ${c.name}`} checked={editClass === c.index} onChange={() => setEditClass(c.index)} className="h-3.5 w-3.5 accent-amber-500" title={`Paint ${c.name}`} />
                )}
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="text-xs text-slate-500">Class colours appear once a model is loaded.</p>
      )}
      {!result && classes.length > 0 && <p className="text-xs text-slate-500">Volumes appear after segmentation.</p>}
      {result && (
        <button
          type="button"
          onClick={() => download(maskFileName(result.scanName, result.adapter), new Blob([writeNifti(result.labels, { description: `siteseg ${result.modelId} ${result.modelVersion}${result.adapter ? ` + ${result.adapter}` : ""}${result.corrected?.length ? " corrected" : ""}` }) as BlobPart], { type: "application/gzip" }))}
          className="rounded-md border border-slate-700 bg-slate-800 px-2.5 py-1 text-xs font-medium text-slate-100 hover:bg-slate-700"
        >
          Save mask (.nii.gz)
        </button>
      )}
    </Panel>
  );
}

/** "scan_siteseg-mask[_adapter].nii.gz", on the scan's own grid and affine. */
const maskFileName = (scan: string, adapter: string | null) => `${scan.replace(/\.(nii(\.gz)?|mgz|mgh)$/i, "")}_siteseg-mask${adapter ? `_${adapter.replace(/[^\w.-]+/g, "-")}` : ""}.nii.gz`;
