import { busyWith } from "../../stores/workerSlice";
import { useCallback, useMemo } from "react";
import { useApp } from "../../stores/store";

/** What the study's controls wait for: the study itself, a segmentation or a training, the model. */
export function useStudyBusy() {
  const status = useApp((s) => s.studyJob.status);
  const modelReady = useApp((s) => s.modelStatus === "ready");
  const holder = useApp(busyWith);
  const segmenting = holder === "segmenting" || holder === "comparing";
  const training = holder === "training"; // the study waits for it (runSiteStudy refuses)
  const running = holder === "studying";
  return {
    running,
    segmenting,
    /** The cases stay as they are while the study or a training reads them. */
    locked: running || training,
    /** Run study waits. */
    runBlocked: running || !modelReady || segmenting || training || status === "reading",
    /** The study's Train buttons wait. */
    trainBlocked: running || segmenting || !modelReady || status === "reading",
  };
}

/** Synthetic sample sites say so wherever a site is named. */
export function useSiteLabel() {
  const samples = useApp((s) => s.samples);
  const synthetic = useMemo(() => new Set(samples.filter((s) => s.synthetic).map((s) => s.id)), [samples]);
  const siteLabel = useCallback((site: string) => (synthetic.has(site) ? `${site} (synthetic)` : site), [synthetic]);
  return { synthetic, siteLabel };
}

/** Ids of the cases the site's adapter learnt from (scored, shown, not counted). */
export function useTrainedOn() {
  const results = useApp((s) => s.studyResults);
  return useMemo(() => new Set(results.filter((r) => r.trainedOn).map((r) => r.id)), [results]);
}

/**
 * Exports wait for the study to end: mid-run they would write a partial table with no mark. A
 * study that was cancelled or stopped says so in its files' names.
 */
export function useStudyExport() {
  const job = useApp((s) => s.studyJob);
  const done = useApp((s) => s.studyResults.length);
  const manifest = useApp((s) => s.manifest);
  const running = job.status === "running";
  const partial = job.status === "cancelled" || job.status === "error";
  return {
    disabled: running,
    title: running ? "The study is running: export when it ends (or cancel it to export the cases done)" : undefined,
    stamp: `${partial ? `partial-${done}-of-${job.totalCases}-` : ""}${new Date().toISOString().slice(0, 10)}`,
    chartTitle: `Mean Dice by site: base vs site adapter · ${manifest ? `${manifest.name} ${manifest.version}` : ""}`,
  };
}
