import type { Manifest } from "../core/manifest";
import { CancelledError } from "../core/pipeline/runner";
import { segment, type SegmentOptions, type SegmentResult } from "../core/pipeline/segment";
import type { Volume } from "../core/volume/types";
import type { SessionRunner } from "./session";

/** A failure worth finishing on the CPU: the GPU runner's own, not a cancel. */
const gpuFailure = (runner: SessionRunner, e: unknown) => runner.backend.startsWith("webgpu") && !(e instanceof CancelledError);

/**
 * Segments on `runner`; when a GPU runner fails mid-run (an op its backend lacks, the device
 * lost), finishes on the CPU runner `fallback()` makes, says so in the result's warnings, and
 * hands that runner back so later runs use it. A CPU runner's failure, or a cancel, is thrown.
 */
export async function segmentWithFallback(
  scan: Volume,
  manifest: Manifest,
  runner: SessionRunner,
  fallback: () => Promise<SessionRunner>,
  opts: SegmentOptions = {},
): Promise<{ result: SegmentResult; runner: SessionRunner }> {
  try {
    return { result: await segment(scan, manifest, runner, opts), runner };
  } catch (e) {
    if (!gpuFailure(runner, e) || (e as Error).name === "VolumeError" || opts.signal?.aborted) throw e;
    const cpu = await fallback();
    await runner.dispose().catch(() => undefined);
    const result = await segment(scan, manifest, cpu, opts);
    const why = (e as Error).message.split("\n")[0].slice(0, 200);
    return { result: { ...result, warnings: [`WebGPU failed during the run (${why}); the scan was segmented on ${cpu.backend} instead, and later runs use it.`, ...result.warnings] }, runner: cpu };
  }
}

/**
 * A runner for stateless graphs (the adapter's training step) that runs on `runner` until a GPU
 * run fails, then re-runs that call and every later one on the CPU runner `fallback()` makes.
 * Each call is whole (inputs in, outputs out), so the re-run gives what the GPU would have.
 * `notice` says why, once it has happened (until then, `notice` as given: why it is not on the GPU already).
 */
export function withCpuFallback(runner: SessionRunner, fallback: () => Promise<SessionRunner>, notice?: string): SessionRunner & { readonly notice?: string } {
  let current = runner;
  return {
    get backend() {
      return current.backend;
    },
    get notice() {
      return notice;
    },
    inputNames: runner.inputNames,
    outputNames: runner.outputNames,
    async run(feeds) {
      try {
        return await current.run(feeds);
      } catch (e) {
        if (!gpuFailure(current, e)) throw e;
        const failed = current;
        current = await fallback();
        await failed.dispose().catch(() => undefined);
        notice = `WebGPU failed during training (${(e as Error).message.split("\n")[0].slice(0, 200)}); training went on on ${current.backend}.`;
        return current.run(feeds);
      }
    },
    dispose: () => current.dispose(),
  };
}
