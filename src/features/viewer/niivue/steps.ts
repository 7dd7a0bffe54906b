// Work the viewer splits so that the page can paint and take input between its parts: a
// generator yields between steps and returns its result.
import type { VoxelArray } from "../../../core/volume/types";

export type Steps<T> = Generator<void, T>;

export const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * `steps` run to the end, a task each, while `current()` holds: the result, or null when it
 * stopped holding (the generator is closed, so its `finally` blocks clean up).
 */
export async function runSteps<T>(steps: Steps<T>, current: () => boolean): Promise<T | null> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await nextTask();
    if (!current()) {
      steps.return(undefined as never);
      return null;
    }
  }
}

/** A copy of `data`, about `stepVoxels` per step (16 MB of float32 copies in ~5 ms). */
export function* copySteps(data: VoxelArray, stepVoxels = 1 << 22): Steps<VoxelArray> {
  const copy = new (data.constructor as new (n: number) => VoxelArray)(data.length);
  for (let at = 0; at < data.length; at += stepVoxels) {
    if (at) yield;
    copy.set(data.subarray(at, at + stepVoxels), at);
  }
  return copy;
}
