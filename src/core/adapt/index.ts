/**
 * A site's adapter from a scan and its reference label, end to end, for the CLI (`siteseg
 * adapt`) and the browser's training worker alike: choose the training slices, train, score base
 * and adapter on the slices left out, and write the adapter's two files.
 */
import { contrastFamily, contrastProfile, loadAdapter, zeroFeeds, type Adapter } from "../adapters";
import type { Manifest } from "../manifest/schema";
import { volumeSha256 } from "../sha256";
import { evaluate, type Holdout } from "../metrics/evaluate";
import { resolveConvention, type ConventionId } from "../metrics/conventions";
import type { InferenceRunner, Tensor } from "../pipeline/runner";
import type { Volume } from "../volume/types";
import { AdaptError, chooseSlices, modelSliceOf, siteOnModelGrid, throughPlaneAxis, tissuePerSlice, trainingSlice, type SiteOnModelGrid } from "./data";
import { adapterFiles, type AdapterProvenance } from "./save";
import { trainLora, type TrainOptions } from "./train";

export * from "./data";
export * from "./save";
export * from "./train";

/** One more labelled case of the site (its own scan, grid and reference): `siteseg adapt --cases`, the Site study's ticked cases. */
export interface AdaptCase {
  /** Names the case in messages and in the adapter's provenance. */
  id: string;
  /** The case's scan, and others of it on the same grid (e.g. its T2 beside its T1), sharing `reference`. */
  scans: Volume[];
  reference: Volume;
  convention: ConventionId;
  images: string[];
  sourceSha256: string[];
  /** Its slices to train on; default: `nSlices` spread over its brain. */
  slices?: number[];
}

export interface AdaptInput {
  /** The first case's id (provenance, messages); default: its first image. */
  caseId?: string;
  scan: Volume;
  /** Other scans of the site on the first one's grid and reference (e.g. its T2 beside its T1), trained on together. */
  moreScans?: Volume[];
  reference: Volume;
  convention: ConventionId;
  manifest: Manifest;
  /** The site's other labelled cases, trained on together with the first (slices spread over every case). */
  moreCases?: AdaptCase[];
  /** Scan slices (along its axial axis) to train on; default: `nSlices` per case (split over a case's scans) spread over its brain. */
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

/** The slices one case gave: its id, images and their sha256, and the scan slices (voxel axis, indices). */
export interface TrainedCase {
  id: string;
  images: string[];
  sourceSha256: string[];
  /** Each image's volumeSha256 (its grid and voxels: the same whether the file is gzipped or not). */
  volumeSha256: string[];
  axis: number;
  indices: number[];
}

export interface AdaptResult {
  adapter: Adapter;
  files: { config: Uint8Array; weights: Uint8Array };
  /** The first case's training slices (held out when it is scored). */
  holdout: Holdout;
  /** Every case trained on, in order (the first is `holdout`'s). */
  cases: TrainedCase[];
  /** Cases whose contrast family differs from the first's (an adapter then serves neither well), as messages naming the case. */
  warnings: string[];
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

/** A case on the model's grid with the slices it trains on. */
interface PreparedCase {
  input: AdaptCase;
  sites: SiteOnModelGrid[];
  axis: number;
  indices: number[];
}

function prepareCase(c: AdaptCase, manifest: Manifest, nSlices: number, gap: number, label: string): PreparedCase {
  const [scan] = c.scans;
  const axis = throughPlaneAxis(scan.affine);
  const where = label ? `${label}: ` : "";
  const sites = c.scans.map((s) => {
    if (s.dims.some((d, i) => d !== scan.dims[i])) throw new AdaptError(`${where}the scans of one case must share a grid: ${s.dims.join("×")} vs ${scan.dims.join("×")}`);
    try {
      return siteOnModelGrid(s, c.reference, c.convention, manifest);
    } catch (e) {
      if (label && e instanceof Error) e.message = `${where}${e.message}`;
      throw e;
    }
  });
  // train_adapter.py: the same slices from every scan of a case, n / (number of scans) of them
  const perScan = Math.max(1, Math.floor(nSlices / c.scans.length));
  const indices = c.slices ?? chooseSlices(tissuePerSlice(sites[0].classesOnScan, scan.dims, axis), perScan, gap);
  const bad = indices.filter((s) => !Number.isInteger(s) || s < 0 || s >= scan.dims[axis]);
  if (bad.length) throw new AdaptError(`${where}slice ${bad.join(", ")} is outside the scan (its axial axis has ${scan.dims[axis]} slices, 0 to ${scan.dims[axis] - 1})`);
  if (!indices.length) throw new AdaptError(`${where}the reference has no labelled slice to train on`);
  return { input: c, sites, axis, indices };
}

export async function adaptSite(a: AdaptInput): Promise<AdaptResult> {
  const { scan, manifest } = a;
  const gap = a.gap ?? 5;
  const nSlices = a.nSlices ?? 10;
  const first: AdaptCase = { id: a.caseId ?? a.images[0] ?? "scan", scans: [scan, ...(a.moreScans ?? [])], reference: a.reference, convention: a.convention, images: a.images, sourceSha256: a.sourceSha256, slices: a.slices };
  const many = (a.moreCases?.length ?? 0) > 0;
  const prepared = [first, ...(a.moreCases ?? [])].map((c) => prepareCase(c, manifest, nSlices, gap, many ? `case ${c.id}` : ""));
  const slices = prepared.flatMap(({ input, sites, axis, indices }) => sites.flatMap((site, i) => indices.map((s) => trainingSlice(site, modelSliceOf(input.scans[i], axis, s, site.grid), manifest.input.contextSlices))));
  const trained = await trainLora(slices, manifest, a.trainStep, { ...a.train, onStep: a.onStep, signal: a.signal, basePredict: (image) => baseProbabilities(a.model, manifest, image) });

  const [head] = prepared;
  const holdout: Holdout = { axis: head.axis, indices: head.indices, gap };
  const names = manifest.classes.map((c) => c.name);
  const contrasts = prepared.flatMap(({ input, sites }) => sites.map((site, i) => contrastProfile(input.scans[i].data, site.classesOnScan, names)));
  // an adapter learns one contrast: a case of the other family is named (trained on all the same)
  const families = prepared.map(({ input, sites }) => contrastFamily(contrastProfile(input.scans[0].data, sites[0].classesOnScan, names)));
  const warnings = prepared.flatMap(({ input }, i) => (i > 0 && families[i] && families[0] && families[i] !== families[0] ? [`case ${input.id} looks ${families[i]}, the first case ${families[0]}: an adapter learns one contrast, so train on cases of one sequence`] : []));
  const cases: TrainedCase[] = await Promise.all(prepared.map(async ({ input, axis, indices }) => ({ id: input.id, images: input.images, sourceSha256: input.sourceSha256, volumeSha256: await Promise.all(input.scans.map(volumeSha256)), axis, indices })));
  const provenance: AdapterProvenance = {
    site: a.site, description: a.description, trainingSlices: { ...holdout, images: a.images }, sourceSha256: a.sourceSha256, contrasts, tool: a.tool, runtime: a.trainStep.backend, date: new Date().toISOString(),
    ...(many ? { cases } : { volumeSha256: cases[0].volumeSha256 }),
  };
  // the files as saved, loaded back: what is scored is exactly what a colleague will load
  let files = adapterFiles(trained, manifest, provenance);
  const adapter = loadAdapter(a.site, files.config, files.weights, manifest);
  const heldOut: HeldOut[] = [];
  const scoreFirstOnly = a.scoreAgainst !== undefined; // another reference (or none) belongs to the first case alone
  const against = a.scoreAgainst === undefined ? { reference: a.reference, convention: a.convention } : a.scoreAgainst;
  if (against) {
    for (const p of scoreFirstOnly ? [head] : prepared) {
      const ref = p === head ? against : { reference: p.input.reference, convention: p.input.convention };
      const caseHoldout: Holdout = { axis: p.axis, indices: p.indices, gap };
      for (const s of p.input.scans) {
        const score = async (feeds?: Record<string, Tensor>) =>
          evaluate(feeds || s !== scan || !a.baseMask ? await a.segment(s, feeds) : a.baseMask, ref.reference, resolveConvention(manifest, ref.convention), names, 2, caseHoldout);
        const base = await score(undefined);
        const adapted = await score(adapter.feeds);
        heldOut.push({ base: base.meanDice, adapter: adapted.meanDice, slices: adapted.scoredSlices?.length ?? 0 });
      }
    }
    files = adapterFiles(trained, manifest, { ...provenance, heldOut });
  }
  return { adapter: loadAdapter(a.site, files.config, files.weights, manifest), files, holdout, cases, warnings, heldOut, losses: trained.losses, runtime: provenance.runtime };
}
