import { ToggleButton } from "../../components/ToggleButton";
import { Toolbar } from "../../components/Toolbar";
import { voxelVolumeMl } from "../../core/volume/affine";
import { resultKey } from "../../stores/jobSlice";
import { useApp } from "../../stores/store";
import { keysLabel } from "./shortcuts";
import type { useComparison } from "./useComparison";

/** Compare view: which mask is drawn (base or adapter), and the voxels where they disagree. */
export function CompareBar({ comparison }: { comparison: NonNullable<ReturnType<typeof useComparison>> }) {
  const { adapter, base, adapted, diff } = comparison;
  const result = useApp((s) => s.result);
  const showDisagreement = useApp((s) => s.showDisagreement);
  const { showResult, setShowDisagreement, leaveComparison } = useApp.getState();
  const shown = result === adapted ? "adapter" : result === base ? "base" : null;
  const button = (side: "base" | "adapter", label: string) => (
    <ToggleButton pressed={shown === side} onClick={() => showResult(resultKey(side === "base" ? null : adapter))} tone="fuchsia">
      {label}
    </ToggleButton>
  );
  const share = diff.foreground ? (100 * diff.voxels) / diff.foreground : 0;
  const differ = `${(diff.voxels * voxelVolumeMl(base.labels.affine)).toFixed(1)} mL differ (${share.toFixed(1)}% of voxels either calls foreground)`;
  return (
    <Toolbar label="Comparison toolbar" className="border-b bg-fuchsia-950/30 py-2">
      <span className="font-semibold uppercase tracking-wide text-fuchsia-300">Compare</span>
      <div role="group" aria-label="Mask shown" className="inline-flex shrink-0 overflow-hidden rounded-md border border-slate-700">
        {button("base", "Base")}
        {button("adapter", `Base + ${adapter}`)}
      </div>
      <span className="hidden text-slate-500 @wide:inline">{keysLabel("compare-flip")} flips</span>
      <label className="flex shrink-0 items-center gap-1.5">
        <input type="checkbox" checked={showDisagreement} onChange={(e) => setShowDisagreement(e.target.checked)} className="accent-fuchsia-500" />
        <span>
          Disagreement <span className="inline-block h-2.5 w-2.5 rounded-sm border-2 border-fuchsia-500 align-middle" aria-hidden="true" />
        </span>
      </label>
      {/* gives way when the bar is short: whole in its title */}
      <p role="note" aria-label="Disagreement" className="min-w-0 truncate tabular-nums text-slate-400" title={differ}>
        {differ}
      </p>
      <button type="button" onClick={leaveComparison} className="ml-auto shrink-0 text-slate-400 underline-offset-2 hover:text-slate-200 hover:underline">
        Close comparison
      </button>
    </Toolbar>
  );
}
