import { segmenting } from "../../stores/workerSlice";
import { useMemo } from "react";
import { useApp } from "../../stores/store";
import { keysLabel } from "./shortcuts";

/**
 * The correction toolbar's Interpolate: the chosen class between corrected slices of the view,
 * disabled (its title says why) until two of them hold it; beside it, what the last one did.
 */
export function InterpolateButton({ className }: { className: string }) {
  const result = useApp((s) => s.result);
  const editClass = useApp((s) => s.editClass);
  const viewMode = useApp((s) => s.viewMode);
  const running = useApp(segmenting);
  const note = useApp((s) => s.editNote);
  const name = useApp((s) => s.manifest?.classes.find((c) => c.index === s.editClass)?.name ?? "the class");
  // planned again only when the mask, the class or the view changes (it reads the corrected slices)
  const blocked = useMemo(() => (result ? useApp.getState().interpolationBlocked() : "Segment the scan first."), [result, editClass, viewMode, running]); // eslint-disable-line react-hooks/exhaustive-deps
  const does = `${keysLabel("interpolate")}: write ${name} in the slices between corrected slices of this view that hold it, its shape interpolated between them (one undo step)`;
  return (
    <>
      <button type="button" className={className} disabled={blocked !== null} onClick={() => useApp.getState().interpolateClass()} title={blocked ? `${does}. Not now: ${blocked}` : does}>
        Interpolate
      </button>
      {/* the room left on the line, cut short there (the whole in its title): never wraps the toolbar */}
      <span role="status" aria-label="Interpolation" title={note ?? undefined} className="min-w-0 flex-1 basis-0 truncate text-slate-400">
        {note}
      </span>
    </>
  );
}
