/**
 * Adaptation to the scan at hand without labels (a manifest "selfAdapt" option): the model's own
 * mask of this scan is the reference for a short anchored LoRA training on a few of its slices,
 * then the scan is segmented again with that adapter. For the worker and the CLI alike.
 */
import type { Adapter } from "../adapters";
import type { Manifest } from "../manifest/schema";
import { enabledOptions, passOptions, type SegmentOptions, type SegmentResult } from "../pipeline/segment";
import type { InferenceRunner } from "../pipeline/runner";
import type { Volume } from "../volume/types";
import { adaptSite } from "./index";

export type SelfAdaptPhase = "base" | "adapting" | "adapted";

export interface SelfAdaptOptions extends SegmentOptions {
  /** Training steps of the adaptation (step, loss). */
  onStep?: (step: number, loss: number) => void;
  /** Which part of the run is going on: the plain segmentation, the training, the adapted segmentation. */
  onPhase?: (phase: SelfAdaptPhase) => void;
}

export class SelfAdaptError extends Error {
  override name = "SelfAdaptError";
}

/**
 * `segment` (a runner's whole segmentation, passes included) with the manifest's options; when
 * one of them is a selfAdapt, the base run is followed by the adaptation and an adapted run.
 * `trainStep` opens the training graph on first use.
 */
export async function segmentSelfAdapting(
  scan: Volume & { name?: string },
  manifest: Manifest,
  segment: (opts: SegmentOptions) => Promise<SegmentResult>,
  runners: { model: () => InferenceRunner; trainStep: () => Promise<InferenceRunner> },
  opts: SelfAdaptOptions = {},
): Promise<{ result: SegmentResult; adapter?: Adapter }> {
  const on = enabledOptions(manifest, opts.options);
  const self = on.find((o) => o.kind === "selfAdapt");
  const passes = passOptions(manifest, opts.options);
  if (!self) return { result: await segment({ ...opts, options: passes }) };
  if (opts.adapterFeeds) throw new SelfAdaptError(`"${self.label}" starts from the base model: choose no site adapter, or switch the option off.`);
  opts.onPhase?.("base");
  const base = await segment({ ...opts, options: passes });
  opts.onPreview?.(base.labels.data.slice()); // the whole first mask while it trains (a copy: previews may be transferred)
  opts.onPhase?.("adapting");
  const t0 = performance.now();
  const trained = await adaptSite({
    scan, reference: base.labels, convention: "classes", manifest, nSlices: self.slices, scoreAgainst: null,
    train: { steps: self.steps }, trainStep: await runners.trainStep(), model: runners.model(),
    segment: async () => base.labels, // not called: nothing is scored
    site: "this scan (self-adapted)", description: `adapted to ${scan.name ?? "the open scan"} without labels: ${self.steps} steps on the model's own mask`,
    images: [scan.name ?? "scan"], sourceSha256: [], tool: "siteseg (self-adaptation)", onStep: opts.onStep, signal: opts.signal,
  });
  const t1 = performance.now();
  opts.onPhase?.("adapted");
  const adapted = await segment({ ...opts, options: passes, adapterFeeds: trained.adapter.feeds, onPreview: undefined });
  const ms = { training: t1 - t0, segmentation: performance.now() - t1 };
  const total = base.ms.total + ms.training + ms.segmentation;
  return {
    result: {
      ...adapted,
      options: on.map((o) => o.id),
      ms: { ...adapted.ms, inference: base.ms.inference + adapted.ms.inference, total },
      selfAdapted: { steps: self.steps, slices: trained.holdout.indices, ms },
    },
    adapter: trained.adapter,
  };
}
