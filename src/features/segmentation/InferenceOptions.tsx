import { useShallow } from "zustand/react/shallow";
import { inferencePasses } from "../../core/pipeline/segment";
import { useApp } from "../../stores/store";

/**
 * The manifest's extra inference passes (mirrored scan, other planes), each with what it costs:
 * seconds from the last run on this scan when there is one, else runs of the model.
 */
export function InferenceOptions({ disabled }: { disabled: boolean }) {
  const manifest = useApp((s) => s.manifest);
  const active = useApp(useShallow((s) => s.activeOptions())); // a fresh array each call: compared by items
  const result = useApp((s) => s.result);
  const setInferenceOption = useApp((s) => s.setInferenceOption);
  if (!manifest || manifest.inference.options.length === 0) return null;
  // one run over the scan costs about this much (the last result is always of the open scan)
  const perPass = result ? result.ms.inference / result.passes : null;
  const extraRuns = (id: string) => {
    const without = active.filter((o) => o !== id);
    return inferencePasses(manifest, [...without, id]).length - inferencePasses(manifest, without).length;
  };
  return (
    <fieldset className="space-y-1" aria-label="Inference options" disabled={disabled}>
      <legend className="text-xs font-medium text-slate-300">Extra passes (averaged)</legend>
      {manifest.inference.options.map((o) => {
        const runs = extraRuns(o.id);
        const cost = perPass !== null ? `+${((runs * perPass) / 1000).toFixed(1)} s` : `+${runs} run${runs === 1 ? "" : "s"} of the model`;
        return (
          <label key={o.id} className="flex items-center gap-2 text-xs text-slate-300">
            <input type="checkbox" className="h-4 w-4 accent-sky-500" checked={active.includes(o.id)} onChange={(e) => setInferenceOption(o.id, e.target.checked)} />
            <span className="flex-1">{o.label}</span>
            <span className="tabular-nums text-slate-500" title={perPass !== null ? "From the last run on this scan" : "Each run goes over the whole scan once more"}>
              {cost}
            </span>
          </label>
        );
      })}
    </fieldset>
  );
}
