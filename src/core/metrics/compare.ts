import type { Volume } from "../volume/types";

export type LabelVolume = Volume & { data: Uint8Array };

/**
 * Voxels where two masks on one grid disagree (1) or agree (0), and how many disagree, in total
 * and among voxels either mask calls foreground (the share that matters for tissue).
 */
export function disagreement(a: LabelVolume, b: LabelVolume): { volume: LabelVolume; voxels: number; foreground: number } {
  if (a.data.length !== b.data.length || a.dims.some((d, i) => d !== b.dims[i])) {
    throw new Error(`the masks are on different grids (${a.dims.join("×")} vs ${b.dims.join("×")})`);
  }
  const data = new Uint8Array(a.data.length);
  let voxels = 0, foreground = 0;
  for (let i = 0; i < data.length; i++) {
    if (a.data[i] !== 0 || b.data[i] !== 0) foreground++;
    if (a.data[i] !== b.data[i]) {
      data[i] = 1;
      voxels++;
    }
  }
  return { volume: { dims: a.dims, affine: a.affine, data }, voxels, foreground };
}
