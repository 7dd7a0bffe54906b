import { useId } from "react";
import { Button } from "../../components/Button";
import { useApp } from "../../stores/store";
import { CaseTable } from "./CaseTable";
import { ChartPanel } from "./ChartPanel";
import { ResultsPanel } from "./ResultsPanel";
import { SitePanel } from "./SitePanel";
import { useStudyDrop } from "./useStudyDrop";
import { useStudyBusy } from "./useStudyState";

const ACCEPT = ".nii,.nii.gz,.mgh,.mgz";

/** Base vs each site's adapter over many cases: pick cases, run, read the table and the chart, export. */
export function StudyView() {
  const cases = useApp((s) => s.studyCases);
  const samples = useApp((s) => s.samples);
  const { loadSampleStudy, clearStudy } = useApp.getState();
  const { running, locked } = useStudyBusy();
  const { dragging, dropZone, addPicked } = useStudyDrop();
  const folderId = useId();
  const filesId = useId();

  return (
    <section
      aria-label="Site study"
      {...dropZone}
      className={`h-full overflow-y-auto p-4 ${dragging ? "outline-dashed outline-2 -outline-offset-8 outline-sky-400" : ""}`}
    >
      <div className="mx-auto max-w-6xl space-y-4">
        <header className="space-y-1">
          <h2 className="text-lg font-semibold text-white">Site study</h2>
          <p className="text-sm text-slate-400">
            Runs the base model and each site's adapter on every case and compares mean Dice over the model's classes with the reference labels, site by site. Drop a folder (one subfolder per site) or files here; images pair with labels by
            name: <code className="text-slate-300">case.nii.gz</code> + <code className="text-slate-300">case_seg</code>/<code className="text-slate-300">_label</code>, BIDS <code className="text-slate-300">_T1w</code> + <code className="text-slate-300">_dseg</code>,
            FreeSurfer <code className="text-slate-300">norm.mgz</code> + <code className="text-slate-300">aseg.mgz</code>. Nothing leaves this browser.
          </p>
        </header>

        <div className="flex flex-wrap items-center gap-2">
          <Button variant="primary" disabled={locked || !samples.length} onClick={() => void loadSampleStudy()}>
            Use the sample sites
          </Button>
          <input id={folderId} type="file" multiple className="peer/folder sr-only" onChange={(e) => void addPicked(e)} {...{ webkitdirectory: "" }} disabled={running} />
          <label htmlFor={folderId} className="cursor-pointer rounded-md border border-slate-700 bg-slate-800 px-3 py-1.5 text-sm font-medium text-slate-100 hover:bg-slate-700">
            Add folder…
          </label>
          <input id={filesId} type="file" multiple accept={ACCEPT} className="sr-only" onChange={(e) => void addPicked(e)} disabled={running} />
          <label htmlFor={filesId} className="cursor-pointer rounded-md border border-slate-700 bg-slate-800 px-3 py-1.5 text-sm font-medium text-slate-100 hover:bg-slate-700">
            Add files…
          </label>
          {cases.length > 0 && (
            <button type="button" disabled={locked} onClick={clearStudy} className="text-xs text-slate-400 underline-offset-2 hover:text-slate-200 hover:underline disabled:opacity-50">
              Clear
            </button>
          )}
        </div>

        {cases.length > 0 && (
          <div className="grid gap-4 lg:grid-cols-[2fr_1fr]">
            <CaseTable />
            <SitePanel />
          </div>
        )}

        <ResultsPanel />
        <ChartPanel />
      </div>
    </section>
  );
}
