import { useMemo, useState } from "react";
import { Button } from "../../components/Button";
import { download } from "../../components/download";
import { casesCsv, scoredClasses, studyCsv, studyTable } from "../../core/study";
import { useApp } from "../../stores/store";
import { ReportButton } from "./ReportButton";
import { BeyondDiceTable, StudyTable } from "./ResultTables";
import { useSiteLabel, useStudyExport } from "./useStudyState";

/** Mean Dice by site (per class on demand), volume error and HD95, the failed cases; the table and report exports. */
export function ResultsPanel() {
  const results = useApp((s) => s.studyResults);
  const manifest = useApp((s) => s.manifest);
  const samples = useApp((s) => s.samples);
  const [perClass, setPerClass] = useState(false);
  const { synthetic } = useSiteLabel();
  const exports = useStudyExport();
  const classes = useMemo(() => (manifest ? scoredClasses(manifest) : []), [manifest]);
  // progress re-renders the study often: tabulate only when the results change
  const table = useMemo(() => studyTable(results, classes), [results, classes]);
  const failures = results.filter((r) => r.error);
  if (!results.length) return null;
  return (
    <div className="space-y-3 rounded-lg border border-slate-800 bg-slate-900/70 p-3">
      <div className="flex flex-wrap items-center gap-2">
        <h3 className="mr-auto text-xs font-semibold uppercase tracking-wider text-slate-400">Mean Dice by site</h3>
        <label className="flex items-center gap-1.5 text-xs text-slate-300">
          <input type="checkbox" checked={perClass} onChange={(e) => setPerClass(e.target.checked)} className="accent-sky-500" />
          Per class
        </label>
        <Button disabled={exports.disabled} title={exports.title} onClick={() => download(`siteseg-study-${exports.stamp}.csv`, new Blob([studyCsv(table, classes)], { type: "text/csv" }))}>Export table CSV</Button>
        <Button disabled={exports.disabled} title={exports.title} onClick={() => download(`siteseg-study-cases-${exports.stamp}.csv`, new Blob([casesCsv(results, classes)], { type: "text/csv" }))}>Cases CSV</Button>
        <ReportButton />
      </div>
      <StudyTable table={table} classes={classes} perClass={perClass} synthetic={synthetic} />
      <BeyondDiceTable table={table} classes={classes} perClass={perClass} synthetic={synthetic} />
      <p className="text-xs text-slate-400">
        Each site is judged on cases its adapter never saw: a case the adapter learnt from (its scan's sha256 is recorded in the adapter) is marked <span className="text-fuchsia-200">trained on</span>, listed, and left out of n and every figure. The gain's 95% CI is a
        bootstrap over the site's cases (10,000 resamples, seeded); a site needs two cases for one.
      </p>
      {table.some((row) => row.trainedOn === 0 && samples.some((s) => s.id === row.site && s.adapter === row.adapter && !s.cases)) && (
        <p className="text-xs text-slate-400">
          The single-scan sample sites' adapters were trained on at most 10 slices of these same scans, so their whole-volume gain includes those slices; the model card gives held-out figures.
        </p>
      )}
      {failures.length > 0 && (
        <div role="note" aria-label="Failed cases" className="space-y-1 text-xs text-red-300">
          {failures.map((f) => (
            <p key={f.id}>
              <span className="font-medium">{f.id}</span>: {f.error}
            </p>
          ))}
        </div>
      )}
    </div>
  );
}
