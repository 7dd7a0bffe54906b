import { applyAffine, invert4, multiply4 } from "./affine";
import { VolumeError, type Mat4, type Volume, type VoxelArray } from "./types";

/** A voxel grid without data: what a volume is resampled onto. */
export interface Grid {
  dims: [number, number, number];
  affine: Mat4;
}

const AXIS: Record<string, [number, number]> = { R: [0, 1], L: [0, -1], A: [1, 1], P: [1, -1], S: [2, 1], I: [2, -1] };

/** Unit world directions of the three voxel axes of an orientation code like "RAS" or "LIA". */
export function orientationAxes(code: string): [number, number, number][] {
  return [...code].map((c) => {
    const [axis, sign] = AXIS[c];
    const v: [number, number, number] = [0, 0, 0];
    v[axis] = sign;
    return v;
  });
}

/** Closest orientation code of an affine's voxel axes (as nibabel's aff2axcodes). */
export function orientationCode(affine: Mat4): string {
  const names = [["L", "R"], ["P", "A"], ["I", "S"]];
  const used = new Set<number>();
  let code = "";
  for (let c = 0; c < 3; c++) {
    const col = [affine[c], affine[4 + c], affine[8 + c]];
    let best = -1;
    for (let r = 0; r < 3; r++) if (!used.has(r) && (best < 0 || Math.abs(col[r]) > Math.abs(col[best]))) best = r;
    used.add(best);
    code += names[best][col[best] >= 0 ? 1 : 0];
  }
  return code;
}

/**
 * The grid a model sees: axes along `orientation`, voxels of `spacing` mm, covering the scan's
 * whole world extent. When the scan's voxel centres already lie on such a grid (any axis
 * permutation or flip of an aligned scan at that spacing), the two grids share voxel centres.
 */
export function modelGrid(scan: Grid, orientation: string, spacing: [number, number, number], maxVoxels = 512 ** 3): Grid {
  const axes = orientationAxes(orientation);
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (const ci of [0, scan.dims[0] - 1]) {
    for (const cj of [0, scan.dims[1] - 1]) {
      for (const ck of [0, scan.dims[2] - 1]) {
        const w = applyAffine(scan.affine, ci, cj, ck);
        // coordinates of this corner along each model axis
        for (let a = 0; a < 3; a++) {
          const t = axes[a][0] * w[0] + axes[a][1] * w[1] + axes[a][2] * w[2];
          lo[a] = Math.min(lo[a], t);
          hi[a] = Math.max(hi[a], t);
        }
      }
    }
  }
  const eps = 1e-3;
  const dims = [0, 1, 2].map((a) => Math.floor((hi[a] - lo[a]) / spacing[a] + eps) + 1) as [number, number, number];
  if (dims[0] * dims[1] * dims[2] > maxVoxels) {
    throw new VolumeError(`The scan covers ${dims.join("×")} voxels at the model's spacing, more than this app can hold in memory. Crop the scan to the head first.`);
  }
  const affine: Mat4 = new Array(16).fill(0);
  for (let a = 0; a < 3; a++) {
    for (let r = 0; r < 3; r++) {
      affine[r * 4 + a] = axes[a][r] * spacing[a];
      affine[r * 4 + 3] += axes[a][r] * lo[a];
    }
  }
  affine[15] = 1;
  return { dims, affine };
}

/** Source continuous voxel index for each destination voxel: M = inv(src) * dst. */
function indexMap(src: Grid, dst: Grid): Mat4 {
  return multiply4(invert4(src.affine), dst.affine);
}

/** Calls visit(dstIndex, si, sj, sk) for every destination voxel, stepping the map incrementally. */
function forEachSourcePoint(src: Grid, dst: Grid, visit: (d: number, x: number, y: number, z: number) => void): void {
  const m = indexMap(src, dst);
  const [nx, ny, nz] = dst.dims;
  let d = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      let x = m[1] * j + m[2] * k + m[3];
      let y = m[5] * j + m[6] * k + m[7];
      let z = m[9] * j + m[10] * k + m[11];
      for (let i = 0; i < nx; i++, d++) {
        visit(d, x, y, z);
        x += m[0];
        y += m[4];
        z += m[8];
      }
    }
  }
}

/** Trilinear resampling of `src` onto `dst`; points outside the source get `fill`. */
export function resampleLinear(src: Volume, dst: Grid, fill = 0): Float32Array {
  const [sx, sy, sz] = src.dims;
  const sxy = sx * sy;
  const data = src.data;
  const out = new Float32Array(dst.dims[0] * dst.dims[1] * dst.dims[2]);
  const tol = 1e-4; // voxel centres on the border count as inside
  forEachSourcePoint(src, dst, (d, x, y, z) => {
    if (x < -tol || y < -tol || z < -tol || x > sx - 1 + tol || y > sy - 1 + tol || z > sz - 1 + tol) {
      out[d] = fill;
      return;
    }
    const x0 = Math.min(Math.max(Math.floor(x), 0), sx - 1), y0 = Math.min(Math.max(Math.floor(y), 0), sy - 1), z0 = Math.min(Math.max(Math.floor(z), 0), sz - 1);
    const x1 = Math.min(x0 + 1, sx - 1), y1 = Math.min(y0 + 1, sy - 1), z1 = Math.min(z0 + 1, sz - 1);
    const fx = Math.min(Math.max(x - x0, 0), 1), fy = Math.min(Math.max(y - y0, 0), 1), fz = Math.min(Math.max(z - z0, 0), 1);
    const a = z0 * sxy, b = z1 * sxy, c = y0 * sx, e = y1 * sx;
    const v00 = data[a + c + x0] * (1 - fx) + data[a + c + x1] * fx;
    const v01 = data[a + e + x0] * (1 - fx) + data[a + e + x1] * fx;
    const v10 = data[b + c + x0] * (1 - fx) + data[b + c + x1] * fx;
    const v11 = data[b + e + x0] * (1 - fx) + data[b + e + x1] * fx;
    out[d] = (v00 * (1 - fy) + v01 * fy) * (1 - fz) + (v10 * (1 - fy) + v11 * fy) * fz;
  });
  return out;
}

/** Nearest-neighbour resampling (for label maps); points outside the source get 0. */
export function resampleNearest<T extends VoxelArray>(src: Volume & { data: T }, dst: Grid): T {
  const [sx, sy, sz] = src.dims;
  const Ctor = src.data.constructor as new (n: number) => T;
  const out = new Ctor(dst.dims[0] * dst.dims[1] * dst.dims[2]);
  forEachSourcePoint(src, dst, (d, x, y, z) => {
    const i = Math.round(x), j = Math.round(y), k = Math.round(z);
    if (i >= 0 && j >= 0 && k >= 0 && i < sx && j < sy && k < sz) out[d] = src.data[(k * sy + j) * sx + i];
  });
  return out;
}

/** True when two grids have the same dims and voxel-to-world mapping (within `tol` mm). */
export function sameGrid(a: Grid, b: Grid, tol = 1e-3): boolean {
  return a.dims.every((n, i) => n === b.dims[i]) && a.affine.every((v, i) => Math.abs(v - b.affine[i]) <= tol);
}

/** Fraction of grid `a`'s voxel centres (sampled) that fall inside grid `b`. */
export function overlapFraction(a: Grid, b: Grid): number {
  const m = indexMap(b, a);
  let inside = 0, total = 0;
  const step = a.dims.map((n) => Math.max(1, Math.floor(n / 16)));
  for (let k = 0; k < a.dims[2]; k += step[2]) {
    for (let j = 0; j < a.dims[1]; j += step[1]) {
      for (let i = 0; i < a.dims[0]; i += step[0]) {
        const p = [0, 1, 2].map((r) => m[r * 4] * i + m[r * 4 + 1] * j + m[r * 4 + 2] * k + m[r * 4 + 3]);
        total++;
        if (p.every((v, r) => v > -0.5 && v < b.dims[r] - 0.5)) inside++;
      }
    }
  }
  return inside / total;
}
