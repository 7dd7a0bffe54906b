/**
 * Mask corrections: a round brush in one slice plane of the label volume, and the undoable
 * record of what it changed. Pure: voxel indices in, voxel indices out.
 */

/** Voxel indices of a disk of `radiusMm` around `centre`, in the slice through it across voxel `axis`. */
export function brushIndices(dims: [number, number, number], spacing: [number, number, number], centre: [number, number, number], axis: number, radiusMm: number): number[] {
  const [a, b] = [0, 1, 2].filter((x) => x !== axis);
  const ra = Math.max(0, radiusMm / spacing[a]), rb = Math.max(0, radiusMm / spacing[b]);
  const out: number[] = [];
  const v = [...centre];
  if (v[axis] < 0 || v[axis] >= dims[axis]) return out;
  const stride = [1, dims[0], dims[0] * dims[1]];
  for (let da = -Math.floor(ra); da <= Math.floor(ra); da++) {
    for (let db = -Math.floor(rb); db <= Math.floor(rb); db++) {
      // inside the ellipse (a disk in mm); a radius under one voxel paints the centre voxel only
      if ((ra && (da / ra) ** 2) + (rb && (db / rb) ** 2) > 1 + 1e-9) continue;
      const ia = centre[a] + da, ib = centre[b] + db;
      if (ia < 0 || ib < 0 || ia >= dims[a] || ib >= dims[b]) continue;
      v[a] = ia;
      v[b] = ib;
      out.push(v[0] * stride[0] + v[1] * stride[1] + v[2] * stride[2]);
    }
  }
  return out;
}

/** One undoable edit: every voxel it changed, with its value before and after. */
export interface MaskEdit {
  indices: Uint32Array;
  before: Uint8Array;
  after: Uint8Array;
}

/** Collects the voxels a stroke changes (first value before the stroke wins). */
export class StrokeRecorder {
  private before = new Map<number, number>();
  constructor(private data: Uint8Array) {}

  /** Sets `value` at every index, remembering what was there; returns how many voxels changed. */
  paint(indices: number[], value: number): number {
    let changed = 0;
    for (const i of indices) {
      if (this.data[i] === value) continue;
      if (!this.before.has(i)) this.before.set(i, this.data[i]);
      this.data[i] = value;
      changed++;
    }
    return changed;
  }

  /** The edit, or null when nothing ended up different. */
  finish(): MaskEdit | null {
    const kept = [...this.before].filter(([i, v]) => this.data[i] !== v).sort((x, y) => x[0] - y[0]);
    if (!kept.length) return null;
    return {
      indices: Uint32Array.from(kept, ([i]) => i),
      before: Uint8Array.from(kept, ([, v]) => v),
      after: Uint8Array.from(kept, ([i]) => this.data[i]),
    };
  }
}

/** Writes an edit's after (redo) or before (undo) values back into the mask. */
export function applyEdit(data: Uint8Array, edit: MaskEdit, direction: "undo" | "redo"): void {
  const values = direction === "undo" ? edit.before : edit.after;
  for (let n = 0; n < edit.indices.length; n++) data[edit.indices[n]] = values[n];
}

/**
 * Sets `value` at `indices` (each once) in one go and returns the edit, or null when every one
 * already held it. For a fill or an interpolation: no stroke to follow, and regions as large as
 * slices (typed arrays, no map).
 */
export function paintOnce(data: Uint8Array, indices: ArrayLike<number>, value: number): MaskEdit | null {
  const changed = Uint32Array.from(indices).filter((i) => data[i] !== value).sort();
  if (!changed.length) return null;
  const before = Uint8Array.from(changed, (i) => data[i]);
  for (const i of changed) data[i] = value;
  return { indices: changed, before, after: new Uint8Array(changed.length).fill(value) };
}
