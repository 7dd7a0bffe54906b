import { useCallback, useId, useMemo, useState, type ChangeEvent, type DragEvent } from "react";
import { Alert } from "../../components/Alert";
import { Button } from "../../components/Button";
import { selectClass } from "../../components/Field";
import { ProgressBar } from "../../components/ProgressBar";
import { TRAIN_DEFAULTS } from "../../core/adapt/train";
import { conventionsOf } from "../../core/metrics/conventions";
import { casesCsv, formatDice, formatGain, formatMeanSd, formatStat, scoredClasses, studyCsv, studyTable, type GainStats, type SiteRow } from "../../core/study";
import { availableAdapters } from "../../stores/adapterSlice";
import { useApp } from "../../stores/store";
import { download, downloadAdapter } from "../../components/download";
import { droppedFiles, studyPaths } from "./files";
import { StudyChart, studyPngBlob, studySvgText, TRAINED_ON_NOTE } from "./StudyChart";
import { ReportButton } from "./ReportButton";

const ACCEPT = ".nii,.nii.gz,.mgh,.mgz";
const cell = "py-1.5 pr-3";

/** Base vs each site's adapter over many cases: pick cases, run, read the table and the chart, export. */
export function StudyView() {
  const cases = useApp((s) => s.studyCases);
  const unpaired = useApp((s) => s.studyUnpaired);
  const siteAdapters = useApp((s) => s.studySiteAdapters);
  const job = useApp((s) => s.studyJob);
  const results = useApp((s) => s.studyResults);
  const manifest = useApp((s) => s.manifest);
  const modelReady = useApp((s) => s.modelStatus === "ready");
  const fileAdapters = useApp((s) => s.fileAdapters);
  const segmenting = useApp((s) => s.job.status === "running");
  const training = useApp((s) => s.training.status === "running"); // the study waits for it (runSiteStudy refuses)
  const trainOn = useApp((s) => s.studyTrainOn);
  const samples = useApp((s) => s.samples);
  const { addStudyFiles, loadSampleStudy, setCaseSite, setCaseConvention, setSiteAdapter, setTrainOn, removeStudyCases, runSiteStudy, cancelStudy, clearStudy } = useApp.getState();
  const [perClass, setPerClass] = useState(false);
  const [dragging, setDragging] = useState(false);
  const folderId = useId();
  const filesId = useId();

  const running = job.status === "running";
  // the cases stay as they are while the study or a training reads them
  const locked = running || training;
  const trainedOn = useMemo(() => new Set(results.filter((r) => r.trainedOn).map((r) => r.id)), [results]);
  const classes = useMemo(() => (manifest ? scoredClasses(manifest) : []), [manifest]);
  // progress re-renders this view often: tabulate only when the results change
  const table = useMemo(() => studyTable(results, classes), [results, classes]);
  const sites = Object.keys(siteAdapters).sort();
  const adapterNames = availableAdapters({ manifest, fileAdapters }).map((a) => a.name);
  const failures = results.filter((r) => r.error);
  // Synthetic sample sites say so wherever a site is named.
  const synthetic = useMemo(() => new Set(samples.filter((s) => s.synthetic).map((s) => s.id)), [samples]);
  const siteLabel = useCallback((site: string) => (synthetic.has(site) ? `${site} (synthetic)` : site), [synthetic]);
  const title = `Mean Dice by site: base vs site adapter · ${manifest ? `${manifest.name} ${manifest.version}` : ""}`;
  // Exports wait for the study to end: mid-run they would write a partial table with no mark. A
  // study that was cancelled or stopped says so in its files' names.
  const partial = job.status === "cancelled" || job.status === "error";
  const stamp = `${partial ? `partial-${results.length}-of-${job.totalCases}-` : ""}${new Date().toISOString().slice(0, 10)}`;
  const exportTitle = running ? "The study is running: export when it ends (or cancel it to export the cases done)" : undefined;

  const addPicked = async (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    e.target.value = "";
    if (!files.length) return;
    const picked = studyPaths(files.map((f) => ({ relative: f.webkitRelativePath || f.name, file: f })));
    await addStudyFiles(picked.files, picked.rootName);
  };
  const onDrop = async (e: DragEvent<HTMLElement>) => {
    e.preventDefault(); // the page's scan drop leaves this one alone
    setDragging(false);
    const picked = studyPaths(await droppedFiles(e.dataTransfer.items));
    if (picked.files.length) await addStudyFiles(picked.files, picked.rootName);
  };

  const progressText = running
    ? `Case ${Math.min(job.caseIndex + 1, job.totalCases)} of ${job.totalCases} · ${Math.round(job.fraction * 100)}%`
    : job.status === "done"
      ? `${results.length} cases done`
      : job.status === "cancelled"
        ? `Cancelled after ${results.length} of ${job.totalCases} cases`
        : job.status === "reading"
          ? "Reading labels…"
          : cases.length
            ? `${cases.length} cases ready`
            : "No cases yet";

  return (
    <section
      aria-label="Site study"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => void onDrop(e)}
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
                <Button variant="primary" className="flex-1" disabled={running || !modelReady || segmenting || training || job.status === "reading"} onClick={() => void runSiteStudy()}>
                  Run study
                </Button>
                <Button variant="danger" disabled={!running} onClick={cancelStudy}>
                  Cancel
                </Button>
              </div>
              {segmenting && <p className="text-xs text-slate-400">Waiting for the segmentation in the viewer to finish.</p>}
              <ProgressBar label="Study progress" value={Math.round(job.fraction * 1000)} max={running || job.fraction > 0 ? 1000 : 0} text={progressText} tone={running ? "active" : job.status === "done" ? "done" : "idle"} />
              {job.status === "error" && job.error && (
                <Alert title="The study stopped">
                  <p>{job.error}</p>
                  <p className="mt-1 text-red-200/80">The cases scored so far are kept; press Run study to start again.</p>
                </Alert>
              )}
              <StudyTrainPanel busy={running || segmenting || !modelReady || job.status === "reading"} />
            </div>
          </div>
        )}

        {results.length > 0 && (
          <div className="space-y-3 rounded-lg border border-slate-800 bg-slate-900/70 p-3">
            <div className="flex flex-wrap items-center gap-2">
              <h3 className="mr-auto text-xs font-semibold uppercase tracking-wider text-slate-400">Mean Dice by site</h3>
              <label className="flex items-center gap-1.5 text-xs text-slate-300">
                <input type="checkbox" checked={perClass} onChange={(e) => setPerClass(e.target.checked)} className="accent-sky-500" />
                Per class
              </label>
              <Button disabled={running} title={exportTitle} onClick={() => download(`siteseg-study-${stamp}.csv`, new Blob([studyCsv(table, classes)], { type: "text/csv" }))}>Export table CSV</Button>
              <Button disabled={running} title={exportTitle} onClick={() => download(`siteseg-study-cases-${stamp}.csv`, new Blob([casesCsv(results, classes)], { type: "text/csv" }))}>Cases CSV</Button>
              <ReportButton />
            </div>
            <StudyTable table={table} classes={classes} perClass={perClass} synthetic={synthetic} />
            <BeyondDiceTable table={table} classes={classes} perClass={perClass} />
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
        )}

        {results.some((r) => r.base) && (
          <div className="space-y-2 rounded-lg border border-slate-800 bg-slate-900/70 p-3">
            <div className="flex flex-wrap items-center gap-2">
              <h3 className="mr-auto text-xs font-semibold uppercase tracking-wider text-slate-400">Per-case Dice by site</h3>
              <span className="flex items-center gap-3 text-xs text-slate-400">
                <span className="flex items-center gap-1">
                  <span className="inline-block h-2.5 w-2.5 rounded-full bg-slate-400" /> base
                </span>
                <span className="flex items-center gap-1">
                  <span className="inline-block h-2.5 w-2.5 rounded-full bg-fuchsia-400" /> + site adapter
                </span>
              </span>
              <Button disabled={running} title={exportTitle} onClick={() => void studyPngBlob(studySvgText(results, title, siteLabel)).then((b) => download(`siteseg-study-${stamp}.png`, b))}>Save PNG</Button>
              <Button disabled={running} title={exportTitle} onClick={() => download(`siteseg-study-${stamp}.svg`, new Blob([studySvgText(results, title, siteLabel)], { type: "image/svg+xml" }))}>Save SVG</Button>
            </div>
            <StudyChart results={results} siteLabel={siteLabel} />
            {trainedOn.size > 0 && (
              <p className="text-xs text-slate-400">{TRAINED_ON_NOTE}</p>
            )}
          </div>
        )}
      </div>
    </section>
  );
}

/** Site × {base, adapter, gain}: n, mean ± sd; per class on demand. */
function StudyTable({ table, classes, perClass, synthetic }: { table: SiteRow[]; classes: string[]; perClass: boolean; synthetic: Set<string> }) {
  const num = "py-1.5 pr-3 text-right tabular-nums";
  return (
    <table aria-label="Study results" className="w-full border-collapse text-xs">
      <thead>
        <tr className="border-b border-slate-700 text-left text-[11px] uppercase tracking-wide text-slate-500">
          <th className="py-1.5 pr-3">Site</th>
          <th className="py-1.5 pr-3">Class</th>
          <th className={num} title="Cases scored, those the adapter learnt from left out">
            n
          </th>
          <th className={num} title="Cases the site's adapter learnt from: listed, not counted">
            Trained on
          </th>
          <th className="py-1.5 pr-3">Adapter</th>
          <th className={num}>Base</th>
          <th className={num}>+ adapter</th>
          <th className={num}>Gain</th>
          <th className={num}>Gain 95% CI</th>
          <th className={num}>Base range</th>
        </tr>
      </thead>
      <tbody>
        {table.flatMap((row) => [
          <tr key={row.site} className="border-b border-slate-800/70 text-slate-100">
            <th scope="row" className="py-1.5 pr-3 text-left font-medium">
              {row.site}
              {synthetic.has(row.site) && <SyntheticBadge />}
            </th>
            <td className="py-1.5 pr-3 text-slate-400">mean</td>
            <td className={num}>
              {row.n}
              {row.failed ? <span className="text-red-300"> (+{row.failed} failed)</span> : null}
            </td>
            <td className={`${num} ${row.trainedOn ? "text-fuchsia-200" : "text-slate-500"}`}>{row.trainedOn || "—"}</td>
            <td className="py-1.5 pr-3 text-slate-300">{row.adapter ?? "—"}</td>
            <td className={num}>{formatMeanSd(row.base.mean, row.base.sd)}</td>
            <td className={num}>{row.adapted ? formatMeanSd(row.adapted.mean, row.adapted.sd) : "—"}</td>
            <td className={`${num} ${row.gain?.mean == null ? "" : row.gain.mean > 0 ? "text-emerald-300" : "text-red-300"}`}>{row.gain ? formatMeanSd(row.gain.mean, row.gain.sd, true) : "—"}</td>
            <td className={`${num} text-slate-300`}>{formatCi(row.gain)}</td>
            <td className={`${num} text-slate-400`}>{row.base.min === null ? "—" : `${formatDice(row.base.min)}–${formatDice(row.base.max)}`}</td>
          </tr>,
          ...(perClass
            ? classes.map((name) => {
                const c = row.classes[name];
                return (
                  <tr key={`${row.site}-${name}`} className="border-b border-slate-800/40 text-slate-300">
                    <td />
                    <td className="py-1 pr-3 text-slate-400">{name}</td>
                    <td className={num}>{c.base.n}</td>
                    <td />
                    <td />
                    <td className={num}>{formatMeanSd(c.base.mean, c.base.sd)}</td>
                    <td className={num}>{c.adapted ? formatMeanSd(c.adapted.mean, c.adapted.sd) : "—"}</td>
                    <td className={num}>{c.gain ? formatGain(c.gain.mean) : "—"}</td>
                    <td className={`${num} text-slate-400`}>{formatCi(c.gain)}</td>
                    <td />
                  </tr>
                );
              })
            : []),
        ])}
      </tbody>
    </table>
  );
}

/** Site × {base, adapter}: absolute volume error % and HD95 mm, mean ± sd over cases (of the mean over classes; per class on demand). */
function BeyondDiceTable({ table, classes, perClass }: { table: SiteRow[]; classes: string[]; perClass: boolean }) {
  const num = "py-1.5 pr-3 text-right tabular-nums";
  const cells = (m: SiteRow["hd95Mm"]["mean"] | undefined, digits: number) => (
    <>
      <td className={num}>{formatStat(m?.base.mean, m?.base.sd, digits)}</td>
      <td className={num}>{m?.adapted ? formatStat(m.adapted.mean, m.adapted.sd, digits) : "—"}</td>
    </>
  );
  return (
    <table aria-label="Study volume error and HD95" className="w-full border-collapse text-xs">
      <caption className="pb-1 text-left text-[11px] text-slate-500">
        Volume error 100·|predicted − reference|/reference and HD95 (95th-percentile surface distance, mm): the mean over classes per case, then mean ± sd over the site's cases; lower is better.
      </caption>
      <thead>
        <tr className="border-b border-slate-700 text-left text-[11px] uppercase tracking-wide text-slate-500">
          <th className="py-1.5 pr-3">Site</th>
          <th className="py-1.5 pr-3">Class</th>
          <th className={num}>|Vol. err.| % base</th>
          <th className={num}>+ adapter</th>
          <th className={num}>HD95 mm base</th>
          <th className={num}>+ adapter</th>
        </tr>
      </thead>
      <tbody>
        {table.flatMap((row) => [
          <tr key={row.site} className="border-b border-slate-800/70 text-slate-100">
            <th scope="row" className="py-1.5 pr-3 text-left font-medium">
              {row.site}
            </th>
            <td className="py-1.5 pr-3 text-slate-400">mean</td>
            {cells(row.absVolumeErrorPct?.mean, 1)}
            {cells(row.hd95Mm?.mean, 2)}
          </tr>,
          ...(perClass
            ? classes.map((name) => (
                <tr key={`${row.site}-${name}`} className="border-b border-slate-800/40 text-slate-300">
                  <td />
                  <td className="py-1 pr-3 text-slate-400">{name}</td>
                  {cells(row.absVolumeErrorPct?.classes[name], 1)}
                  {cells(row.hd95Mm?.classes[name], 2)}
                </tr>
              ))
            : []),
        ])}
      </tbody>
    </table>
  );
}

/** "+0.350 to +0.470", "—" without an interval. */
const formatCi = (gain: GainStats | null) => (gain?.ci95 ? `${formatGain(gain.ci95[0])} to ${formatGain(gain.ci95[1])}` : "—");

/**
 * Train a site's adapter from the cases ticked "train on" (in the worker, the training job the
 * viewer's Train panel uses too), then the study judges it on the site's other cases.
 */
function StudyTrainPanel({ busy }: { busy: boolean }) {
  const cases = useApp((s) => s.studyCases);
  const trainOn = useApp((s) => s.studyTrainOn);
  const note = useApp((s) => s.studyTrainNote);
  const training = useApp((s) => s.training);
  const trainable = useApp((s) => Boolean(s.manifest?.files.trainStep));
  const { trainSiteAdapter, cancelTraining } = useApp.getState();
  const [nSlices, setNSlices] = useState(10);
  const [steps, setSteps] = useState(TRAIN_DEFAULTS.steps);
  const ticked = new Map<string, number>();
  for (const c of cases) if (trainOn.includes(c.id)) ticked.set(c.site, (ticked.get(c.site) ?? 0) + 1);
  const sites = [...ticked.keys()].sort();
  const running = training.status === "running";
  const mine = training.study !== undefined; // the last training was the study's (the viewer's shows in its own panel)
  const outcome = mine ? training.outcome : null;
  const input = "w-full rounded border border-slate-700 bg-slate-800 px-1.5 py-0.5 text-xs tabular-nums text-slate-100 focus:border-sky-500 focus:outline-none";
  const progressText = !mine
    ? running
      ? "The viewer's Train panel is training an adapter"
      : "Not trained yet"
    : running
      ? training.step === 0 && training.loss === null
        ? `Reading the cases of ${training.study}…`
        : training.step === training.steps
          ? "Saving the adapter…"
          : `Step ${training.step} / ${training.steps}${training.loss !== null ? ` · loss ${training.loss.toFixed(4)}` : ""}`
      : training.status === "done"
        ? `${training.steps} steps done`
        : training.status === "cancelled"
          ? training.note ? `Cancelled: ${training.note}` : "Cancelled"
          : training.status === "error"
            ? "Training failed"
            : "Not trained yet";
  if (!trainable) return null;
  return (
    <div role="group" aria-label="Train a site adapter" className="space-y-2 border-t border-slate-800 pt-3">
      <h3 className="text-xs font-semibold uppercase tracking-wider text-slate-400">Train a site adapter from its cases</h3>
      {!sites.length && <p className="text-xs text-slate-500">Tick “train on” beside a few cases of a site: its adapter learns from them, and the study then judges it on the site's other cases.</p>}
      <div className="grid grid-cols-2 gap-2">
        <label className="space-y-0.5 text-xs text-slate-300">
          <span>Labelled slices per case</span>
          <input aria-label="Labelled slices per case" type="number" min={1} max={40} className={input} value={nSlices} onChange={(e) => setNSlices(e.target.valueAsNumber)} disabled={running} />
        </label>
        <label className="space-y-0.5 text-xs text-slate-300">
          <span>Steps</span>
          <input aria-label="Training steps" type="number" min={1} max={5000} className={input} value={steps} onChange={(e) => setSteps(e.target.valueAsNumber)} disabled={running} />
        </label>
      </div>
      {sites.map((site) => (
        <Button key={site} variant="primary" className="w-full" disabled={busy || running} onClick={() => void trainSiteAdapter({ site, nSlices, steps })}>
          Train {site} adapter from {ticked.get(site)} case{ticked.get(site) === 1 ? "" : "s"}
        </Button>
      ))}
      {(sites.length > 0 || mine) && (
        <div className="flex items-center gap-2">
          <div className="flex-1">
            <ProgressBar label="Study training progress" value={mine ? training.step : 0} max={mine ? training.steps : 0} text={progressText} tone={mine && running ? "active" : mine && training.status === "done" ? "done" : "idle"} />
          </div>
          <Button variant="danger" size="xs" disabled={!running} onClick={() => cancelTraining()} aria-label="Cancel training">
            Cancel
          </Button>
        </div>
      )}
      {note && (
        <Alert title="Not trained" tone="warning">
          <p>{note}</p>
        </Alert>
      )}
      {mine && training.status === "error" && training.error && (
        <Alert title="Training failed">
          <p>{training.error}</p>
          <p className="mt-1 text-red-200/80">The cases, results and adapters are unchanged.</p>
        </Alert>
      )}
      {outcome && (
        <div role="group" aria-label="Study training result" className="space-y-1.5 rounded-md border border-slate-800 bg-slate-950/50 p-2.5 text-xs text-slate-300">
          <p>
            Adapter <span className="font-medium text-slate-100">{outcome.name}</span>, chosen for {training.study}, learnt on {outcome.runtime} from{" "}
            {outcome.cases.map((c, i) => (
              <span key={c.id}>
                {i > 0 && ", "}
                <span className="text-slate-100">{c.id.split("/").pop()}</span> <span className="text-slate-500">(slices {c.indices.join(", ")})</span>
              </span>
            ))}
            .
          </p>
          {outcome.losses.length > 0 && (
            <p className="tabular-nums text-slate-400">
              Loss {outcome.losses[0].toFixed(4)} → {outcome.losses.at(-1)!.toFixed(4)} over {outcome.losses.length} steps.
            </p>
          )}
          {outcome.notice && <p role="note" className="text-amber-200">{outcome.notice}</p>}
          {outcome.warnings.length > 0 && (
            <ul role="note" aria-label="Training warnings" className="list-disc space-y-0.5 pl-4 text-amber-200">
              {outcome.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <Button
            size="xs"
            onClick={() => downloadAdapter(outcome.files)}
          >
            Save adapter
          </Button>
        </div>
      )}
    </div>
  );
}

const SyntheticBadge = () => <span className="ml-1.5 rounded bg-violet-500/20 px-1 text-[10px] font-semibold uppercase tracking-wide text-violet-300">synthetic</span>;
