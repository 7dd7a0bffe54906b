import { loadAdapter } from "../core/adapters";
import type { AdaptCase } from "../core/adapt";
import { TRAIN_DEFAULTS } from "../core/adapt/train";
import { conventionsOf, guessConvention, labelValues, MODEL_CLASSES, type ConventionId } from "../core/metrics/conventions";
import { CancelledError } from "../core/pipeline/runner";
import { passOptions } from "../core/pipeline/segment";
import { pairFiles, runStudy, type CaseResult, type StudyCase, type StudyRead } from "../core/study";
import { sampleCases } from "../core/samples";
import { sha256Hex } from "../core/sha256";
import type { LoadedAdapter } from "./adapterSlice";
import { createSavedStudy, type SavedStudyState } from "./savedStudy";
import { fetchSampleFile } from "./samplesSlice";
import { trainingEnded } from "./trainSlice";
import { message, type Slice } from "./types";
import { busyReason, busyWith } from "./workerSlice";

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

/** Train a site's adapter from the study's ticked cases of that site. */
export interface StudyTrainRequest {
  site: string;
  /** Labelled slices per case, spread over its brain. */
  nSlices: number;
  steps: number;
}

export interface StudySlice extends SavedStudyState {
  studyFiles: Map<string, StudySource>;
  studyCases: StudyCaseEntry[];
  studyUnpaired: string[];
  /** Each site's adapter (a name of the model's adapters), null for base only. */
  studySiteAdapters: Record<string, string | null>;
  studyJob: StudyJob;
  studyResults: CaseResult[];
  /** When the running or last study started (Date.now()); with its cases' times, the elapsed time and the estimate. */
  studyStartedAt: number | null;
  /** Cases ticked "train on" (ids): a site's adapter learns from them, and the study judges it on the site's others. */
  studyTrainOn: string[];
  /** Why the last "Train <site> adapter" was refused before it started (null: it was not). */
  studyTrainNote: string | null;
  /** Adds files (paths relative to the dropped folder's parent or bare names) and pairs them again. */
  addStudyFiles: (files: { path: string; source: StudySource }[], rootName: string) => Promise<void>;
  loadSampleStudy: () => Promise<void>;
  setCaseSite: (id: string, site: string) => void;
  setCaseConvention: (id: string, convention: ConventionId) => void;
  setSiteAdapter: (site: string, adapter: string | null) => void;
  setTrainOn: (id: string, on: boolean) => void;
  /** Takes cases out of the study (their image and label files too); a site left without cases goes. */
  removeStudyCases: (ids: string[]) => void;
  /**
   * Trains the site's adapter from its ticked cases in the worker (the training job of trainSlice:
   * `training`, its Cancel), installs it as a loaded adapter named `<site>-adapter`,
   * chooses it for the site, then runs the study, which judges it on the site's other cases.
   */
  trainSiteAdapter: (req: StudyTrainRequest) => Promise<void>;
  runSiteStudy: () => Promise<void>;
  cancelStudy: () => void;
  clearStudy: () => void;
}

const idleJob: StudyJob = { status: "idle", fraction: 0, caseIndex: 0, totalCases: 0, error: null };

async function readSource(source: StudySource): Promise<Uint8Array> {
  return source instanceof Blob ? new Uint8Array(await source.arrayBuffer()) : fetchSampleFile(source.sample);
}

/**
 * A label read to guess its convention is kept for the study's runs (each label read once) while
 * the kept labels hold at most this many voxel bytes; past it, a label is read again when the
 * study runs. The fetal site of 15 cases (135×189×155, 8-bit) holds 59 MB.
 */
const KEEP_LABEL_BYTES = 256 * 2 ** 20;

export const createStudySlice: Slice<StudySlice> = (set, get, api) => {
  /** The model's adapter for a site, by the same rule as the CLI: a shipped adapter whose site or name is the site's. */
  const defaultAdapter = (site: string) => get().manifest?.adapters.shipped.find((a) => a.site === site || a.name === site)?.name ?? null;

  /** The sites the cases name now (a renamed site leaves), each keeping the adapter chosen for it. */
  const sitesOf = (cases: StudyCaseEntry[]) => {
    const before = get().studySiteAdapters;
    const adapters: Record<string, string | null> = {};
    for (const c of cases) adapters[c.site] = c.site in before ? before[c.site] : defaultAdapter(c.site);
    return adapters;
  };

  /** Labels read to guess their convention, by the file they came from (they go with it). */
  const keptLabels = new WeakMap<StudySource, StudyRead>();
  /** A study file read in the read worker (store.volumeReader), or a kept label from memory. */
  const readStudyFile = async (files: Map<string, StudySource>, path: string): Promise<StudyRead> => {
    const source = files.get(path);
    if (!source) throw new Error(`${path} is no longer in the study`);
    const kept = keptLabels.get(source);
    if (kept) return kept;
    const { volume, sha256 } = await get().volumeReader(await readSource(source), path, 0);
    return { volume, sha256: () => sha256 };
  };
  const keepLabel = (files: Map<string, StudySource>, path: string, label: StudyRead) => {
    let held = 0;
    for (const source of files.values()) held += keptLabels.get(source)?.volume.data.byteLength ?? 0;
    if (held + label.volume.data.byteLength <= KEEP_LABEL_BYTES) keptLabels.set(files.get(path)!, label);
  };

  return {
    studyFiles: new Map(),
    studyCases: [],
    studyUnpaired: [],
    studySiteAdapters: {},
    studyJob: idleJob,
    studyResults: [],
    studyStartedAt: null,
    studyTrainOn: [],
    studyTrainNote: null,
    ...createSavedStudy(idleJob)(set, get, api),
    addStudyFiles: async (files, rootName) => {
      const all = new Map(get().studyFiles);
      for (const f of files) all.set(f.path, f.source);
      // files dropped while a study runs join the list for the next one; the run stays shown, with its Cancel
      const running = () => busyWith(get()) === "studying";
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
            if (manifest) {
              const label = await readStudyFile(all, c.label);
              convention = guessConvention(labelValues(label.volume.data), conventionsOf(manifest));
              keepLabel(all, c.label, label);
            }
          } catch {
            guessed = false; // unreadable: the study records the error for this case
          }
        }
        entries.push({ ...c, convention, conventionGuessed: guessed });
      }
      const ids = new Set(entries.map((c) => c.id));
      set({ studyCases: entries, studyUnpaired: unpaired, studySiteAdapters: sitesOf(entries), studyTrainOn: get().studyTrainOn.filter((id) => ids.has(id)), ...(running() ? {} : { studyJob: idleJob }) });
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
    setTrainOn: (id, on) => {
      const rest = get().studyTrainOn.filter((t) => t !== id);
      set({ studyTrainOn: on && get().studyCases.some((c) => c.id === id) ? [...rest, id] : rest, studyTrainNote: null });
    },
    removeStudyCases: (ids) => {
      const gone = new Set(ids);
      const removed = get().studyCases.filter((c) => gone.has(c.id));
      if (!removed.length) return;
      const studyFiles = new Map(get().studyFiles);
      for (const c of removed) {
        studyFiles.delete(c.image);
        studyFiles.delete(c.label);
      }
      const studyCases = get().studyCases.filter((c) => !gone.has(c.id));
      set({ studyFiles, studyCases, studySiteAdapters: sitesOf(studyCases), studyTrainOn: get().studyTrainOn.filter((id) => !gone.has(id)), studyTrainNote: null });
    },
    trainSiteAdapter: async ({ site, nSlices, steps }) => {
      const { manifest, client, studyCases, studyFiles, studyTrainOn } = get();
      // a refusal says why and leaves everything as it was: the cases, results, adapters and the last training
      const refuse = (note: string) => set({ studyTrainNote: note });
      if (!manifest || get().modelStatus !== "ready") return refuse("Wait for the model to load, then train.");
      if (!manifest.files.trainStep) return refuse(`${manifest.name} ships no training graph, so adapters for it cannot be trained here.`);
      const busy = busyReason(get());
      if (busy) return refuse(`${busy}, then train.`);
      const ofSite = studyCases.filter((c) => c.site === site);
      const ticked = ofSite.filter((c) => studyTrainOn.includes(c.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (!ticked.length) return refuse(`Tick "train on" beside the cases of ${site} to learn from.`);
      if (ticked.length === ofSite.length) return refuse(`Leave at least one case of ${site} unticked to judge the adapter on: a site's adapter is judged only on cases it never saw.`);
      if (!Number.isInteger(nSlices) || nSlices < 1) return refuse("Labelled slices per case is a whole number from 1.");
      if (!Number.isInteger(steps) || steps < 1) return refuse("Steps is a whole number from 1.");

      const claim = get().claimTraining(steps, site)!; // the worker is free (above)
      set({ studyTrainNote: null });
      const mine = () => get().activeJob === claim;
      try {
        // the ticked cases as the study reads them (same bytes, so the same sha256 the study checks)
        const cases: AdaptCase[] = [];
        for (const c of ticked) {
          try {
            const image = await readStudyFile(studyFiles, c.image);
            const reference = (await readStudyFile(studyFiles, c.label)).volume;
            cases.push({ id: c.id, scans: [image.volume], reference, convention: c.convention, images: [c.image], sourceSha256: [await image.sha256()] });
          } catch (e) {
            throw new Error(`Case ${c.id} could not be read: ${message(e)}`);
          }
          if (claim.abort.signal.aborted) throw new CancelledError();
        }
        const [head, ...moreCases] = cases;
        const outcome = await client.adapt(
          {
            caseId: head.id,
            scan: head.scans[0],
            reference: head.reference,
            convention: head.convention,
            moreCases,
            nSlices,
            // not scored on held-out slices of the trained cases: the study judges the adapter on the site's untouched cases
            scoreAgainst: null,
            train: { ...TRAIN_DEFAULTS, steps },
            site,
            description: `trained in the browser's Site study on ${cases.length} case${cases.length > 1 ? "s" : ""} of ${site}: ${ticked.map((c) => c.id).join(", ")}`,
            images: head.images,
            sourceSha256: head.sourceSha256,
          },
          { signal: claim.abort.signal, onStep: (step, loss) => mine() && set({ training: { ...get().training, step, loss } }) },
        );
        const sha256 = await sha256Hex(outcome.files.weights);
        if (!mine()) return;
        const name = get().freeAdapterName(`${site}-adapter`, (i) => `${site}-adapter-${i}`);
        const adapter: LoadedAdapter = { ...loadAdapter(name, outcome.files.config, outcome.files.weights, manifest), sha256 };
        const siteAdapters = get().studySiteAdapters;
        get().releaseWorker(claim);
        set({ training: { ...get().training, status: "done", outcome: { ...outcome, name } }, ...(site in siteAdapters ? { studySiteAdapters: { ...siteAdapters, [site]: name } } : {}) });
        // joins every Adapter select (the viewer's too), chosen for its site here only
        get().addAdapter({ name, site, adapter }, false);
      } catch (e) {
        if (!mine()) return;
        get().releaseWorker(claim);
        set({ training: trainingEnded(get().training, e, claim.abort.signal) });
        return;
      }
      // the site's other cases judge the new adapter; the ticked ones come out trained-on (their sha256 is in it)
      await get().runSiteStudy();
    },
    runSiteStudy: async () => {
      const { manifest, client, studyCases, studyFiles, studySiteAdapters } = get();
      if (!manifest || !studyCases.length) return;
      get().cancelStudy();
      const onCancel = () => set({ studyJob: { ...get().studyJob, status: "cancelled" } });
      const taken = get().claimWorker("studying", onCancel, { studyResults: [], studyStartedAt: Date.now(), studyJob: { ...idleJob, status: "running", totalCases: studyCases.length } });
      if (!taken.ok) return; // a segmentation or a training holds the worker (Run says so)
      const { claim } = taken;
      const mine = () => get().activeJob === claim;
      try {
        const results = await runStudy(
          studyCases,
          {
            manifest,
            readFile: (path) => readSource(studyFiles.get(path)!),
            readVolume: (path) => readStudyFile(studyFiles, path),
            segment: async (scan, adapter, onProgress, signal) => (await client.segment(scan, { adapterFeeds: adapter?.feeds, onProgress, signal, options: passOptions(manifest, get().activeOptions()) })).labels,
            adapterFor: async (site) => {
              const name = studySiteAdapters[site];
              return name ? get().getAdapter(name) : null;
            },
            // HD95 runs here on the main thread: in slices, a task apart, so the page stays responsive
            pause: () => new Promise<void>((resolve) => setTimeout(resolve, 0)),
          },
          {
            signal: claim.abort.signal,
            onProgress: (fraction, caseIndex, totalCases) => mine() && set({ studyJob: { ...get().studyJob, fraction, caseIndex, totalCases } }),
            onCase: (result) => mine() && set({ studyResults: [...get().studyResults, result] }),
          },
        );
        if (!mine()) return;
        get().releaseWorker(claim);
        set({ studyResults: results, studyJob: { ...get().studyJob, status: "done", fraction: 1 } });
      } catch (e) {
        if (!mine()) return;
        // The cases scored so far stay on screen.
        get().releaseWorker(claim);
        const cancelled = e instanceof CancelledError || claim.abort.signal.aborted;
        set({ studyJob: { ...get().studyJob, status: cancelled ? "cancelled" : "error", error: cancelled ? null : message(e) } });
      }
    },
    cancelStudy: () => void get().cancelActiveJob(undefined, ["studying"]),
    clearStudy: () => {
      get().cancelStudy();
      set({ studyFiles: new Map(), studyCases: [], studyUnpaired: [], studySiteAdapters: {}, studyResults: [], studyJob: idleJob, studyTrainOn: [], studyTrainNote: null });
    },
  };
};
