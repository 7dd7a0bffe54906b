// niivue images built from the project's own Volume (one reader, one affine): the viewer shows the
// voxels and the affine that the pipeline, the Dice and every export use, never a second parse
// of the file with niivue's own header rules (which pick the qform over the sform when its code
// is higher and read MGH files without a valid RAS flag differently).
import { NVImage } from "@niivue/niivue";
import { voxelSizes } from "../../core/volume/affine";
import type { Volume, VoxelArray } from "../../core/volume/types";
import type { DisplayRange } from "./displayRange";

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

/** What a large scan's image is built from, worked out ahead in steps (setScan). */
export interface PreparedVoxels {
  /** A copy of the volume's voxels for niivue to keep. */
  voxels: VoxelArray;
  /** niivue's starting window for them. */
  range: DisplayRange;
}

/**
 * An NVImage over `vol`'s voxels with `vol.affine` as its only transform (sform, no qform).
 * The voxels are copied once: niivue keeps and may rescale its array, the store keeps its own.
 * With `prepared`, the copy and the window are those, not made here in one go.
 */
export function volumeImage(vol: Volume, { name, colormap = "gray", opacity = 1 }: VolumeImageOptions, prepared?: PreparedVoxels): NVImage {
  const img = new NVImage();
  img.hdr = NVImage.createNiftiHeader(vol.dims, voxelSizes(vol.affine), vol.affine, datatypeCode(vol.data));
  const raw = (prepared?.voxels ?? vol.data.slice()).buffer as ArrayBuffer;
  // init() ends with calMinMax, niivue's window rule over the voxels: answered from the range
  // already worked out, then niivue's own method is back for later changes (a colormap)
  const own = img as unknown as { calMinMax?: () => number[] };
  if (prepared) {
    const { cal, global, ignoreZero } = prepared.range;
    own.calMinMax = () => {
      Object.assign(img, { cal_min: cal[0], cal_max: cal[1], robust_min: cal[0], robust_max: cal[1], global_min: global[0], global_max: global[1], ignoreZeroVoxels: ignoreZero });
      return [cal[0], cal[1], global[0], global[1]];
    };
  }
  // init() reads the header already on the image and takes the voxels as imgRaw; its first
  // argument only has to be non-empty.
  img.init(raw, name, colormap, opacity, null, NaN, NaN, true, 0.02, false, false, "", 0, NII_IMAGE_TYPE as never, NaN, NaN, false, null, 0, raw);
  delete own.calMinMax;
  return img;
}
