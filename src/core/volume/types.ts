/** A 3D scan or label map: voxels plus the affine that places them in world (RAS+, mm) space. */
export type VoxelArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

/** Row-major 4x4 matrix, 16 numbers: world = M * [i, j, k, 1]. */
export type Mat4 = number[];

export interface Volume {
  /** Voxel counts along i, j, k; i varies fastest in `data`. */
  dims: [number, number, number];
  /** Voxel index (i, j, k) to world RAS+ millimetres. */
  affine: Mat4;
  /** First frame only for 4D inputs; length is dims[0] * dims[1] * dims[2]. */
  data: VoxelArray;
  /** Frames in the file (4D series) when more than one; only the first is in `data`. */
  frames?: number;
  /** Which of them `data` holds (0-based), for a 4D file. */
  frame?: number;
  /** What the reader had to assume about the geometry (an unusable orientation matrix), for the user. */
  geometryNote?: string;
  /** What the reader had to do to the voxels themselves (a scale slope that overflows float32), for the user. */
  voxelNote?: string;
}

export class VolumeError extends Error {
  override name = "VolumeError";
}
