import { useShallow } from "zustand/react/shallow";
import { backendFamily, inferencePasses, offByDefault, scanOptions } from "../../core/pipeline/segment";
import { useApp } from "../../stores/store";
import { millilitres } from "./segmentationStatus";

/**
 * The manifest's extra inference passes (mirrored scan, other planes), each with what it costs:
 * seconds from the last run on this scan when there is one, else runs of the model; and its mask
 * cleanup, with what it removed last time.
 */
export function InferenceOptions({ disabled }: { disabled: boolean }) {
  const manifest = useApp((s) => s.manifest);
  const active = useApp(useShallow((s) => s.activeOptions())); // a fresh array each call: compared by items
  const result = useApp((s) => s.result);
  const setInferenceOption = useApp((s) => s.setInferenceOption);
  const withAdapter = useApp((s) => s.adapter !== null);
  const scan = useApp((s) => s.scan);
  const backend = useApp((s) => s.backend);
  if (!manifest || manifest.inference.options.length === 0) return null;
  // one run over the scan costs about this much (the last result is always of the open scan)
  const perPass = result ? result.ms.inference / (result.passes * (result.selfAdapted ? 2 : 1)) : null;
  // runs over the open scan (options its voxels rule out make none)
  const runsOf = (ids: string[]) => inferencePasses(manifest, scan ? scanOptions(manifest, scan.volume, ids).ids : ids).length;
  const extraRuns = (id: string) => {
    const without = active.filter((o) => o !== id);
    return runsOf([...without, id]) - runsOf(without);
  };
  return (
    <fieldset className="space-y-1" aria-label="Inference options" disabled={disabled}>
      <legend className="text-xs font-medium text-slate-300">Extra passes (averaged) and cleanup</legend>
      {manifest.inference.options.map((o) => {
        if (o.kind === "selfAdapt") {
          // a second run of every pass, and the training: measured once a run has adapted
          const again = runsOf(active);
          const measured = result?.selfAdapted;
          const cost = measured
            ? `+${((measured.ms.training + measured.ms.segmentation) / 1000).toFixed(1)} s`
            : `+${o.steps} training steps, ${perPass !== null ? `${((again * perPass) / 1000).toFixed(1)} s` : `${again} run${again === 1 ? "" : "s"}`}`;
          return (
            <label key={o.id} className="flex items-center gap-2 text-xs text-slate-300" title={withAdapter ? "Starts from the base model: choose Adapter “none” to use it" : `Trains an adapter on ${o.slices} slices of the model's own mask of this scan, then segments again with it`}>
              <input type="checkbox" className="h-4 w-4 accent-sky-500" disabled={withAdapter} checked={active.includes(o.id)} onChange={(e) => setInferenceOption(o.id, e.target.checked)} />
              <span className={`flex-1 ${withAdapter ? "text-slate-500" : ""}`}>{o.label}{withAdapter ? " (base only)" : ""}</span>
              <span className="tabular-nums text-slate-500">{cost}</span>
            </label>
          );
        }
        if (o.kind === "cleanup") {
          // no model run: what it took away from the last mask (when it ran) is what it costs
          const last = result?.cleanup?.option === o.id ? result.cleanup : null;
          return (
            <label key={o.id} className="flex items-center gap-2 text-xs text-slate-300" title="Keeps the brain's connected tissue; tissue called over skull, neck or an object beside the head becomes background, and holes inside the brain are filled. Applies to the next run.">
              <input type="checkbox" className="h-4 w-4 accent-sky-500" checked={active.includes(o.id)} onChange={(e) => setInferenceOption(o.id, e.target.checked)} />
              <span className="flex-1">{o.label}</span>
              <span className="tabular-nums text-slate-500">{last ? `last run: ${millilitres(last.removed.ml)} removed` : "no model run"}</span>
            </label>
          );
        }
        // an option the open scan's voxels rule out says so instead of a cost
        const skip = scan ? scanOptions(manifest, scan.volume, [o.id]).skipped[0] : undefined;
        const runs = extraRuns(o.id);
        const cost = skip ? "not for this scan" : perPass !== null ? `+${((runs * perPass) / 1000).toFixed(1)} s` : `+${runs} run${runs === 1 ? "" : "s"} of the model`;
        // on by default, but not on this backend: the app says so, and why
        const why = offByDefault(o, backend);
        return (
          <div key={o.id}>
            <label className="flex items-center gap-2 text-xs text-slate-300">
              <input type="checkbox" className="h-4 w-4 accent-sky-500" checked={active.includes(o.id)} onChange={(e) => setInferenceOption(o.id, e.target.checked)} aria-describedby={why ? `why-${o.id}` : undefined} />
              <span className="flex-1">{o.label}</span>
              <span className="tabular-nums text-slate-500" title={skip ?? (perPass !== null ? "From the last run on this scan" : "Each run goes over the whole scan once more")}>
                {cost}
              </span>
            </label>
            {why && (
              <p id={`why-${o.id}`} className="ml-6 text-[11px] leading-snug text-slate-500">
                Off by default on {backendFamily(backend) === "webgpu" ? "WebGPU" : "WASM"}: {why}
              </p>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
