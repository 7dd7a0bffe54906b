/**
 * The slices a per-slice chart shows: from the first to the last slice where any curve has a value
 * (tissue in the reference or the mask), widened by `margin` slices on each side within 0..n-1.
 * With no value anywhere, every slice. Inclusive bounds.
 */
export function tissueRange(curves: (number | null)[][], margin: number): { lo: number; hi: number } {
  const n = Math.max(0, ...curves.map((c) => c.length));
  let first = n, last = -1;
  for (const curve of curves) {
    curve.forEach((v, i) => {
      if (v === null) return;
      first = Math.min(first, i);
      last = Math.max(last, i);
    });
  }
  if (last < 0) return { lo: 0, hi: Math.max(n - 1, 0) };
  return { lo: Math.max(0, first - margin), hi: Math.min(n - 1, last + margin) };
}
