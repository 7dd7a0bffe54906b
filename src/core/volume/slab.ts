import { voxelSizes } from "./affine";
import { orientationCode } from "./grid";
import type { Volume, VoxelArray } from "./types";

const OPPOSITE: Record<string, string> = { L: "R", R: "L", P: "A", A: "P", I: "S", S: "I" };

/**
 * `count` slices of `volume` from `start` along voxel `axis` (clamped to the volume), with the
 * affine moved so that every voxel keeps its place in world space.
 */
export function slab(volume: Volume, axis: number, start: number, count: number): Volume {
  const dims = volume.dims;
  const from = Math.max(0, Math.min(dims[axis] - 1, Math.round(start)));
  const n = Math.max(1, Math.min(dims[axis] - from, Math.round(count)));
  const out: [number, number, number] = [...dims];
  out[axis] = n;
  const [nx, ny] = dims;
  const data = new (volume.data.constructor as new (n: number) => VoxelArray)(out[0] * out[1] * out[2]);
  let o = 0;
  for (let k = 0; k < out[2]; k++)
    for (let j = 0; j < out[1]; j++)
      for (let i = 0; i < out[0]; i++) {
        const v = [i, j, k];
        v[axis] += from;
        data[o++] = volume.data[v[0] + nx * (v[1] + ny * v[2])];
      }
  const affine = [...volume.affine];
  for (let r = 0; r < 3; r++) affine[r * 4 + 3] += affine[r * 4 + axis] * from;
  return { dims: out, affine, data };
}

/**
 * The scan's voxel axis closest to world direction `letter` (R/L, A/P or S/I): the axis a model
 * that slices along `letter` reads slices across.
 */
export function axisAlong(volume: Pick<Volume, "affine">, letter: string): number {
  const code = orientationCode(volume.affine);
  return [...code].findIndex((c) => c === letter || c === OPPOSITE[letter]);
}

/**
 * A slab about `mm` thick through the middle of what the scan shows along `axis`: centred on the
 * slice that splits the voxels brighter than the scan's mean in two halves (the head, not the
 * neck or the empty field of view around it).
 */
export function centralSlab(volume: Volume, axis: number, mm: number): Volume {
  const { dims, data } = volume;
  let sum = 0;
  let finite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isFinite(v)) {
      sum += v;
      finite++;
    }
  }
  const mean = finite ? sum / finite : 0;
  const perSlice = new Float64Array(dims[axis]);
  const [nx, ny] = dims;
  for (let i = 0; i < data.length; i++) {
    if (!(data[i] > mean)) continue;
    const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
    perSlice[axis === 0 ? x : axis === 1 ? y : z]++;
  }
  const total = perSlice.reduce((a, b) => a + b, 0);
  let middle = Math.floor(dims[axis] / 2);
  if (total > 0) {
    let seen = 0;
    for (let s = 0; s < dims[axis]; s++) {
      seen += perSlice[s];
      if (seen >= total / 2) {
        middle = s;
        break;
      }
    }
  }
  const count = Math.max(1, Math.round(mm / voxelSizes(volume.affine)[axis]));
  return slab(volume, axis, middle - Math.floor(count / 2), count);
}
