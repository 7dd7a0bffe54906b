// The mask on an oblique scan: niivue draws its drawing layer out of register with an oblique
// scan (e2e/geometry.spec.ts, 25° about x), while an overlay volume is resampled with the scan.
// So there the mask, then the disagreement over it, are label volumes on the scan's grid. Slower:
// each change re-renders the layers.
import type { Mat4, VoxelArray } from "../../../core/volume/types";
import { DISAGREE, disagreementLayer, maskLut, OPAQUE } from "./maskBitmap";
import type { Layer, LabelTable, NiivueBoundary } from "./boundary";
import type { MaskClass } from "./maskLayer";

export interface OverlayState {
  dims: [number, number, number];
  affine: Mat4;
  labels: VoxelArray | null;
  diff: VoxelArray | null;
  classes: MaskClass[];
  hidden: number[];
  opacity: number;
}

export class ObliqueOverlays {
  private layers: Layer[] = [];
  /** One redraw at a time: the plain path builds its images asynchronously. */
  private drawn: Promise<void> = Promise.resolve();

  constructor(private nv: NiivueBoundary) {}

  /** Replace the overlays with `state`'s. */
  show(state: OverlayState): Promise<void> {
    this.drawn = this.drawn.catch(() => undefined).then(() => this.draw(state));
    return this.drawn;
  }

  /** Forget the overlays (niivue's layers were cleared with the scan). */
  forget() {
    this.layers = [];
  }

  private async draw({ dims, affine, labels, diff, classes, hidden, opacity }: OverlayState) {
    for (const layer of this.layers) this.nv.removeLayer(layer);
    this.layers = [];
    const lut = maskLut(classes, hidden, 1);
    const table = (indices: number[], names: string[]): LabelTable => ({ R: indices.map((i) => lut[i * 4]), G: indices.map((i) => lut[i * 4 + 1]), B: indices.map((i) => lut[i * 4 + 2]), A: indices.map((i) => lut[i * 4 + 3]), I: indices, labels: names });
    // the disagreement as the drawing layer shows it: differing voxels opaque in their class, the outline magenta
    const shown = classes.filter((c) => c.index > 0 && c.index < OPAQUE);
    const diffIndices = [0, ...shown.map((c) => OPAQUE + c.index), DISAGREE];
    const layers: [VoxelArray | null, string, LabelTable, number][] = [
      [labels, "siteseg-mask", table(classes.map((c) => c.index), classes.map((c) => c.name)), opacity],
      [diff && disagreementLayer(labels, dims, diff), "siteseg-disagreement", table(diffIndices, ["", ...shown.map((c) => c.name), "disagreement"]), 1],
    ];
    for (const [data, name, colours, layerOpacity] of layers) {
      if (data) this.layers.push(await this.nv.addLabelOverlay({ dims, affine, data }, name, colours, layerOpacity));
    }
    this.nv.updateLayers();
  }
}
