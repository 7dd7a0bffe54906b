// Where the viewer looks: the view mode, the crosshair on the scan's voxels, slice steps and jumps.
import { applyAffine, invert4 } from "../../../core/volume/affine";
import type { Mat4 } from "../../../core/volume/types";
import type { ViewMode } from "../../../stores/viewSlice";
import type { NiivueBoundary } from "./boundary";

export class Navigation {
  private affine: Mat4 | null = null;
  private inverse: Mat4 | null = null;
  private mode: ViewMode = "multiplanar";

  constructor(private nv: NiivueBoundary) {}

  /** The scan's affine (null: no scan). */
  setAffine(affine: Mat4 | null) {
    this.affine = affine;
    this.inverse = affine ? invert4(affine) : null;
  }

  /** Voxel (i, j, k) of the scan's own grid at world mm. */
  voxelAt(mm: [number, number, number]): [number, number, number] | null {
    if (!this.inverse) return null;
    const v = applyAffine(this.inverse, mm[0], mm[1], mm[2]);
    return [Math.round(v[0]), Math.round(v[1]), Math.round(v[2])];
  }

  /** The crosshair on voxel `vox`'s centre, so that the slices niivue draws and the voxels the readout names are the same. */
  private crosshairToVoxel(vox: [number, number, number]): boolean {
    return !!this.affine && this.nv.setCrosshairMM(applyAffine(this.affine, vox[0], vox[1], vox[2]));
  }

  /**
   * A new scan's crosshair on a voxel: niivue starts at the volume's middle, which for an even
   * number of slices is a boundary between two: it draws one and the readout rounded to the
   * other (found on the FreeSurfer default geometry: a drawn tissue pixel read "background").
   * True when it moved the crosshair, which draws the scene.
   */
  startOnVoxel(): boolean {
    const here = this.nv.crosshairMM();
    const middle = here && this.voxelAt(here);
    return !!middle && this.crosshairToVoxel(middle);
  }

  /** Move the crosshair to slice `index` along the scan's voxel `axis`, keeping the other two. */
  jumpToSlice(axis: number, index: number) {
    const here = this.nv.crosshairMM();
    if (!here || !this.affine) return;
    const vox = this.voxelAt(here) ?? [0, 0, 0];
    vox[axis] = index;
    this.crosshairToVoxel(vox);
  }

  /** Move `delta` slices through the shown 2D view (no-op in 3D). */
  stepSlice(delta: number) {
    if (this.mode === "render") return;
    // niivue's voxel steps run along its RAS-ordered axes: sagittal x, coronal y, axial z.
    const axis = this.mode === "sagittal" ? 0 : this.mode === "coronal" ? 1 : 2;
    const step: [number, number, number] = [0, 0, 0];
    step[axis] = delta;
    this.nv.moveCrosshairInVox(...step);
  }

  setViewMode(mode: ViewMode) {
    this.mode = mode;
    this.nv.setViewMode(mode);
  }
}
