import { planeOf, sliceOrigin } from "./plane";

/**
 * The fill tool's region: the voxels 4-connected to `seed` within its slice across voxel `axis`
 * that hold the seed's label. A scanline fill with its own stack (no recursion), so a region as
 * large as the slice costs one pass over it. Empty when the seed is outside the volume.
 */
export function fillRegion(data: Uint8Array, dims: [number, number, number], seed: [number, number, number], axis: number): number[] {
  if (seed.some((s, d) => s < 0 || s >= dims[d] || !Number.isInteger(s))) return [];
  const p = planeOf(dims, axis);
  const origin = sliceOrigin(dims, axis, seed[axis]);
  const at = (u: number, v: number) => origin + u * p.strideU + v * p.strideV;
  const label = data[at(seed[p.u], seed[p.v])];
  const seen = new Uint8Array(p.width * p.height);
  const takes = (u: number, v: number) => !seen[u + v * p.width] && data[at(u, v)] === label;
  const out: number[] = [];
  const stack = [seed[p.u], seed[p.v]];
  while (stack.length) {
    const v = stack.pop()!, u0 = stack.pop()!;
    if (!takes(u0, v)) continue;
    // the run of the row through (u0, v), then one seed per run it touches in the rows beside it
    let lo = u0, hi = u0;
    while (lo > 0 && takes(lo - 1, v)) lo--;
    while (hi < p.width - 1 && takes(hi + 1, v)) hi++;
    for (let u = lo; u <= hi; u++) {
      seen[u + v * p.width] = 1;
      out.push(at(u, v));
    }
    for (const w of [v - 1, v + 1]) {
      if (w < 0 || w >= p.height) continue;
      for (let u = lo; u <= hi; u++) if (takes(u, w) && (u === lo || !takes(u - 1, w))) stack.push(u, w);
    }
  }
  return out;
}
