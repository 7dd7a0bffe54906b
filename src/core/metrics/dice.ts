/** Dice of one class: 2|A∩B| / (|A|+|B|); null when the class is absent from both. */
function ratio(inter: number, a: number, b: number): number | null {
  return a + b === 0 ? null : (2 * inter) / (a + b);
}

export interface ClassDice {
  dice: number | null;
  predicted: number;
  reference: number;
}

/** Whole-volume Dice for each foreground class 1..K-1 (index 0 of the result is background). */
export function diceByClass(pred: ArrayLike<number>, ref: ArrayLike<number>, K: number): ClassDice[] {
  const inter = new Float64Array(K), a = new Float64Array(K), b = new Float64Array(K);
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i], r = ref[i];
    a[p]++;
    b[r]++;
    if (p === r) inter[p]++;
  }
  return Array.from({ length: K }, (_, k) => ({ dice: ratio(inter[k], a[k], b[k]), predicted: a[k], reference: b[k] }));
}

/** Mean over the foreground classes that have a Dice. */
export function meanDice(perClass: ClassDice[]): number | null {
  const vals = perClass.slice(1).map((c) => c.dice).filter((d): d is number => d !== null);
  return vals.length ? vals.reduce((s, d) => s + d, 0) / vals.length : null;
}

/**
 * Mean foreground Dice of every slice along voxel axis `axis` (0, 1 or 2); null for slices
 * where neither prediction nor reference has foreground.
 */
export function perSliceDice(pred: ArrayLike<number>, ref: ArrayLike<number>, dims: [number, number, number], axis: number, K: number): (number | null)[] {
  const S = dims[axis];
  const inter = new Float64Array(S * K), a = new Float64Array(S * K), b = new Float64Array(S * K);
  const [nx, ny] = dims;
  let d = 0;
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, d++) {
        const s = axis === 0 ? i : axis === 1 ? j : k;
        const p = pred[d], r = ref[d];
        a[s * K + p]++;
        b[s * K + r]++;
        if (p === r) inter[s * K + p]++;
      }
    }
  }
  return Array.from({ length: S }, (_, s) => {
    let sum = 0, n = 0;
    for (let c = 1; c < K; c++) {
      const v = ratio(inter[s * K + c], a[s * K + c], b[s * K + c]);
      if (v !== null) {
        sum += v;
        n++;
      }
    }
    return n ? sum / n : null;
  });
}
