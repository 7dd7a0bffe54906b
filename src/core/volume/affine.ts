import type { Mat4 } from "./types";

/** Row-major 4x4 identity. */
export function identity4(): Mat4 {
  return [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
}

/** a * b (apply b first, then a). */
export function multiply4(a: Mat4, b: Mat4): Mat4 {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r * 4 + k] * b[k * 4 + c];
      out[r * 4 + c] = s;
    }
  }
  return out;
}

/** Inverse by Gauss-Jordan with partial pivoting; throws on a singular matrix. */
export function invert4(m: Mat4): Mat4 {
  const a = m.slice(0, 16);
  const inv = identity4();
  for (let col = 0; col < 4; col++) {
    let pivot = col;
    for (let r = col + 1; r < 4; r++) {
      if (Math.abs(a[r * 4 + col]) > Math.abs(a[pivot * 4 + col])) pivot = r;
    }
    const p = a[pivot * 4 + col];
    if (Math.abs(p) < 1e-12 || !Number.isFinite(p)) throw new Error("invert4: singular matrix");
    if (pivot !== col) {
      swapRows(a, pivot, col);
      swapRows(inv, pivot, col);
    }
    for (let c = 0; c < 4; c++) {
      a[col * 4 + c] /= p;
      inv[col * 4 + c] /= p;
    }
    for (let r = 0; r < 4; r++) {
      const f = a[r * 4 + col];
      if (r === col || f === 0) continue;
      for (let c = 0; c < 4; c++) {
        a[r * 4 + c] -= f * a[col * 4 + c];
        inv[r * 4 + c] -= f * inv[col * 4 + c];
      }
    }
  }
  return inv;
}

function swapRows(m: number[], r1: number, r2: number): void {
  for (let c = 0; c < 4; c++) {
    const t = m[r1 * 4 + c];
    m[r1 * 4 + c] = m[r2 * 4 + c];
    m[r2 * 4 + c] = t;
  }
}

/** World position of voxel (i, j, k); also works for fractional indices. */
export function applyAffine(m: Mat4, i: number, j: number, k: number): [number, number, number] {
  return [
    m[0] * i + m[1] * j + m[2] * k + m[3],
    m[4] * i + m[5] * j + m[6] * k + m[7],
    m[8] * i + m[9] * j + m[10] * k + m[11],
  ];
}

/** Voxel edge lengths in mm: the norms of the first three columns. */
export function voxelSizes(m: Mat4): [number, number, number] {
  const norm = (c: number) => Math.hypot(m[c], m[4 + c], m[8 + c]);
  return [norm(0), norm(1), norm(2)];
}

/** Determinant of the 3x3 rotation-and-zoom part; negative means a left-handed voxel grid. */
export function det3(m: Mat4): number {
  return (
    m[0] * (m[5] * m[10] - m[6] * m[9]) -
    m[1] * (m[4] * m[10] - m[6] * m[8]) +
    m[2] * (m[4] * m[9] - m[5] * m[8])
  );
}

/** Millilitres per voxel: |det| of the 3x3 part in mm³ (right for sheared grids too), over 1000. */
export function voxelVolumeMl(m: Mat4): number {
  return Math.abs(det3(m)) / 1000;
}
