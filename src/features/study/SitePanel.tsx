import { Alert } from "../../components/Alert";
import { Button } from "../../components/Button";
import { selectClass } from "../../components/Field";
import { ProgressBar } from "../../components/ProgressBar";
import { availableAdapters } from "../../stores/adapterSlice";
import { useApp } from "../../stores/store";
import { studyProgressText } from "./progress";
import { StudyTime } from "./StudyTime";
import { StudyTrainPanel } from "./StudyTrainPanel";
import { SyntheticBadge } from "./SyntheticBadge";
import { useSiteLabel, useStudyBusy } from "./useStudyState";

/** Each site's adapter, Run and Cancel, the study's progress and why it stopped; the study's training below. */
export function SitePanel() {
  const siteAdapters = useApp((s) => s.studySiteAdapters);
  const job = useApp((s) => s.studyJob);
  const casesDone = useApp((s) => s.studyResults.length);
  const casesListed = useApp((s) => s.studyCases.length);
  const manifest = useApp((s) => s.manifest);
  const fileAdapters = useApp((s) => s.fileAdapters);
  const { setSiteAdapter, runSiteStudy, cancelStudy } = useApp.getState();
  const { running, segmenting, locked, runBlocked, trainBlocked } = useStudyBusy();
  const { siteLabel, synthetic } = useSiteLabel();
  const sites = Object.keys(siteAdapters).sort();
  const adapterNames = availableAdapters({ manifest, fileAdapters }).map((a) => a.name);
  const progressText = studyProgressText(job, casesDone, casesListed);
  return (
    <div className="space-y-3 rounded-lg border border-slate-800 bg-slate-900/70 p-3">
      <h3 className="text-xs font-semibold uppercase tracking-wider text-slate-400">Adapter per site</h3>
      {sites.map((site) => (
        <label key={site} className="grid grid-cols-[1fr_9rem] items-center gap-2 text-xs text-slate-300">
          <span className="truncate" title={siteLabel(site)}>
            {site}
            {synthetic.has(site) && <SyntheticBadge />}
          </span>
          <select
            aria-label={`Adapter for ${site}`}
            value={siteAdapters[site] ?? ""}
            disabled={locked}
            onChange={(e) => setSiteAdapter(site, e.target.value || null)}
            className={`${selectClass} text-xs`}
          >
            <option value="">none (base only)</option>
            {adapterNames.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      ))}
      <div className="flex gap-2 pt-1">
        <Button variant="primary" className="flex-1" disabled={runBlocked} onClick={() => void runSiteStudy()}>
          Run study
        </Button>
        <Button variant="danger" disabled={!running} onClick={cancelStudy}>
          Cancel
        </Button>
      </div>
      {segmenting && <p className="text-xs text-slate-400">Waiting for the segmentation in the viewer to finish.</p>}
      <ProgressBar label="Study progress" value={Math.round(job.fraction * 1000)} max={running || job.fraction > 0 ? 1000 : 0} text={progressText} tone={running ? "active" : job.status === "done" ? "done" : "idle"} />
      <StudyTime />
      {job.status === "error" && job.error && (
        <Alert title="The study stopped">
          <p>{job.error}</p>
          <p className="mt-1 text-red-200/80">The cases scored so far are kept; press Run study to start again.</p>
        </Alert>
      )}
      <StudyTrainPanel busy={trainBlocked} />
    </div>
  );
}
