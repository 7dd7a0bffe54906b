import { conventionsOf } from "../../core/metrics/conventions";
import { useApp } from "../../stores/store";
import { SyntheticBadge } from "./SyntheticBadge";
import { useSiteLabel, useStudyBusy, useTrainedOn } from "./useStudyState";

const cell = "py-1.5 pr-3";

/** The study's cases: train on, id, site (editable), label, convention (editable), remove; then the volumes left without a partner. */
export function CaseTable() {
  const cases = useApp((s) => s.studyCases);
  const unpaired = useApp((s) => s.studyUnpaired);
  const trainOn = useApp((s) => s.studyTrainOn);
  const manifest = useApp((s) => s.manifest);
  const { setCaseSite, setCaseConvention, setTrainOn, removeStudyCases } = useApp.getState();
  const { locked } = useStudyBusy();
  const { synthetic } = useSiteLabel();
  const trainedOn = useTrainedOn();
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-800 bg-slate-900/70 p-3">
      <table aria-label="Study cases" className="w-full border-collapse text-xs">
        <thead>
          <tr className="border-b border-slate-700 text-left text-[11px] uppercase tracking-wide text-slate-500">
            <th className={cell} title="Train the site's adapter on this case (it is then left out of the site's figures)">
              Train on
            </th>
            <th className={cell}>Case</th>
            <th className={cell}>Site</th>
            <th className={cell}>Label</th>
            <th className={cell}>Convention</th>
            <th className={cell}>
              <span className="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {cases.map((c) => (
            <tr key={c.id} className="border-b border-slate-800/70">
              <td className={`${cell} text-center`}>
                <input type="checkbox" aria-label={`Train on ${c.id}`} checked={trainOn.includes(c.id)} disabled={locked} onChange={(e) => setTrainOn(c.id, e.target.checked)} className="accent-fuchsia-500" />
              </td>
              <td className={`${cell} max-w-[18rem] text-slate-200`} title={c.image}>
                <span className="block truncate">{c.id}</span>
                {trainedOn.has(c.id) && (
                  <span className="mt-0.5 inline-block whitespace-nowrap rounded bg-fuchsia-500/15 px-1 text-[10px] font-medium text-fuchsia-200" title="The site's adapter learnt from this case: it is scored and shown, but not counted in the site's figures">
                    trained on · not counted
                  </span>
                )}
              </td>
              <td className={`${cell} whitespace-nowrap`}>
                <input
                  aria-label={`Site of ${c.id}`}
                  defaultValue={c.site}
                  key={c.site}
                  disabled={locked}
                  onBlur={(e) => setCaseSite(c.id, e.target.value)}
                  onKeyDown={(e) => e.key === "Enter" && (e.target as HTMLInputElement).blur()}
                  className="w-28 rounded border border-slate-700 bg-slate-800 px-1.5 py-0.5 text-slate-100 focus:border-sky-500 focus:outline-none"
                />
                {synthetic.has(c.site) && <SyntheticBadge />}
              </td>
              <td className={`${cell} max-w-[12rem] truncate text-slate-400`} title={c.label}>
                {c.label.split("/").pop()}
              </td>
              <td className={cell}>
                <select
                  aria-label={`Convention of ${c.id}`}
                  value={c.convention}
                  disabled={locked}
                  onChange={(e) => setCaseConvention(c.id, e.target.value)}
                  className="rounded border border-slate-700 bg-slate-800 px-1 py-0.5 text-slate-100"
                >
                  {(manifest ? conventionsOf(manifest) : []).map((v) => (
                    <option key={v.id} value={v.id}>
                      {v.id}
                    </option>
                  ))}
                </select>
                {c.conventionGuessed && <span className="ml-1.5 text-[10px] text-amber-300">guessed</span>}
              </td>
              <td className={`${cell} text-right`}>
                <button
                  type="button"
                  aria-label={`Remove ${c.id}`}
                  title="Take this case out of the study"
                  disabled={locked}
                  onClick={() => removeStudyCases([c.id])}
                  className="rounded px-1 text-sm leading-none text-slate-500 hover:bg-slate-800 hover:text-slate-200 disabled:opacity-40"
                >
                  ×
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {unpaired.length > 0 && (
        <p className="mt-2 text-xs text-amber-300" title={unpaired.join("\n")}>
          {unpaired.length} volume{unpaired.length > 1 ? "s" : ""} without a partner, left out: {unpaired.slice(0, 4).join(", ")}
          {unpaired.length > 4 ? ", …" : ""}
        </p>
      )}
    </div>
  );
}
