/** One slice plane of a volume: the slice across voxel `axis`, addressed by in-plane (u, v). */
export interface Plane {
  /** The in-plane voxel axes, u before v. */
  u: number;
  v: number;
  width: number;
  height: number;
  /** Index steps of u and v in the volume's data. */
  strideU: number;
  strideV: number;
}

export function planeOf(dims: [number, number, number], axis: number): Plane {
  const [u, v] = [0, 1, 2].filter((x) => x !== axis);
  const stride = [1, dims[0], dims[0] * dims[1]];
  return { u, v, width: dims[u], height: dims[v], strideU: stride[u], strideV: stride[v] };
}

const strideOf = (dims: [number, number, number], axis: number) => [1, dims[0], dims[0] * dims[1]][axis];

/** The volume index of in-plane pixel 0 of slice `index` across `axis`. */
export const sliceOrigin = (dims: [number, number, number], axis: number, index: number) => index * strideOf(dims, axis);

/** The slice across `axis` that volume index `i` lies in. */
export const sliceAt = (dims: [number, number, number], axis: number, i: number) => Math.floor(i / strideOf(dims, axis)) % dims[axis];
