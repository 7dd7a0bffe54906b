import { readVolume } from "../core/io";
import { conventionsOf, guessConvention, labelValues, MODEL_CLASSES, type ConventionId } from "../core/metrics/conventions";
import { CancelledError } from "../core/pipeline/runner";
import { passOptions } from "../core/pipeline/segment";
import { pairFiles, runStudy, type CaseResult, type StudyCase } from "../core/study";
import { sampleCases } from "../core/samples";
import { fetchSampleFile } from "./samplesSlice";
import { message, type Slice } from "./types";

/** Where a study file's bytes come from: a dropped or picked file, or a built-in sample. */
export type StudySource = Blob | { sample: string };

export interface StudyCaseEntry extends StudyCase {
  convention: ConventionId;
  conventionGuessed: boolean;
}

export interface StudyJob {
  status: "idle" | "reading" | "running" | "done" | "cancelled" | "error";
  /** 0..1 over both runs of every case. */
  fraction: number;
  caseIndex: number;
  totalCases: number;
  error: string | null;
}

export interface StudySlice {
  studyFiles: Map<string, StudySource>;
  studyCases: StudyCaseEntry[];
  studyUnpaired: string[];
  /** Each site's adapter (a name of the model's adapters), null for base only. */
  studySiteAdapters: Record<string, string | null>;
  studyJob: StudyJob;
  studyResults: CaseResult[];
  studyAbort: AbortController | null;
  /** Adds files (paths relative to the dropped folder's parent or bare names) and pairs them again. */
  addStudyFiles: (files: { path: string; source: StudySource }[], rootName: string) => Promise<void>;
  loadSampleStudy: () => Promise<void>;
  setCaseSite: (id: string, site: string) => void;
  setCaseConvention: (id: string, convention: ConventionId) => void;
  setSiteAdapter: (site: string, adapter: string | null) => void;
  runSiteStudy: () => Promise<void>;
  cancelStudy: () => void;
  clearStudy: () => void;
}

const idleJob: StudyJob = { status: "idle", fraction: 0, caseIndex: 0, totalCases: 0, error: null };

async function readSource(source: StudySource): Promise<Uint8Array> {
  return source instanceof Blob ? new Uint8Array(await source.arrayBuffer()) : fetchSampleFile(source.sample);
}

export const createStudySlice: Slice<StudySlice> = (set, get) => {
  /** The model's adapter for a site, by the same rule as the CLI: a shipped adapter whose site or name is the site's. */
  const defaultAdapter = (site: string) => get().manifest?.adapters.shipped.find((a) => a.site === site || a.name === site)?.name ?? null;

  /** The sites the cases name now (a renamed site leaves), each keeping the adapter chosen for it. */
  const sitesOf = (cases: StudyCaseEntry[]) => {
    const before = get().studySiteAdapters;
    const adapters: Record<string, string | null> = {};
    for (const c of cases) adapters[c.site] = c.site in before ? before[c.site] : defaultAdapter(c.site);
    return adapters;
  };

  return {
    studyFiles: new Map(),
    studyCases: [],
    studyUnpaired: [],
    studySiteAdapters: {},
    studyJob: idleJob,
    studyResults: [],
    studyAbort: null,
    addStudyFiles: async (files, rootName) => {
      const all = new Map(get().studyFiles);
      for (const f of files) all.set(f.path, f.source);
      // files dropped while a study runs join the list for the next one; the run stays shown, with its Cancel
      const running = () => get().studyAbort !== null;
      set({ studyFiles: all, ...(running() ? {} : { studyJob: { ...idleJob, status: "reading" as const } }) });
      const { cases, unpaired } = pairFiles([...all.keys()], rootName);
      const known = new Map(get().studyCases.map((c) => [c.id, c]));
      const manifest = get().manifest;
      const entries: StudyCaseEntry[] = [];
      for (const c of cases) {
        const kept = known.get(c.id);
        if (kept && kept.label === c.label) {
          entries.push(kept);
          continue;
        }
        // The convention is guessed from the label's values; the user can change it per case.
        let convention: ConventionId = c.convention ?? MODEL_CLASSES;
        let guessed = !c.convention;
        if (!c.convention) {
          try {
            if (manifest) convention = guessConvention(labelValues(readVolume(await readSource(all.get(c.label)!), c.label).data), conventionsOf(manifest));
          } catch {
            guessed = false; // unreadable: the study records the error for this case
          }
        }
        entries.push({ ...c, convention, conventionGuessed: guessed });
      }
      set({ studyCases: entries, studyUnpaired: unpaired, studySiteAdapters: sitesOf(entries), ...(running() ? {} : { studyJob: idleJob }) });
    },
    loadSampleStudy: async () => {
      const samples = get().samples;
      if (!samples.length) await get().loadSamples();
      // The same layout the CLI sees in public/samples: one folder per site.
      const files = get().samples.flatMap((s) => sampleCases(s).flatMap((c) => [c.image, c.label])).map((path) => ({ path, source: { sample: path } }));
      get().clearStudy();
      await get().addStudyFiles(files, "samples");
    },
    setCaseSite: (id, site) => {
      const name = site.trim();
      if (!name) return;
      const studyCases = get().studyCases.map((c) => (c.id === id ? { ...c, site: name } : c));
      set({ studyCases, studySiteAdapters: sitesOf(studyCases) });
    },
    setCaseConvention: (id, convention) => set({ studyCases: get().studyCases.map((c) => (c.id === id ? { ...c, convention, conventionGuessed: false } : c)) }),
    setSiteAdapter: (site, adapter) => set({ studySiteAdapters: { ...get().studySiteAdapters, [site]: adapter } }),
    runSiteStudy: async () => {
      const { manifest, client, studyCases, studyFiles, studySiteAdapters } = get();
      if (!manifest || !studyCases.length || get().job.status === "running" || get().trainAbort) return;
      get().cancelStudy();
      const abort = new AbortController();
      set({ studyAbort: abort, studyResults: [], studyJob: { ...idleJob, status: "running", totalCases: studyCases.length } });
      const mine = () => get().studyAbort === abort;
      try {
        const results = await runStudy(
          studyCases,
          {
            manifest,
            readFile: (path) => readSource(studyFiles.get(path)!),
            segment: async (scan, adapter, onProgress, signal) => (await client.segment(scan, { adapterFeeds: adapter?.feeds, onProgress, signal, options: passOptions(manifest, get().activeOptions()) })).labels,
            adapterFor: async (site) => {
              const name = studySiteAdapters[site];
              return name ? get().getAdapter(name) : null;
            },
            // HD95 runs here on the main thread: in slices, a task apart, so the page stays responsive
            pause: () => new Promise<void>((resolve) => setTimeout(resolve, 0)),
          },
          {
            signal: abort.signal,
            onProgress: (fraction, caseIndex, totalCases) => mine() && set({ studyJob: { ...get().studyJob, fraction, caseIndex, totalCases } }),
            onCase: (result) => mine() && set({ studyResults: [...get().studyResults, result] }),
          },
        );
        if (mine()) set({ studyAbort: null, studyResults: results, studyJob: { ...get().studyJob, status: "done", fraction: 1 } });
      } catch (e) {
        if (!mine()) return;
        // The cases scored so far stay on screen.
        const cancelled = e instanceof CancelledError || abort.signal.aborted;
        set({ studyAbort: null, studyJob: { ...get().studyJob, status: cancelled ? "cancelled" : "error", error: cancelled ? null : message(e) } });
      }
    },
    cancelStudy: () => {
      const abort = get().studyAbort;
      if (!abort) return;
      set({ studyAbort: null, studyJob: { ...get().studyJob, status: "cancelled" } });
      abort.abort();
    },
    clearStudy: () => {
      get().cancelStudy();
      set({ studyFiles: new Map(), studyCases: [], studyUnpaired: [], studySiteAdapters: {}, studyResults: [], studyJob: idleJob });
    },
  };
};
