import { planeOf, sliceOrigin, type Plane } from "./plane";

/**
 * Interpolating a class between corrected slices: each corrected slice's shape of the class
 * becomes a signed distance map (in mm, negative inside), the maps are blended linearly across
 * the slices between, and the class is written where the blend is inside. Identical shapes
 * give the same shape; a small and a large disc give discs growing in between.
 */

/** Stands for "no such pixel in the slice": far beyond any in-plane distance. */
const FAR = 1e20;

/** Squared distances of `n` samples `step` mm apart to the nearest low point of `f` (Felzenszwalb & Huttenlocher's lower envelope of parabolas). */
function distance1d(f: Float64Array, n: number, step: number, out: Float64Array, v: Int32Array, z: Float64Array) {
  const w = step * step;
  const cross = (q: number, p: number) => (f[q] + w * q * q - (f[p] + w * p * p)) / (2 * w * (q - p));
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let s = cross(q, v[k]);
    while (s <= z[k]) s = cross(q, v[--k]);
    v[++k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    out[q] = w * (q - v[k]) ** 2 + f[v[k]];
  }
}

/** Exact Euclidean distance (mm) of every pixel of a width × height plane to the nearest pixel where `on` is true. */
function distanceTo(on: (pixel: number) => boolean, width: number, height: number, spacing: [number, number]): Float64Array {
  const d = Float64Array.from({ length: width * height }, (_, i) => (on(i) ? 0 : FAR));
  const n = Math.max(width, height);
  const f = new Float64Array(n), out = new Float64Array(n), v = new Int32Array(n), z = new Float64Array(n + 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) f[x] = d[x + y * width];
    distance1d(f, width, spacing[0], out, v, z);
    for (let x = 0; x < width; x++) d[x + y * width] = out[x];
  }
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = d[x + y * width];
    distance1d(f, height, spacing[1], out, v, z);
    for (let y = 0; y < height; y++) d[x + y * width] = out[y];
  }
  return d.map(Math.sqrt);
}

/** The slice's signed distance map of `inside` (mm): negative inside, positive outside, the edge between pixels. */
export function signedDistance(inside: Uint8Array, width: number, height: number, spacing: [number, number] = [1, 1]): Float64Array {
  // a side with no pixel at all is as far as the plane is wide
  const diagonal = Math.hypot(width * spacing[0], height * spacing[1]);
  const toInside = distanceTo((i) => inside[i] === 1, width, height, spacing);
  const toOutside = distanceTo((i) => inside[i] === 0, width, height, spacing);
  return toInside.map((d, i) => Math.min(d, diagonal) - Math.min(toOutside[i], diagonal));
}

/** The plane of slice `index` as a 0/1 mask of `label`. */
function shapeOf(data: Uint8Array, p: Plane, origin: number, label: number): Uint8Array {
  const out = new Uint8Array(p.width * p.height);
  for (let v = 0; v < p.height; v++) for (let u = 0; u < p.width; u++) out[u + v * p.width] = data[origin + u * p.strideU + v * p.strideV] === label ? 1 : 0;
  return out;
}

const holds = (data: Uint8Array, dims: [number, number, number], axis: number, index: number, label: number) => shapeOf(data, planeOf(dims, axis), sliceOrigin(dims, axis, index), label).includes(1);

/**
 * The voxels of the slices strictly between k1 and k2 (across `axis`) inside the shape of
 * `label` interpolated between those two slices, and not `label` yet. `spacing` is the voxel
 * size in mm.
 */
export function interpolateBetween(data: Uint8Array, dims: [number, number, number], spacing: [number, number, number], axis: number, k1: number, k2: number, label: number): number[] {
  const p = planeOf(dims, axis);
  const inPlane: [number, number] = [spacing[p.u], spacing[p.v]];
  const [a, b] = [k1, k2].map((k) => signedDistance(shapeOf(data, p, sliceOrigin(dims, axis, k), label), p.width, p.height, inPlane));
  const out: number[] = [];
  for (let k = Math.min(k1, k2) + 1; k < Math.max(k1, k2); k++) {
    const t = (k - k1) / (k2 - k1);
    const origin = sliceOrigin(dims, axis, k);
    for (let v = 0; v < p.height; v++)
      for (let u = 0; u < p.width; u++) {
        const i = u + v * p.width;
        const at = origin + u * p.strideU + v * p.strideV;
        if ((1 - t) * a[i] + t * b[i] < 0 && data[at] !== label) out.push(at);
      }
  }
  return out;
}

export type InterpolationPlan = { pairs: [number, number][] } | { reason: string };

/**
 * Which gaps to fill: each two neighbouring corrected slices (among all corrected slices across
 * `axis`, so one corrected without the class bounds the shape) that both hold `label` and have
 * slices between them. A reason instead when there are none. `name` is the class in words.
 */
export function planInterpolation(data: Uint8Array, dims: [number, number, number], axis: number, corrected: number[], label: number, name: string): InterpolationPlan {
  const slices = [...new Set(corrected)].filter((k) => k >= 0 && k < dims[axis]).sort((x, y) => x - y);
  const holding = new Set(slices.filter((k) => holds(data, dims, axis, k, label)));
  if (holding.size < 2) return { reason: `Interpolation needs two corrected slices in this view that hold ${name}; ${holding.size ? "only slice " + [...holding][0] + " does" : "none does"}.` };
  const pairs = slices.slice(1).flatMap((k, n): [number, number][] => (k - slices[n] > 1 && holding.has(k) && holding.has(slices[n]) ? [[slices[n], k]] : []));
  if (!pairs.length) return { reason: `No uncorrected slice lies between two corrected slices that hold ${name}.` };
  return { pairs };
}
