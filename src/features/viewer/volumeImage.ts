// niivue images built from the project's own Volume (one reader, one affine): the viewer shows the
// voxels and the affine that the pipeline, the Dice and every export use, never a second parse
// of the file with niivue's own header rules (which pick the qform over the sform when its code
// is higher and read MGH files without a valid RAS flag differently).
import { NVImage } from "@niivue/niivue";
import { voxelSizes } from "../../core/volume/affine";
import type { Volume, VoxelArray } from "../../core/volume/types";

/** NIfTI datatype codes of the voxel arrays a Volume can hold. */
function datatypeCode(data: VoxelArray): number {
  if (data instanceof Uint8Array) return 2;
  if (data instanceof Int16Array) return 4;
  if (data instanceof Int32Array) return 8;
  if (data instanceof Float32Array) return 16;
  if (data instanceof Float64Array) return 64;
  if (data instanceof Int8Array) return 256;
  if (data instanceof Uint16Array) return 512;
  return 768; // Uint32Array
}

const NII_IMAGE_TYPE = 1; // niivue's ImageType.NII (the enum is not exported)

export interface VolumeImageOptions {
  name: string;
  colormap?: string;
  opacity?: number;
}

/**
 * An NVImage over `vol`'s voxels with `vol.affine` as its only transform (sform, no qform).
 * The voxels are copied once: niivue keeps and may rescale its array, the store keeps its own.
 */
export function volumeImage(vol: Volume, { name, colormap = "gray", opacity = 1 }: VolumeImageOptions): NVImage {
  const img = new NVImage();
  img.hdr = NVImage.createNiftiHeader(vol.dims, voxelSizes(vol.affine), vol.affine, datatypeCode(vol.data));
  const raw = vol.data.slice().buffer as ArrayBuffer;
  // init() reads the header already on the image and takes the voxels as imgRaw; its first
  // argument only has to be non-empty.
  img.init(raw, name, colormap, opacity, null, NaN, NaN, true, 0.02, false, false, "", 0, NII_IMAGE_TYPE as never, NaN, NaN, false, null, 0, raw);
  return img;
}
