/**
 * A site's adapter from a scan and its reference label, end to end, for the CLI (`siteseg
 * adapt`) and the browser's training worker alike: choose the training slices, train, score base
 * and adapter on the slices left out, and write the adapter's two files.
 */
import { contrastProfile, loadAdapter, zeroFeeds, type Adapter } from "../adapters";
import type { Manifest } from "../manifest/schema";
import { evaluate, type Holdout } from "../metrics/evaluate";
import { resolveConvention, type ConventionId } from "../metrics/conventions";
import type { InferenceRunner, Tensor } from "../pipeline/runner";
import type { Volume } from "../volume/types";
import { AdaptError, chooseSlices, modelSliceOf, siteOnModelGrid, throughPlaneAxis, tissuePerSlice, trainingSlice } from "./data";
import { adapterFiles, type AdapterProvenance } from "./save";
import { trainLora, type TrainOptions } from "./train";

export * from "./data";
export * from "./save";
export * from "./train";

export interface AdaptInput {
  scan: Volume;
  /** Other scans of the site on the first one's grid and reference (e.g. its T2 beside its T1), trained on together. */
  moreScans?: Volume[];
  reference: Volume;
  convention: ConventionId;
  manifest: Manifest;
  /** Scan slices (along its axial axis) to train on; default: `nSlices` in all (split over the scans) spread over the brain. */
  slices?: number[];
  nSlices?: number;
  /**
   * What base and adapter are scored against on the held-out slices: by default the training
   * reference; another (the site's reference label when training on hand-corrected slices); or
   * null, not scored (a corrected mask is no reference for the slices nobody corrected).
   */
  scoreAgainst?: { reference: Volume; convention: ConventionId } | null;
  /** Held-out slices lie more than `gap` slices from every training slice. */
  gap?: number;
  train?: Partial<TrainOptions>;
  /** A session on the train-step graph. */
  trainStep: InferenceRunner;
  /** A session on the model itself (for the base's predictions when training anchors to them). */
  model: InferenceRunner;
  /** The base's mask of `scan` (on its grid) when the caller already has it: the held-out base score reuses it instead of segmenting again. */
  baseMask?: Volume & { data: Uint8Array };
  /** The whole scan's class labels with these adapter feeds (none: the base), on the scan's grid. */
  segment: (scan: Volume, feeds: Record<string, Tensor> | undefined) => Promise<Volume & { data: Uint8Array }>;
  /** Provenance that only the caller knows. */
  site: string;
  description: string;
  images: string[];
  sourceSha256: string[];
  tool: string;
  onStep?: (step: number, loss: number) => void;
  signal?: AbortSignal;
}

export interface AdaptResult {
  adapter: Adapter;
  files: { config: Uint8Array; weights: Uint8Array };
  holdout: Holdout;
  /** Mean Dice on the held-out slices, base then with the new adapter, for each scan trained on (empty when not scored). */
  heldOut: HeldOut[];
  losses: number[];
  /** Where the training steps ran (see AdapterProvenance.runtime). */
  runtime: string;
}

export interface HeldOut {
  base: number | null;
  adapter: number | null;
  slices: number;
}

/** The base's class probabilities (softmax over classes) for an image batch [N, C, H, W]. */
async function baseProbabilities(model: InferenceRunner, manifest: Manifest, image: Tensor): Promise<Float32Array> {
  const out = await model.run({ [manifest.input.inputName]: image, ...zeroFeeds(manifest) });
  const logits = out[manifest.input.outputName];
  const [N, K, H, W] = logits.dims, plane = H * W;
  const p = new Float32Array(logits.data.length);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < plane; i++) {
      let max = -Infinity, sum = 0;
      for (let k = 0; k < K; k++) max = Math.max(max, logits.data[(n * K + k) * plane + i]);
      for (let k = 0; k < K; k++) sum += p[(n * K + k) * plane + i] = Math.exp(logits.data[(n * K + k) * plane + i] - max);
      for (let k = 0; k < K; k++) p[(n * K + k) * plane + i] /= sum;
    }
  return p;
}

export async function adaptSite(a: AdaptInput): Promise<AdaptResult> {
  const { scan, manifest } = a;
  const scans = [scan, ...(a.moreScans ?? [])];
  const gap = a.gap ?? 5;
  const axis = throughPlaneAxis(scan.affine);
  const sites = scans.map((s) => {
    if (s.dims.some((d, i) => d !== scan.dims[i])) throw new AdaptError(`the scans of one site must share a grid: ${s.dims.join("×")} vs ${scan.dims.join("×")}`);
    return siteOnModelGrid(s, a.reference, a.convention, manifest);
  });
  // train_adapter.py: the same slices from every scan, n / (number of scans) of them
  const perScan = Math.max(1, Math.floor((a.nSlices ?? 10) / scans.length));
  const indices = a.slices ?? chooseSlices(tissuePerSlice(sites[0].classesOnScan, scan.dims, axis), perScan, gap);
  const bad = indices.filter((s) => !Number.isInteger(s) || s < 0 || s >= scan.dims[axis]);
  if (bad.length) throw new AdaptError(`slice ${bad.join(", ")} is outside the scan (its axial axis has ${scan.dims[axis]} slices, 0 to ${scan.dims[axis] - 1})`);
  if (!indices.length) throw new AdaptError("the reference has no labelled slice to train on");
  const slices = sites.flatMap((site, i) => indices.map((s) => trainingSlice(site, modelSliceOf(scans[i], axis, s, site.grid), manifest.input.contextSlices)));
  const trained = await trainLora(slices, manifest, a.trainStep, { ...a.train, onStep: a.onStep, signal: a.signal, basePredict: (image) => baseProbabilities(a.model, manifest, image) });

  const holdout: Holdout = { axis, indices, gap };
  const names = manifest.classes.map((c) => c.name);
  const contrasts = sites.map((site, i) => contrastProfile(scans[i].data, site.classesOnScan, names));
  const provenance: AdapterProvenance = { site: a.site, description: a.description, trainingSlices: { ...holdout, images: a.images }, sourceSha256: a.sourceSha256, contrasts, tool: a.tool, runtime: a.trainStep.backend, date: new Date().toISOString() };
  // the files as saved, loaded back: what is scored is exactly what a colleague will load
  let files = adapterFiles(trained, manifest, provenance);
  const adapter = loadAdapter(a.site, files.config, files.weights, manifest);
  const heldOut: HeldOut[] = [];
  const against = a.scoreAgainst === undefined ? { reference: a.reference, convention: a.convention } : a.scoreAgainst;
  if (against) {
    for (const s of scans) {
      const score = async (feeds?: Record<string, Tensor>) => evaluate(feeds || s !== scan || !a.baseMask ? await a.segment(s, feeds) : a.baseMask, against.reference, resolveConvention(manifest, against.convention), names, 2, holdout);
      const base = await score(undefined);
      const adapted = await score(adapter.feeds);
      heldOut.push({ base: base.meanDice, adapter: adapted.meanDice, slices: adapted.scoredSlices?.length ?? 0 });
    }
    files = adapterFiles(trained, manifest, { ...provenance, heldOut });
  }
  return { adapter: loadAdapter(a.site, files.config, files.weights, manifest), files, holdout, heldOut, losses: trained.losses, runtime: provenance.runtime };
}
