import { voxelVolumeMl } from "../volume/affine";
import { resampleNearest } from "../volume/grid";
import type { Volume } from "../volume/types";

/** The margin around the reference brain that counts as inside it (issue 27: "none beyond a 2-voxel margin"). */
export const OUTSIDE_MARGIN_VOXELS = 2;

/**
 * 1 where the reference labels anything (any non-zero label: the brain, whatever the convention),
 * on the mask's grid (nearest), dilated by `margin` voxels (Chebyshev: a (2·margin+1)³ cube), one
 * axis at a time.
 */
export function dilatedReference(reference: Volume, grid: Pick<Volume, "dims" | "affine">, margin: number): Uint8Array {
  let m = resampleNearest({ ...reference, data: Uint8Array.from(reference.data, (v) => (v ? 1 : 0)) }, grid);
  const [nx, ny, nz] = grid.dims;
  const strides = [1, nx, nx * ny];
  for (let a = 0; a < 3 && margin > 0; a++) {
    const out = new Uint8Array(m.length);
    for (let z = 0, i = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++, i++) {
          if (!m[i]) continue;
          const c = a === 0 ? x : a === 1 ? y : z;
          for (let d = -margin; d <= margin; d++) if (c + d >= 0 && c + d < grid.dims[a]) out[i + d * strides[a]] = 1;
        }
      }
    }
    m = out;
  }
  return m;
}

/**
 * Mask voxels (any class but background 0) outside the reference brain grown by `margin` voxels:
 * tissue called where the reference has none near (over skull, neck, an object beside the head).
 */
export function tissueOutsideReference(mask: Volume & { data: Uint8Array }, reference: Volume, margin = OUTSIDE_MARGIN_VOXELS): { voxels: number; ml: number; marginVoxels: number } {
  const brain = dilatedReference(reference, mask, margin);
  let voxels = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] && !brain[i]) voxels++;
  return { voxels, ml: voxels * voxelVolumeMl(mask.affine), marginVoxels: margin };
}
