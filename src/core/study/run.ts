import { trainedOnSha256, type Adapter } from "../adapters/adapter";
import { readVolume } from "../io";
import type { Manifest } from "../manifest/schema";
import { conventionsOf, guessConvention, labelValues, resolveConvention } from "../metrics/conventions";
import { alignReference, evaluateAligned, hd95Task, volumesOf, type Evaluation } from "../metrics/evaluate";
import { drainSliced } from "../metrics/hausdorff";
import { CancelledError } from "../pipeline/runner";
import { sha256Hex, volumeSha256 } from "../sha256";
import { voxelVolumeMl } from "../volume/affine";
import type { Volume } from "../volume/types";
import { byKey, type CaseResult, type Scores, type StudyCase } from "./types";

/** What a study needs from its host: the app gives dropped files and its worker, the CLI the disk and onnxruntime-node. */
export interface StudyDeps {
  manifest: Manifest;
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Reads a case's file into a volume; absent (the CLI), readFile then a read on this thread. The
   * app reads in its read worker, and a label it read to guess its convention from memory.
   */
  readVolume?(path: string): Promise<StudyRead>;
  /** Class labels on the scan's own grid; `adapter` null is the base model. Progress in slices. */
  segment(scan: Volume, adapter: Adapter | null, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<Volume & { data: Uint8Array }>;
  /** The site's adapter, or null when the site has none. Called once per site; a rejection fails that site's cases. */
  adapterFor(site: string): Promise<Adapter | null>;
  /**
   * A host task to wait for between slices of the HD95 computation (hundreds of milliseconds on
   * a 256³ scan): the app's main thread passes one so that no task blocks it for long. Absent (the
   * CLI): HD95 is computed at once.
   */
  pause?: () => Promise<void>;
}

/** A file read by a study: its volume, and the file's sha256 when asked (a case the adapter learnt from is known by it). */
export interface StudyRead {
  volume: Volume;
  sha256(): Promise<string>;
}

/** readFile, then readVolume here. */
const readHere = (readFile: StudyDeps["readFile"]) => async (path: string): Promise<StudyRead> => {
  const bytes = await readFile(path);
  return { volume: readVolume(bytes, path), sha256: () => sha256Hex(bytes) };
};

/** A case's scores from its evaluation: Dice, volume error and HD95 per class (unrounded). */
export function scoresOf(ev: Evaluation, classNames: string[], voxelMl: number): Scores {
  const volumes = volumesOf(ev, classNames, voxelMl);
  const fg = classNames.slice(1);
  return {
    dice: ev.dice,
    meanDice: ev.meanDice,
    volumeErrorMl: Object.fromEntries(fg.map((name) => [name, volumes[name].errorMl])),
    volumeErrorPct: Object.fromEntries(fg.map((name) => [name, volumes[name].errorPct])),
    hd95Mm: Object.fromEntries(fg.map((name) => [name, ev.hd95Mm?.[name] ?? null])),
  };
}

export interface StudyOptions {
  /** Overall progress: both runs of every case, slices within a run. */
  onProgress?: (fractionDone: number, caseIndex: number, totalCases: number) => void;
  /** Each case's result as soon as it is known (in id order). */
  onCase?: (result: CaseResult, caseIndex: number, totalCases: number) => void;
  /** Aborting stops the whole study: runStudy rejects with CancelledError. */
  signal?: AbortSignal;
}

/** The foreground classes a study scores: the manifest's classes after background. */
export const scoredClasses = (manifest: Manifest) => manifest.classes.slice(1).map((c) => c.name);

const isCancel = (e: unknown, signal?: AbortSignal) => e instanceof CancelledError || (e as Error | null)?.name === "AbortError" || signal?.aborted === true;

/**
 * Scores the base model and each site's adapter on every case (sorted by id; results in that
 * order). A case that fails (unreadable file, label in another world space, adapter refused, ...)
 * is recorded with its error and the study goes on; cancelling rejects with CancelledError.
 */
export async function runStudy(cases: StudyCase[], deps: StudyDeps, opts: StudyOptions = {}): Promise<CaseResult[]> {
  const { manifest } = deps;
  const { signal } = opts;
  const names = manifest.classes.map((c) => c.name);
  const sorted = [...cases].sort(byKey((c) => c.id));
  const total = sorted.length;
  const adapters = new Map<string, Promise<Adapter | null>>();
  const adapterFor = (site: string) => {
    let a = adapters.get(site);
    if (!a) adapters.set(site, (a = deps.adapterFor(site)));
    return a;
  };
  const read = deps.readVolume ?? readHere(deps.readFile);
  const results: CaseResult[] = [];
  const checkCancel = () => {
    if (signal?.aborted) throw new CancelledError();
  };
  opts.onProgress?.(0, 0, total);

  for (let i = 0; i < total; i++) {
    const c = sorted[i];
    // two runs per case (base, adapter); a site without adapter skips its second
    const report = (run: number, fraction: number) => opts.onProgress?.(Math.min(1, (2 * i + run + fraction) / (2 * total)), i, total);
    const started = performance.now();
    const result: CaseResult = { id: c.id, site: c.site, image: c.image, label: c.label, convention: c.convention ?? null, adapter: null, adapterSha256: null, base: null, adapted: null, trainedOn: false, error: null };
    try {
      checkCancel();
      const image = await read(c.image);
      const scan = image.volume;
      const reference = (await read(c.label)).volume;
      const convention = resolveConvention(manifest, c.convention ?? guessConvention(labelValues(reference.data), conventionsOf(manifest)));
      result.convention = convention.id;
      // refuse a label from another scan before spending two segmentations on it
      const aligned = alignReference(reference, scan, convention);
      const adapter = await adapterFor(c.site);
      result.adapter = adapter?.name ?? null;
      result.adapterSha256 = adapter?.sha256 ?? null;
      // a case the adapter learnt from is no test of it: marked, and left out of the site's figures
      const learnt = adapter ? trainedOnSha256(adapter.config) : new Set<string>();
      // by the file's sha256, or by the scan's own (a browser may receive a .gz decompressed)
      result.trainedOn = learnt.size > 0 && (learnt.has(await image.sha256()) || learnt.has(await volumeSha256(scan)));
      const score = async (run: number, a: Adapter | null): Promise<Scores> => {
        const labels = await deps.segment(scan, a, (done, n) => report(run, n ? done / n : 1), signal);
        checkCancel();
        // HD95 at once where nothing waits on this thread (the CLI), in slices between host tasks where something does (the app)
        const ev = evaluateAligned(labels, aligned, convention.id, names, 2, undefined, { hd95: !deps.pause });
        if (deps.pause) {
          const hd = await drainSliced(hd95Task(labels, aligned, names), deps.pause, () => signal?.aborted === true);
          checkCancel();
          if (hd) ev.hd95Mm = hd;
        }
        return scoresOf(ev, names, voxelVolumeMl(labels.affine));
      };
      result.base = await score(0, null);
      if (adapter) result.adapted = await score(1, adapter);
    } catch (e) {
      if (isCancel(e, signal)) throw e instanceof CancelledError ? e : new CancelledError();
      result.base = result.adapted = null;
      result.error = e instanceof Error ? e.message : String(e);
    }
    result.ms = Math.round(performance.now() - started);
    results.push(result);
    report(2, 0);
    opts.onCase?.(result, i, total);
  }
  if (!total) opts.onProgress?.(1, 0, 0);
  return results;
}
