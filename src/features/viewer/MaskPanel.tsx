import { useEffect, useId, useState } from "react";
import { Button } from "../../components/Button";
import { Panel } from "../../components/Panel";
import { Swatch } from "../../components/Swatch";
import { classVolumes, type ClassVolume } from "../../core/export";
import { useApp } from "../../stores/store";
import { saveMask } from "./saveMask";
import { keysLabel } from "./shortcuts";

/** Mask display: opacity, per-class visibility, and a legend with each class's volume. */
export function MaskPanel() {
  const result = useApp((s) => s.result);
  const manifest = useApp((s) => s.manifest);
  const opacity = useApp((s) => s.opacity);
  const setOpacity = useApp((s) => s.setOpacity);
  const maskVisible = useApp((s) => s.maskVisible);
  const setMaskVisible = useApp((s) => s.setMaskVisible);
  const hidden = useApp((s) => s.hiddenClasses);
  const toggleClass = useApp((s) => s.toggleClass);
  const editTool = useApp((s) => s.editTool);
  const editClass = useApp((s) => s.editClass);
  const setEditClass = useApp((s) => s.setEditClass);
  const baseId = useId();

  // counted in a task of its own: a pass over the whole mask stays out of the tasks that draw and
  // score it (a deferred render shared one with the Dice: 52 ms, bench/profile-segment.ts)
  const [counted, setCounted] = useState<ClassVolume[] | null>(null);
  useEffect(() => {
    if (!result || !manifest) return;
    const timer = setTimeout(() => setCounted(classVolumes(result.labels, manifest.classes)), 0);
    return () => clearTimeout(timer);
  }, [result, manifest]);
  const volumes = result ? counted : null;
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
        <label className="flex items-center gap-2 text-xs text-slate-300">
          <input type="checkbox" checked={maskVisible} onChange={(e) => setMaskVisible(e.target.checked)} className="h-4 w-4 accent-sky-500" />
          <span>Show mask</span>
          <kbd className="ml-auto font-mono text-slate-500" title="Keyboard shortcut">
            {keysLabel("mask-toggle")}
          </kbd>
        </label>
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
                <span className="tabular-nums text-xs text-slate-400">{volumes ? `${volumes.find((v) => v.index === c.index)!.ml.toFixed(1)} mL` : "—"}</span>
                {(editTool === "brush" || editTool === "fill") && (
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
        <Button size="xs" onClick={() => void saveMask(result)} title="The mask on the scan's grid and affine, and beside it a .json provenance record">
          Save mask (.nii.gz)
        </Button>
      )}
    </Panel>
  );
}
