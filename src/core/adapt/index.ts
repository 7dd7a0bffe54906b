/**
 * A site's adapter from a scan and its reference label, end to end, for the CLI (`siteseg
 * adapt`) and the browser's training worker alike: choose the training slices, train, score base
 * and adapter on the slices left out, and write the adapter's two files.
 */
import { loadAdapter, type Adapter } from "../adapters";
import type { Manifest } from "../manifest/schema";
import { evaluate, type Holdout } from "../metrics/evaluate";
import type { ConventionId } from "../metrics/conventions";
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
  reference: Volume;
  convention: ConventionId;
  manifest: Manifest;
  /** Scan slices (along its axial axis) to train on; default: `nSlices` spread over the brain. */
  slices?: number[];
  nSlices?: number;
  /** Held-out slices lie more than `gap` slices from every training slice. */
  gap?: number;
  train?: Partial<TrainOptions>;
  /** A session on the train-step graph. */
  trainStep: InferenceRunner;
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
  /** Mean Dice on the held-out slices: base, then with the new adapter. */
  heldOut: { base: number | null; adapter: number | null; slices: number };
  losses: number[];
}

export async function adaptSite(a: AdaptInput): Promise<AdaptResult> {
  const { scan, manifest } = a;
  const gap = a.gap ?? 5;
  const axis = throughPlaneAxis(scan.affine);
  const site = siteOnModelGrid(scan, a.reference, a.convention, manifest);
  const indices = a.slices ?? chooseSlices(tissuePerSlice(site.classesOnScan, scan.dims, axis), a.nSlices ?? 10, gap);
  const bad = indices.filter((s) => !Number.isInteger(s) || s < 0 || s >= scan.dims[axis]);
  if (bad.length) throw new AdaptError(`slice ${bad.join(", ")} is outside the scan (its axial axis has ${scan.dims[axis]} slices, 0 to ${scan.dims[axis] - 1})`);
  if (!indices.length) throw new AdaptError("the reference has no labelled slice to train on");
  const slices = indices.map((s) => trainingSlice(site, modelSliceOf(scan, axis, s, site.grid), manifest.input.contextSlices));
  const trained = await trainLora(slices, manifest, a.trainStep, { ...a.train, onStep: a.onStep, signal: a.signal });

  const holdout: Holdout = { axis, indices, gap };
  const names = manifest.classes.map((c) => c.name);
  const provenance: AdapterProvenance = { site: a.site, description: a.description, trainingSlices: { ...holdout, images: a.images }, sourceSha256: a.sourceSha256, tool: a.tool, date: new Date().toISOString() };
  // the files as saved, loaded back: what is scored is exactly what a colleague will load
  let files = adapterFiles(trained, manifest, provenance);
  const adapter = loadAdapter(a.site, files.config, files.weights, manifest);
  const score = async (feeds?: Record<string, Tensor>) => evaluate(await a.segment(scan, feeds), a.reference, a.convention, names, 2, holdout);
  const base = await score(undefined);
  const adapted = await score(adapter.feeds);
  const heldOut = { base: base.meanDice, adapter: adapted.meanDice, slices: adapted.scoredSlices?.length ?? 0 };
  files = adapterFiles(trained, manifest, { ...provenance, heldOut });
  return { adapter: loadAdapter(a.site, files.config, files.weights, manifest), files, holdout, heldOut, losses: trained.losses };
}
