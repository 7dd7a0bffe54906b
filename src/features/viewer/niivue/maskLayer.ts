// The mask layer: the segmentation and, in the compare view, the disagreement over it, drawn
// through niivue's drawing layer (maskBitmap.ts says why not an overlay volume), a new mask
// written and uploaded a slab per task; on an oblique scan, overlay volumes (obliqueOverlays.ts).
import type { Mat4, VoxelArray } from "../../../core/volume/types";
import { maskBitmap, maskLut, rasOffsets } from "./maskBitmap";
import { nextTask } from "./steps";
import type { NiivueBoundary, ScanLayout } from "./boundary";
import { ObliqueOverlays } from "./obliqueOverlays";

export interface MaskClass {
  index: number;
  name: string;
  color: [number, number, number];
}

/** Voxels a step of a mask upload writes and uploads: about 10 ms each under software WebGL here. */
const UPLOAD_STEP_VOXELS = 1 << 20;

/** The scan's voxel grid and where each voxel lands in niivue's RAS-ordered drawing. */
interface Grid {
  dims: [number, number, number];
  affine: Mat4;
  offsets: [Int32Array, Int32Array, Int32Array];
  oblique: boolean;
}

export class MaskLayer {
  private grid: Grid | null = null;
  private labels: VoxelArray | null = null;
  private diff: VoxelArray | null = null;
  /** The drawing bitmap not shown: the next mask is written into it, then the two swap. */
  private spare: Uint8Array | null = null;
  private classes: MaskClass[] = [];
  private hidden: number[] = [];
  private opacity = 0.5;
  private overlays: ObliqueOverlays;

  constructor(private nv: NiivueBoundary) {
    this.overlays = new ObliqueOverlays(nv);
  }

  /** A new scan (null: none): the mask and the disagreement are dropped with the old one's layers. */
  setScan(scan: { dims: [number, number, number]; affine: Mat4; layout: ScanLayout } | null) {
    this.grid = scan && { dims: scan.dims, affine: scan.affine, offsets: rasOffsets(scan.dims, scan.layout.permRAS), oblique: scan.layout.oblique };
    this.labels = null;
    this.diff = null;
    this.spare = null;
    this.overlays.forget();
  }

  setLabels(labels: VoxelArray | null, classes: MaskClass[]) {
    this.labels = labels;
    this.classes = classes;
  }

  setDisagreement(diff: VoxelArray | null) {
    this.diff = diff;
  }

  setHidden(hidden: number[]) {
    this.hidden = hidden;
  }

  setOpacity(opacity: number) {
    this.opacity = opacity;
  }

  /** Whether `labels` are the voxels shown (a correction's redraw of an older mask is dropped). */
  shows(labels: VoxelArray): boolean {
    return this.labels === labels;
  }

  private sized(data: VoxelArray | null, n: number) {
    return data?.length === n ? data : null;
  }

  /**
   * Show the mask and the disagreement as they stand. `voxels`: the labels or the disagreement
   * changed, not only the colours (classes, hidden ones, opacity), which need no upload.
   */
  async show(voxels: boolean) {
    const grid = this.grid;
    if (!grid) return;
    if (grid.oblique) return this.overlays.show({ dims: grid.dims, affine: grid.affine, labels: this.labels, diff: this.diff, classes: this.classes, hidden: this.hidden, opacity: this.opacity });
    this.updateColours();
    if (voxels) await this.upload(grid);
    this.nv.drawScene();
  }

  /** The mask and disagreement up in one go: the drawing's bitmap rewritten, one texture upload. */
  private async upload(grid: Grid) {
    const n = grid.dims[0] * grid.dims[1] * grid.dims[2];
    const labels = this.sized(this.labels, n);
    const diff = this.sized(this.diff, n);
    if (!this.nv.fast) {
      // the plain path: the mask in native order, through niivue's public loadDrawing
      const native = maskBitmap(labels ?? new Uint8Array(n), grid.dims, rasOffsets(grid.dims, [1, 2, 3]), diff);
      return this.nv.loadDrawing(native, grid.dims, grid.affine);
    }
    this.nv.ensureDrawing(n);
    const drawing = this.nv.drawing() ?? undefined;
    const bitmap = labels || diff ? maskBitmap(labels ?? new Uint8Array(n), grid.dims, grid.offsets, diff, drawing) : (drawing ?? new Uint8Array(n)).fill(0);
    this.nv.uploadDrawing(bitmap);
  }

  /**
   * show(true) for a new mask or disagreement, a slab per task: writing and uploading the niivue
   * T1 sample's mask in one go held the page 112 ms under software WebGL
   * (bench/profile-segment.ts). Stops when `current()` turns false (a newer one is queued behind
   * it). niivue keeps drawing the old bitmap until the last slab is up.
   */
  async showNew(current: () => boolean) {
    const grid = this.grid;
    const d = this.nv.slabGrid();
    if (!grid || grid.oblique || !d) return this.show(true);
    this.updateColours();
    const n = grid.dims[0] * grid.dims[1] * grid.dims[2];
    if (this.nv.ensureDrawing(n)) {
      await nextTask(); // a new drawing texture is a step of its own (25 ms for the 137×256×186 sample)
      if (!current()) return;
    }
    const next = this.spare?.length === n ? this.spare : new Uint8Array(n);
    const labels = this.sized(this.labels, n);
    const diff = this.sized(this.diff, n);
    const steps: (() => void)[] = [];
    if (labels || diff) {
      // with a disagreement (its outline) a voxel costs about 1.6 times what it did with magenta alone, 2.5 times a mask alone (Node, the T1 sample's grid): half the slab
      const slab = Math.max(1, Math.floor(UPLOAD_STEP_VOXELS / (diff ? 2 : 1) / (grid.dims[0] * grid.dims[1])));
      const written = labels ?? new Uint8Array(n);
      for (let k = 0; k < grid.dims[2]; k += slab) steps.push(() => maskBitmap(written, grid.dims, grid.offsets, diff, next, k, k + slab));
    } else steps.push(() => next.fill(0));
    const slab = Math.max(1, Math.floor(UPLOAD_STEP_VOXELS / (d[0] * d[1])));
    for (let z = 0; z < d[2]; z += slab) steps.push(() => this.nv.uploadDrawingSlab(next, z, Math.min(slab, d[2] - z)));
    for (const step of steps) {
      step();
      await nextTask();
      if (!current()) return;
    }
    this.spare = this.nv.swapDrawing(next);
    this.nv.drawScene();
  }

  /** The drawing's colour table: classes, hidden ones and opacity; no texture but the table changes. */
  private updateColours() {
    this.nv.setDrawColours(maskLut(this.classes, this.hidden, this.opacity), this.classes.map((c) => c.name));
  }
}
